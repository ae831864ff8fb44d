"""An mmda optimizer-wrapper config as DeepSpeed options.

mmda's configs describe optimisation the mmengine way: an ``optim_wrapper``
(``OptimWrapper``, or ``AmpOptimWrapper`` with ``--amp``) with
``optimizer``, ``paramwise_cfg``, ``clip_grad`` and ``accumulative_counts``.
Under DeepSpeed the engine owns gradient clipping, accumulation and mixed
precision, and mmengine's ``DeepSpeedOptimWrapper`` only holds the
optimizer. :func:`to_deepspeed_optim_wrapper` splits one into the other;
:func:`check_single_optimizer` refuses configs with several optimizers,
which one DeepSpeed engine cannot train.
"""
from typing import Optional

from mmengine.config import ConfigDict
from mmengine.optim import OptimWrapperDict

#: keys of an optimizer-wrapper config that ``DeepSpeedOptimWrapper`` keeps
KEPT_KEYS = ('optimizer', 'constructor', 'paramwise_cfg')
#: half-precision modes of DeepSpeed (its config sections)
HALF_PRECISIONS = ('bf16', 'fp16')


def holds_several_optimizers(optim_wrapper) -> bool:
    """Whether an ``optim_wrapper`` (config or built) is an
    ``OptimWrapperDict``: of that type, or a config of one wrapper per child
    built by a constructor (``dict(constructor=..., segmentor=dict(...),
    ...)``, no top-level ``optimizer``)."""
    if isinstance(optim_wrapper, dict):
        return (optim_wrapper.get('type') == 'OptimWrapperDict'
                or ('optimizer' not in optim_wrapper
                    and 'constructor' in optim_wrapper))
    return isinstance(optim_wrapper, OptimWrapperDict)


def check_single_optimizer(optim_wrapper, config: str = 'the config') -> None:
    """Refuse an optimizer wrapper with several optimizers.

    DeepSpeed builds one engine around one optimizer: a config whose
    ``optim_wrapper`` is an ``OptimWrapperDict``
    (:func:`holds_several_optimizers`) cannot train with it.

    Args:
        optim_wrapper (dict | OptimWrapperDict): The ``optim_wrapper`` of a
            config, or a built wrapper.
        config (str): How to name the config in the error.

    Raises:
        ValueError: naming ``config`` and the wrapper's keys, and pointing to
            DDP (``tools/dist_train.sh``).
    """
    if not holds_several_optimizers(optim_wrapper):
        return
    keys = ', '.join(sorted(map(str, optim_wrapper.keys())))
    raise ValueError(
        f'{config}: DeepSpeed trains one optimizer, but optim_wrapper holds '
        f'several optimizer wrappers (keys: {keys}). Methods with several '
        'optimizers (a discriminator, a generator) train with DDP: drop the '
        'DeepSpeed strategy (runner_type, strategy) and run '
        '`tools/dist_train.sh CONFIG NUM_GPUS` or slurm/train.sh.')


def enable_half_precision(ds_config: dict,
                          precision: str,
                          config: str = 'the config') -> None:
    """Turn on DeepSpeed's ``'bf16'`` or ``'fp16'`` in ``ds_config`` (in
    place), with the module buffers in the same dtype.

    DeepSpeed 0.19 casts only the parameters and keeps buffers in fp32 by
    default; BatchNorm then fails on the mix (bf16 weights, fp32 running
    statistics). ``data_types.buffer_dtype`` casts them too, unless the
    config sets it.

    Raises:
        ValueError: if the other half precision is enabled too.
    """
    if precision not in HALF_PRECISIONS:
        raise ValueError(f'{config}: precision must be one of '
                         f'{HALF_PRECISIONS}, got {precision!r}')
    other = 'fp16' if precision == 'bf16' else 'bf16'
    if ds_config.get(other, {}).get('enabled', False):
        raise ValueError(f'{config}: the DeepSpeed strategy enables both '
                         'bf16 and fp16; choose one')
    _update_section(ds_config, precision, enabled=True)
    data_types = dict(ds_config.get('data_types') or {})
    data_types.setdefault('buffer_dtype', precision)
    ds_config['data_types'] = data_types


def _update_section(ds_config: dict, name: str, **values) -> None:
    """``ds_config[name].update(values)``, also where ``ds_config`` is a
    ``ConfigDict`` (whose ``setdefault`` returns a detached copy)."""
    section = dict(ds_config.get(name) or {})
    section.update(values)
    ds_config[name] = section


def half_precision(ds_config: dict) -> Optional[str]:
    """``'bf16'``, ``'fp16'`` or None: the half precision ``ds_config``
    enables."""
    for name in HALF_PRECISIONS:
        if ds_config.get(name, {}).get('enabled', False):
            return name
    return None


