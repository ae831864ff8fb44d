"""Search spaces of ``tools/tune.py``: ``KEY=FN(ARGS)`` entries.

A search space maps config keys, written as for ``--cfg-options``
(``model.negative_loss.tau``, ``optim_wrapper.optimizer.lr``,
``custom_hooks.0.budget_ratio``), to a sampler::

    model.negative_loss.tau=loguniform(0.01, 0.2)
    model.consistency_loss.loss_weight=choice(0.05, 0.1, 0.2)

on the command line (``--search-space``), or in the config::

    tune_cfg = dict(search_space={
        'model.negative_loss.tau': 'loguniform(0.01, 0.2)',
        'model.consistency_loss.loss_weight': 'choice(0.05, 0.1, 0.2)'})

The samplers are Ray Tune's (:data:`SAMPLERS`); arguments are Python
literals, positional or by name (``loguniform(low=0.01, high=0.2)``).
Everything is checked before a trial starts: the syntax, the sampler, its
arguments (:class:`SearchSpaceError` names the entry and the rule it
breaks) and that every key exists in the config (with the closest keys
of the config as suggestions).
"""
import ast
import math
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ..apis.config_loading import did_you_mean, missing_cfg_key

#: sampler -> its parameters (``None``: one or more values)
SAMPLERS: Dict[str, Optional[Tuple[str, ...]]] = {
    'uniform': ('low', 'high'),
    'quniform': ('low', 'high', 'q'),
    'loguniform': ('low', 'high'),
    'qloguniform': ('low', 'high', 'q'),
    'randint': ('low', 'high'),
    'qrandint': ('low', 'high', 'q'),
    'lograndint': ('low', 'high'),
    'randn': ('mean', 'sd'),
    'choice': None,
    'grid': None,
}
#: samplers on a log scale (plots use a log axis for them)
LOG_SAMPLERS = ('loguniform', 'qloguniform', 'lograndint')
#: samplers of integers
INT_SAMPLERS = ('randint', 'qrandint', 'lograndint')
#: samplers that Optuna cannot sample (``--search optuna``)
NOT_FOR_OPTUNA = ('randn', 'grid')


class SearchSpaceError(ValueError):
    """A search-space entry that cannot be searched (the message names the
    entry and the reason)."""


@dataclass(frozen=True)
class SearchParam:
    """One searched config key and its sampler.

    Attributes:
        key (str): Dotted config key (``model.negative_loss.tau``).
        sampler (str): One of :data:`SAMPLERS`.
        args (tuple): The sampler's arguments (the values for ``choice`` and
            ``grid``).
    """
    key: str
    sampler: str
    args: tuple

    @property
    def spec(self) -> str:
        """``FN(ARGS)`` as written back (``loguniform(0.01, 0.2)``)."""
        return f'{self.sampler}({", ".join(map(repr, self.args))})'

    def __str__(self) -> str:
        return f'{self.key}={self.spec}'

    @property
    def is_log(self) -> bool:
        return self.sampler in LOG_SAMPLERS

    @property
    def is_categorical(self) -> bool:
        return self.sampler in ('choice', 'grid')

    def to_ray(self):
        """The Ray Tune domain (``tune.loguniform(...)``, ...)."""
        from ray import tune
        if self.sampler == 'choice':
            return tune.choice(list(self.args))
        if self.sampler == 'grid':
            return tune.grid_search(list(self.args))
        return getattr(tune, self.sampler)(*self.args)


# ------------------------------------------------------------------ parsing
_KEY = re.compile(r'^[A-Za-z_][\w-]*(\.[\w-]+)*$')


def _literal(node: ast.AST, text: str, entry: str) -> Any:
    try:
        return ast.literal_eval(node)
    except ValueError:
        source = ast.get_source_segment(text, node)
        raise SearchSpaceError(
            f'search space {entry}: argument {source} is not a Python '
            'literal (a number, string, list, tuple or dict)') from None


