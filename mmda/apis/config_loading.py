"""Loading an mmda config the way the tools do, with clear errors."""
import argparse
import difflib
import inspect
import os.path as osp
from typing import List, Optional, Tuple

from mmengine.config import Config, ConfigDict, DictAction

from ..engine.launch import adapt_cfg_to_device
from ..engine.strategies import holds_several_optimizers
from ..utils.config_text import format_once
from .vis_backends import add_vis_backends


def did_you_mean(key, candidates, n: int = 3) -> str:
    """`` (did you mean a, b?)`` with the closest of ``candidates``, or
    ``''``."""
    close = difflib.get_close_matches(str(key), [str(c) for c in candidates],
                                      n=n)
    return f' (did you mean {", ".join(close)}?)' if close else ''


def missing_cfg_key(cfg: Config, dotted: str) -> Optional[Tuple[str, str]]:
    """Why the dotted key (list entries by index) names no entry of
    ``cfg``: ``(reason, suggestion)``, the suggestion from the keys beside
    the missing one; None when it names one."""
    node = cfg._cfg_dict
    walked = []
    for part in dotted.split('.'):
        if isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                return (f'{".".join(walked)} is a list of {len(node)} '
                        f'entries, {part!r} is no index', '')
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                where = '.'.join(walked) or 'the config'
                return (f'{where} has no key {part!r}',
                        did_you_mean(part, node.keys()))
            node = node[part]
        else:
            return (f'{".".join(walked)} is a {type(node).__name__}, not a '
                    'dict', '')
        walked.append(part)
    return None


#: Top-level keys read by mmda's tools and mmseg conventions besides the
#: Runner's arguments.
TOOL_KEYS = frozenset((
    'runner_type', 'model_wrapper_cfg', 'custom_imports', 'tta_model',
    'tta_pipeline', 'entropy_rank_dataloader', 'tune_cfg',
    'config_variables'))


def runner_keys() -> frozenset:
    """The top-level keys mmengine's ``Runner`` and ``FlexibleRunner`` read,
    and those of :data:`TOOL_KEYS`."""
    from mmengine.runner import FlexibleRunner, Runner
    keys = set(TOOL_KEYS)
    for cls in (Runner, FlexibleRunner):
        keys.update(inspect.signature(cls.__init__).parameters)
    keys.discard('self')
    return frozenset(keys)