def _amp_precision(amp_cfg: dict, bf16_supported: bool, config: str) -> str:
    dtype = str(amp_cfg.get('dtype')).replace('torch.', '')
    if dtype == 'bfloat16':
        return 'bf16'
    if dtype == 'float16':
        return 'fp16'
    if dtype == 'None':
        return 'bf16' if bf16_supported else 'fp16'
    raise ValueError(f'{config}: AmpOptimWrapper dtype {dtype!r} has no '
                     'DeepSpeed equivalent (bfloat16 or float16)')


def _set_option(ds_config: dict, key: str, value, source: str, config: str,
                default=None) -> None:
    current = ds_config.get(key, default)
    if current not in (None, default, value):
        raise ValueError(f'{config}: optim_wrapper.{source} gives {key}='
                         f'{value}, the DeepSpeed strategy {current}')
    ds_config[key] = value


def to_deepspeed_optim_wrapper(optim_wrapper: dict,
                               ds_config: dict,
                               config: str = 'the config',
                               bf16_supported: bool = True) -> ConfigDict:
    """Split an ``optim_wrapper`` config into a ``DeepSpeedOptimWrapper``
    config and DeepSpeed options.

    ``optimizer``, ``constructor`` and ``paramwise_cfg`` stay in the
    wrapper; into ``ds_config`` (DeepSpeed's config dict, in place) go

    * ``clip_grad=dict(max_norm=x)`` as ``gradient_clipping=x``;
    * ``accumulative_counts=n`` as ``gradient_accumulation_steps=n``;
    * ``type='AmpOptimWrapper'`` (``--amp``) as bf16 -- or fp16 where
      ``bf16_supported`` is False or ``dtype='float16'`` -- with a numeric
      ``loss_scale`` as fp16's static ``loss_scale`` ('dynamic' is
      DeepSpeed's default).

    Args:
        optim_wrapper (dict): The config's ``optim_wrapper``.
        ds_config (dict): DeepSpeed's config (the strategy's), updated.
        config (str): How to name the config in errors.
        bf16_supported (bool): Whether the accelerator has bf16.

    Returns:
        ConfigDict: ``dict(type='DeepSpeedOptimWrapper', optimizer=...)``.

    Raises:
        ValueError: for several optimizers (:func:`check_single_optimizer`),
            a wrapper type or key without a DeepSpeed equivalent, gradient
            clipping other than by 2-norm, or an option that contradicts
            one the strategy sets.
    """
    check_single_optimizer(optim_wrapper, config)
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    converted = {'type', 'clip_grad', 'accumulative_counts'}
    if wrapper_type == 'AmpOptimWrapper':
        converted |= {'dtype', 'loss_scale'}
    elif wrapper_type not in ('OptimWrapper', 'DeepSpeedOptimWrapper'):
        raise ValueError(
            f'{config}: optim_wrapper type {wrapper_type!r} cannot train '
            'with DeepSpeed; use OptimWrapper (or AmpOptimWrapper, i.e. '
            '--amp, for bf16/fp16)')
    unknown = sorted(set(optim_wrapper) - set(KEPT_KEYS) - converted)
    if unknown:
        raise ValueError(f'{config}: optim_wrapper keys {", ".join(unknown)} '
                         f'of {wrapper_type} have no DeepSpeed equivalent')

    clip_grad = optim_wrapper.get('clip_grad')
    if clip_grad:
        if (clip_grad.get('type', 'norm') != 'norm'
                or float(clip_grad.get('norm_type', 2)) != 2.0
                or 'max_norm' not in clip_grad):
            raise ValueError(
                f'{config}: DeepSpeed clips gradients by their 2-norm '
                f'(clip_grad=dict(max_norm=...)), got {dict(clip_grad)}')
        _set_option(ds_config, 'gradient_clipping',
                    float(clip_grad['max_norm']), 'clip_grad', config)
    counts = int(optim_wrapper.get('accumulative_counts', 1))
    if counts != 1:
        _set_option(ds_config, 'gradient_accumulation_steps', counts,
                    'accumulative_counts', config, default=1)

    if wrapper_type == 'AmpOptimWrapper':
        precision = _amp_precision(optim_wrapper, bf16_supported, config)
        scale = optim_wrapper.get('loss_scale', 'dynamic')
        if precision == 'fp16' and scale != 'dynamic':
            if isinstance(scale, bool) or not isinstance(scale, (int, float)):
                raise ValueError(
                    f'{config}: AmpOptimWrapper loss_scale {scale!r}: set '
                    "the strategy's fp16 loss-scale keys instead")
            _update_section(ds_config, 'fp16', loss_scale=scale)
        enable_half_precision(ds_config, precision, config)
    return ConfigDict(
        type='DeepSpeedOptimWrapper',
        **{k: optim_wrapper[k]
           for k in KEPT_KEYS if k in optim_wrapper})