def parse_spec(key: str, spec: str) -> SearchParam:
    """Parse ``FN(ARGS)`` for ``key`` and check it (see
    :func:`check_param`).

    Raises:
        SearchSpaceError: naming ``KEY=FN(ARGS)`` and what is wrong.
    """
    entry = f'{key}={spec}'
    if not isinstance(spec, str):
        raise SearchSpaceError(
            f'search space {key}: the sampler must be a string such as '
            f"'loguniform(0.01, 0.2)' or 'choice(0.05, 0.1)', got {spec!r}")
    if not _KEY.match(key):
        raise SearchSpaceError(
            f'search space {entry}: {key!r} is not a dotted config key '
            '(such as model.negative_loss.tau)')
    text = spec.strip()
    try:
        tree = ast.parse(text, mode='eval').body
    except SyntaxError:
        tree = None
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        raise SearchSpaceError(
            f'search space {entry}: expected FN(ARGS) with FN one of '
            f'{", ".join(SAMPLERS)}, e.g. {key}=loguniform(0.01, 0.2)')
    sampler = tree.func.id
    if sampler not in SAMPLERS:
        hint = did_you_mean(sampler, SAMPLERS, n=1)
        raise SearchSpaceError(
            f'search space {entry}: unknown sampler {sampler!r}{hint}; '
            f'use one of {", ".join(SAMPLERS)}')
    args = [_literal(a, text, entry) for a in tree.args]
    names = SAMPLERS[sampler]
    if tree.keywords:
        if names is None:
            raise SearchSpaceError(
                f'search space {entry}: {sampler} takes its values as '
                f'positional arguments, e.g. {sampler}(0.05, 0.1, 0.2)')
        for kw in tree.keywords:
            if kw.arg not in names:
                raise SearchSpaceError(
                    f'search space {entry}: {sampler} has no argument '
                    f'{kw.arg!r}; its arguments are {", ".join(names)}')
            index = names.index(kw.arg)
            if index < len(args) and args[index] is not _MISSING:
                raise SearchSpaceError(
                    f'search space {entry}: {sampler} got {kw.arg!r} twice')
            args.extend([_MISSING] * (index + 1 - len(args)))
            args[index] = _literal(kw.value, text, entry)
    param = SearchParam(key, sampler, tuple(args))
    check_param(param)
    return param


class _Missing:

    def __repr__(self) -> str:
        return '<missing>'


_MISSING = _Missing()


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


def check_param(param: SearchParam) -> None:
    """Check the arguments of one sampler.

    * ``uniform(low, high)``: numbers, ``low < high``;
    * ``loguniform(low, high)``: numbers, ``0 < low < high``;
    * ``quniform`` / ``qloguniform(low, high, q)``: as above and ``q > 0``;
    * ``randint(low, high)`` (``high`` excluded), ``qrandint(low, high, q)``
      (included), ``lograndint(low, high)``: integers, ``low < high``,
      ``0 < low`` for ``lograndint``, ``q > 0``;
    * ``randn(mean, sd)``: numbers, ``sd > 0``;
    * ``choice`` / ``grid(v1, ...)``: at least one value, no duplicates.

    Raises:
        SearchSpaceError: naming the entry and the rule it breaks.
    """
    entry, sampler, args = str(param), param.sampler, param.args
    names = SAMPLERS[sampler]
    if names is None:
        if not args:
            raise SearchSpaceError(
                f'search space {entry}: {sampler} needs at least one value')
        seen = []
        for value in args:
            if value in seen:
                raise SearchSpaceError(
                    f'search space {entry}: {sampler} lists {value!r} twice')
            seen.append(value)
        return
    if len(args) != len(names) or _MISSING in args:
        raise SearchSpaceError(
            f'search space {entry}: {sampler} takes {len(names)} arguments '
            f'({", ".join(names)}), got {len(args) - args.count(_MISSING)}')
    values = dict(zip(names, args))
    want_int = sampler in INT_SAMPLERS
    for name, value in values.items():
        if not _is_number(value) or (want_int and not isinstance(value, int)):
            kind = 'an integer' if want_int else 'a finite number'
            raise SearchSpaceError(
                f'search space {entry}: {name} must be {kind}, got {value!r}')
    got = ', '.join(f'{n}={v!r}' for n, v in values.items())
    if 'low' in values:
        low, high = values['low'], values['high']
        if sampler in LOG_SAMPLERS and not 0 < low < high:
            raise SearchSpaceError(
                f'search space {entry}: {sampler} needs 0 < low < high, '
                f'got {got}')
        if not low < high:
            raise SearchSpaceError(
                f'search space {entry}: {sampler} needs low < high, got '
                f'{got}')
    if 'q' in values and not values['q'] > 0:
        raise SearchSpaceError(
            f'search space {entry}: {sampler} needs q > 0, got {got}')
    if 'sd' in values and not values['sd'] > 0:
        raise SearchSpaceError(
            f'search space {entry}: {sampler} needs sd > 0, got {got}')