def typo_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring characters as one
    edit (optimal string alignment)."""
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if (i > 1 and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]


def check_top_level_keys(cfg: Config, config: str) -> None:
    """Refuse a top-level key that looks like a misspelt Runner or tool
    key (``trian_cfg``): mmengine ignores it, and the run silently uses the
    base config's value.

    A key is taken for a typo when it is not a key the Runner or the tools
    read but at most two edits (a swap of neighbouring letters counts one)
    from one. Config variables (``crop_size``, ``target_pipeline``, ...)
    are free; a variable that is that close to a Runner key on purpose is
    declared with ``config_variables = ['name', ...]`` in the config.

    Raises:
        KeyError: naming the config, the key and the close matches.
    """
    known = runner_keys()
    declared = set(cfg.get('config_variables') or ())
    for key in cfg.keys():
        if key in known or key in declared:
            continue
        close = sorted((typo_distance(key, k), k) for k in known)
        if close and close[0][0] <= 2 and close[0][0] < len(key) // 2:
            raise KeyError(
                f'{config}: unknown top-level key {key!r} (did you mean '
                f'{close[0][1]}?); mmengine would ignore it. If it is a '
                f'variable of the config, declare it: config_variables = '
                f'[{key!r}]')


#: Prefix of a ``--cfg-options`` key that adds a new entry on purpose.
ADD_PREFIX = '+'


def _check_added_key(cfg: Config, dotted: str) -> None:
    """``+KEY``: KEY must not exist yet, and the part of its path that
    exists must lead through dicts (new levels are created)."""
    if missing_cfg_key(cfg, dotted) is None:
        raise KeyError(f'--cfg-options {ADD_PREFIX}{dotted}: the config '
                       f'already has {dotted}; set it without '
                       f'{ADD_PREFIX!r}')
    node = cfg._cfg_dict
    walked = []
    for part in dotted.split('.')[:-1]:
        if isinstance(node, (list, tuple)) and part.isdigit() and \
                int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            if part not in node:
                return  # a new level: merge_from_dict creates it
            node = node[part]
        else:
            reason, _ = missing_cfg_key(cfg, '.'.join(walked + [part]))
            raise KeyError(f'--cfg-options {ADD_PREFIX}{dotted}: {reason}')
        walked.append(part)
    if not isinstance(node, dict):
        raise KeyError(f'--cfg-options {ADD_PREFIX}{dotted}: '
                       f'{".".join(walked)} is a {type(node).__name__}, '
                       'not a dict')


def check_cfg_options(cfg: Config, options: Optional[dict]) -> None:
    """Refuse ``--cfg-options`` keys that the config does not have, unless
    they are added on purpose with a leading ``+``.

    mmengine merges unknown keys silently, so a typo such as
    ``train_cfg.max_iter=10`` would train with the default schedule. Every
    dotted key must name an existing entry; list entries are addressed by
    index (``train_dataloader.dataset.pipeline.1.scale``). A key written
    ``+KEY=VALUE`` (e.g. ``+randomness.deterministic=True``,
    ``+default_hooks.checkpoint.save_best=mIoU``) adds a new entry: it
    must not exist yet, and missing dict levels on its path are created.

    Raises:
        KeyError: naming the first unknown key and close matches (or why
            an added key cannot be added).
    """
    for dotted in options or {}:
        if dotted.startswith(ADD_PREFIX):
            _check_added_key(cfg, dotted[len(ADD_PREFIX):])
            continue
        missing = missing_cfg_key(cfg, dotted)
        if missing:
            reason, suggestion = missing
            raise KeyError(f'--cfg-options {dotted}: {reason}{suggestion}; '
                           f'to add a new key write {ADD_PREFIX}{dotted}='
                           'VALUE')


def strip_add_prefix(options: Optional[dict]) -> Optional[dict]:
    """``--cfg-options`` as mmengine merges them: ``+KEY`` -> ``KEY``
    (after :func:`check_cfg_options`)."""
    if not options:
        return options
    out = {}
    for key, value in options.items():
        plain = key[len(ADD_PREFIX):] if key.startswith(ADD_PREFIX) else key
        if plain in out:
            raise KeyError(f'--cfg-options gives {plain} twice')
        out[plain] = value
    return out


def parse_cfg_options(options: Optional[List[str]]) -> Optional[dict]:
    """``KEY=VALUE`` strings as ``--cfg-options`` parses them (mmengine's
    ``DictAction``), for tools that pass options on to other tools."""
    if not options:
        return None
    parser = argparse.ArgumentParser()
    parser.add_argument('--options', nargs='+', action=DictAction)
    return parser.parse_args(['--options'] + list(options)).options


def load_config(config: str,
                cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None,
                launcher: str = 'none') -> Config:
    """Read ``config``, apply overrides and adapt it to this machine.

    The work dir is, by priority: ``work_dir``, the config's ``work_dir``,
    ``./work_dirs/<config name>``.
    """
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = format_once(Config.fromfile(config))
    check_top_level_keys(cfg, config)
    check_cfg_options(cfg, cfg_options)
    cfg_options = strip_add_prefix(cfg_options)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    add_vis_backends(cfg)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(config))[0])
    cfg.work_dir = osp.abspath(cfg.work_dir)
    adapt_cfg_to_device(cfg)
    return cfg


def enable_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper(s) to mixed precision (``--amp``)."""
    wrapper = cfg.optim_wrapper
    wrappers = ([w for w in wrapper.values() if isinstance(w, dict)]
                if holds_several_optimizers(wrapper) else [wrapper])
    for w in wrappers:
        if w.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            continue
        assert w.get('type', 'OptimWrapper') == 'OptimWrapper', (
            '`--amp` is only supported with OptimWrapper, got '
            f'{w.get("type")}')
        w['type'] = 'AmpOptimWrapper'
        w.setdefault('loss_scale', 'dynamic')
    if not isinstance(wrapper, ConfigDict):
        cfg.optim_wrapper = ConfigDict(wrapper)