def parse_entry(entry: str) -> SearchParam:
    """Parse one ``KEY=FN(ARGS)`` entry (command line)."""
    key, sep, spec = str(entry).partition('=')
    if not sep or not key.strip():
        raise SearchSpaceError(
            f'search space entry {entry!r} is not KEY=FN(ARGS), e.g. '
            'model.negative_loss.tau=loguniform(0.01,0.2)')
    return parse_spec(key.strip(), spec)


def parse_search_space(entries: Iterable[str] = (),
                       cfg_space: Optional[Mapping[str, str]] = None
                       ) -> List[SearchParam]:
    """The search space of a config's ``tune_cfg.search_space`` (a dict
    ``{key: 'FN(ARGS)'}``) and command-line ``KEY=FN(ARGS)`` entries; an
    entry replaces the config's sampler of the same key.

    Raises:
        SearchSpaceError: a bad entry, a key given twice on the command
            line, or an empty search space.
    """
    params: Dict[str, SearchParam] = {}
    if cfg_space is not None:
        if not isinstance(cfg_space, Mapping):
            raise SearchSpaceError(
                'tune_cfg.search_space must be a dict {key: '
                f"'FN(ARGS)'}}, got {type(cfg_space).__name__}")
        for key, spec in cfg_space.items():
            params[key] = parse_spec(str(key), spec)
    from_cli = set()
    for entry in entries:
        param = parse_entry(entry)
        if param.key in from_cli:
            raise SearchSpaceError(
                f'search space key {param.key} is given twice')
        from_cli.add(param.key)
        params[param.key] = param
    if not params:
        raise SearchSpaceError(
            'the search space is empty: give --search-space KEY=FN(ARGS) '
            '... or tune_cfg.search_space in the config')
    return list(params.values())


# ------------------------------------------------------- config agreement
def _dotted_keys(node, prefix: str = '') -> Iterable[str]:
    """Every dotted key of a config (dicts and lists of dicts walked)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield f'{prefix}{key}'
            yield from _dotted_keys(value, f'{prefix}{key}.')
    elif isinstance(node, (list, tuple)) and any(
            isinstance(v, Mapping) for v in node):
        for index, value in enumerate(node):
            yield f'{prefix}{index}'
            yield from _dotted_keys(value, f'{prefix}{index}.')


def check_keys(cfg, params: Iterable[SearchParam],
               fixed: Optional[Mapping] = None) -> None:
    """Every searched key exists in ``cfg`` and is not also fixed by
    ``--cfg-options`` (``fixed``).

    The key check is ``--cfg-options``'s
    (:func:`mmda.apis.config_loading.missing_cfg_key`, lists by index); an
    unknown key's error suggests the closest keys of the whole config
    (``model.consistency_weight`` -> ``model.consistency_loss.loss_weight``).

    Raises:
        SearchSpaceError: naming the key.
    """
    fixed = fixed or {}
    for param in params:
        if param.key in fixed:
            raise SearchSpaceError(
                f'search space key {param.key} is also fixed by --cfg-options'
                f' ({param.key}={fixed[param.key]!r}): search it or fix it')
        if param.key == 'tune_cfg' or param.key.startswith('tune_cfg.'):
            raise SearchSpaceError(
                f'search space key {param.key}: tune_cfg configures the '
                'search itself and cannot be searched')
        missing = missing_cfg_key(cfg, param.key)
        if missing:
            hint = did_you_mean(param.key,
                                _dotted_keys(cfg._cfg_dict.to_dict()))
            raise SearchSpaceError(
                f'search space key {param.key}: {missing[0]}{hint}')


def sampled_values(config: Mapping, params: Iterable[SearchParam]) -> Dict:
    """The values a trial sampled for ``params`` (plain Python numbers, as a
    config file writes them)."""
    values = {}
    for param in params:
        value = config[param.key]
        if hasattr(value, 'item'):  # numpy scalars
            value = value.item()
        values[param.key] = value
    return values
