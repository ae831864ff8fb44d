"""DeepSpeed training of single-optimizer methods on GPU and on CPU.

mmengine trains with DeepSpeed through ``runner_type='FlexibleRunner'`` and a
DeepSpeed strategy: one ``deepspeed.DeepSpeedEngine`` with *one* optimizer
and its own train step (preprocess, ``forward(mode='loss')``,
``parse_losses``, ``engine.backward``, ``engine.step``). That fits the
methods whose whole objective is in ``loss()`` (source-only, RIPU); methods
with several optimizers (a discriminator, a generator) need an
``OptimWrapperDict`` and train with DDP only.

:class:`MMDADeepSpeedStrategy` is mmengine's ``DeepSpeedStrategy`` with what
mmda's configs and this stack (mmengine 0.10.7, deepspeed 0.19) need:

* **Optimizer wrapper**: the config's ordinary ``optim_wrapper`` (an
  ``OptimWrapper`` with ``optimizer``, ``paramwise_cfg``, ``clip_grad``,
  ``accumulative_counts``) becomes a ``DeepSpeedOptimWrapper``;
  ``clip_grad=dict(max_norm=x)`` becomes DeepSpeed's ``gradient_clipping``
  and ``accumulative_counts`` its ``gradient_accumulation_steps``. An
  ``OptimWrapperDict`` (several optimizers) is refused with a
  ``ValueError`` that names the config and the wrapper's keys
  (:mod:`mmda.engine.strategies.deepspeed_cfg`).
* **Mixed precision**: ``--amp`` (an ``AmpOptimWrapper``) turns on
  DeepSpeed's bf16 where the accelerator has it (recent GPUs, and CPUs),
  else fp16 with dynamic loss scaling. With bf16/fp16 the buffers are
  cast too (``data_types.buffer_dtype``: DeepSpeed 0.19 keeps buffers in
  fp32, and BatchNorm then fails on mixed dtypes), and the model takes fp32
  data from any caller (:func:`cast_model_io`: inputs cast on entry,
  predicted ``seg_logits`` back to fp32), so hooks that run it themselves,
  like RIPU's selection round, work. DeepSpeed's CPU accelerator has no
  fp16: on CPU, use fp32 or bf16.
* **Process group**: initialised by :func:`mmda.engine.launch.init_distributed`
  (gloo on CPU, nccl on GPU) instead of mmengine's ``init_dist``, which
  calls ``torch.cuda.set_device``. A one-process run (``--launcher none``)
  gets a one-rank group kept in memory (no port): ``deepspeed.initialize``
  would otherwise look for MPI.
* **CPU**: DeepSpeed picks its CPU accelerator when no GPU is visible; it
  talks over gloo (oneCCL only when ``oneccl_bindings_for_pytorch`` is
  installed). The just-in-time build of its shared-memory all-reduce kernel
  (about 30 s of C++ compilation, used by DeepSpeed-Inference only) is
  skipped.
* **deepspeed 0.19**: mmengine 0.10.7 imports the 1-bit optimizers from
  ``deepspeed.runtime.fp16.onebit``, which this deepspeed no longer has:
  building mmengine's strategy fails. The DeepSpeed optimizers that this
  deepspeed has are registered instead (``DeepSpeedCPUAdam``,
  ``FusedAdam``, ``FusedLamb``).
* **Hooks and checkpoints**: mmengine's strategy ignores the
  ``before_save_checkpoint`` / ``after_load_checkpoint`` callbacks, so hook
  state (RIPU's active-label ledger) was neither saved nor resumed; here it
  is, in the DeepSpeed checkpoint's client state, in plain containers
  (:func:`~mmda.utils.checkpoint_compat.plain_checkpoint_state`).
  ``load_from`` also accepts an ordinary mmengine/mmseg checkpoint *file*
  (DeepSpeed itself reads only its checkpoint directories), e.g. to adapt
  from source-only weights; it is read safely and must fit the model.
* **Safe loading**: DeepSpeed unpickles its files with
  ``weights_only=False``; every file of a directory is vetted first
  (:func:`~mmda.utils.checkpoint_compat.check_deepspeed_checkpoint_dir`)
  and one naming anything outside the allow-list is refused.

Checkpoints are DeepSpeed directories (``iter_N.pth/`` with the model and
the ZeRO-partitioned optimizer states); ``--resume`` reads them.
``tools/model_converters/deepspeed2mmseg.py`` turns one into an ordinary
mmseg checkpoint file for ``tools/test.py`` or mmseg alone. Use it through
``configs/_base_/strategies/deepspeed_zero{1,2}.py``.
"""
import contextlib
import os.path as osp
from typing import Optional

import deepspeed
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine._strategy import deepspeed as _mmengine_deepspeed
from mmengine._strategy.deepspeed import DeepSpeedStrategy
from mmengine.config import ConfigDict
from mmengine.registry import OPTIMIZERS, STRATEGIES
from mmengine.runner.checkpoint import load_state_dict
from mmengine.utils import apply_to

from ...utils.checkpoint_compat import (check_deepspeed_checkpoint_dir,
                                        deepspeed_globals,
                                        load_local_checkpoint,
                                        message_hub_state,
                                        plain_checkpoint_state,
                                        refuse_executable_meta)
from ...utils.checkpoint_fit import (DEFAULT_REVISE_KEYS,
                                     check_checkpoint_fits)
from ..launch import init_distributed, process_group_backend
from .deepspeed_cfg import (check_single_optimizer, enable_half_precision,
                            half_precision, to_deepspeed_optim_wrapper)

_HALF_DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)


@contextlib.contextmanager
def _deepspeed_optimizers_of_this_version():
    """Within the block, mmengine registers only the DeepSpeed optimizers
    that the installed deepspeed has (it imports the removed 1-bit ones)."""

    def register():
        from deepspeed.ops.adam import DeepSpeedCPUAdam, FusedAdam
        from deepspeed.ops.lamb import FusedLamb
        names = []
        for cls in (DeepSpeedCPUAdam, FusedAdam, FusedLamb):
            if cls.__name__ not in OPTIMIZERS.module_dict:
                OPTIMIZERS.register_module(module=cls)
            names.append(cls.__name__)
        return names

    saved = _mmengine_deepspeed.register_deepspeed_optimizers
    _mmengine_deepspeed.register_deepspeed_optimizers = register
    try:
        yield
    finally:
        _mmengine_deepspeed.register_deepspeed_optimizers = saved


def init_single_process_group() -> None:
    """A one-rank default process group (nccl on GPU, gloo on CPU) whose
    store lives in memory: no port, no environment variables. Does nothing
    when a group exists."""
    if dist.is_initialized():
        return
    dist.init_process_group(
        backend=process_group_backend(),
        store=dist.HashStore(),
        rank=0,
        world_size=1)


def _skip_cpu_shm_kernel_build() -> None:
    """Keep DeepSpeed's CPU backend from compiling its shared-memory
    all-reduce kernel: only DeepSpeed-Inference uses it; training
    all-reduces through the process group."""
    from deepspeed.accelerator import get_accelerator
    if get_accelerator().device_name() != 'cpu':
        return
    compatible = getattr(deepspeed.ops, '__compatible_ops__', None)
    if isinstance(compatible, dict):
        compatible['deepspeed_shm_comm'] = False


def _cast_floating(data, dtype):
    """``data`` with its floating tensors (in nested dicts, lists and
    tuples) cast to ``dtype``."""
    return apply_to(data,
                    lambda x: torch.is_tensor(x) and x.is_floating_point(),
                    lambda x: x.to(dtype))


def cast_model_io(model: nn.Module, dtype: torch.dtype) -> None:
    """Let a model whose weights are in ``dtype`` (bf16/fp16) be called
    with fp32 data from anywhere.

    DeepSpeed's train step and mmengine's engine wrapper cast the inputs
    they pass, but hooks that run the model themselves (RIPU's selection
    round calls ``model.test_step``) pass fp32 images. Forward hooks on
    ``model`` cast floating ``inputs`` to ``dtype`` on entry and, in
    ``predict`` mode, the data samples' floating pixel maps
    (``seg_logits``) back to fp32 on exit.
    """

    def cast_inputs(module, args, kwargs):
        if args:
            args = (_cast_floating(args[0], dtype), ) + tuple(args[1:])
        if 'inputs' in kwargs:
            kwargs['inputs'] = _cast_floating(kwargs['inputs'], dtype)
        return args, kwargs

    def cast_predictions(module, args, kwargs, output):
        if kwargs.get('mode') != 'predict' or not isinstance(output, list):
            return output
        for sample in output:
            for name, field in sample.items():
                value = getattr(field, 'data', None)
                if torch.is_tensor(value) and value.dtype == dtype:
                    field.data = value.float()
        return output

    model.register_forward_pre_hook(cast_inputs, with_kwargs=True)
    model.register_forward_hook(cast_predictions, with_kwargs=True)


@STRATEGIES.register_module()
class MMDADeepSpeedStrategy(DeepSpeedStrategy):
    """mmengine's ``DeepSpeedStrategy`` for mmda configs, on GPU and CPU.

    Takes the arguments of ``mmengine._strategy.DeepSpeedStrategy``
    (``zero_optimization``, ``bf16``, ``fp16``, ``gradient_clipping``,
    ``config`` for any other DeepSpeed key, ...). What differs (see the
    module docstring): the optimizer-wrapper conversion
    (:func:`~mmda.engine.strategies.to_deepspeed_optim_wrapper`) and the
    refusal of several optimizers, ``--amp``, buffers and model inputs in
    the half dtype, the process group, hook state in checkpoints and
    ``load_from`` files.
    """

    def __init__(self, **kwargs) -> None:
        #: how errors name the config (FlexibleRunner passes its file name
        #: as the experiment name)
        name = kwargs.get('experiment_name')
        self.config_name = f'config {name}' if name else 'the config'
        with _deepspeed_optimizers_of_this_version():
            super().__init__(**kwargs)
        # a plain dict: DeepSpeed reads it, the conversions update it
        self.config = ConfigDict(self.config).to_dict()
        precision = half_precision(self.config)
        if precision is not None:
            enable_half_precision(self.config, precision, self.config_name)

    # ---------------------------------------------------------- environment
    def _setup_env(self, **kwargs) -> None:
        if (kwargs.get('launcher') or 'none') == 'none':
            init_single_process_group()
        _skip_cpu_shm_kernel_build()
        super()._setup_env(**kwargs)

    def _setup_distributed(self,
                           launcher: Optional[str] = None,
                           backend: str = 'nccl',
                           **kwargs) -> None:
        """gloo on CPU, nccl on GPU (mmda's ``init_distributed``)."""
        timeout = kwargs.get('timeout')
        if timeout is None:
            init_distributed(launcher)
        else:
            init_distributed(launcher, timeout_s=int(timeout))

    # ------------------------------------------------------------- building
    def prepare(self, model, *, dispatch_kwargs=None, **kwargs):
        # FlexibleRunner gives the batch size to a strategy named exactly
        # 'DeepSpeedStrategy'; it also comes in dispatch_kwargs
        batch = (dispatch_kwargs or {}).get('train_micro_batch_size_per_gpu')
        if batch is not None:
            self.config.setdefault('train_micro_batch_size_per_gpu', batch)
        return super().prepare(
            model, dispatch_kwargs=dispatch_kwargs, **kwargs)

    def _wrap_model(self, model: nn.Module):
        """The DeepSpeed engine; with bf16/fp16 the model also takes fp32
        data (:func:`cast_model_io`)."""
        wrapper = super()._wrap_model(model)
        precision = half_precision(self.config)
        if precision is not None:
            cast_model_io(wrapper.model.module, _HALF_DTYPES[precision])
        return wrapper

    def build_optim_wrapper(self, optim_wrapper, model=None):
        """Build a ``DeepSpeedOptimWrapper`` from an mmda ``optim_wrapper``
        config (see
        :func:`~mmda.engine.strategies.to_deepspeed_optim_wrapper`).

        Raises:
            ValueError: for several optimizers, naming the config.
        """
        if isinstance(optim_wrapper, dict):  # (checked by the conversion)
            from deepspeed.accelerator import get_accelerator
            optim_wrapper = to_deepspeed_optim_wrapper(
                optim_wrapper,
                self.config,
                self.config_name,
                bf16_supported=bool(get_accelerator().is_bf16_supported()))
        else:
            check_single_optimizer(optim_wrapper, self.config_name)
        return super().build_optim_wrapper(optim_wrapper, model)

    # ---------------------------------------------------------- checkpoints
    def save_checkpoint(self,
                        filename: str,
                        *,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        extra_ckpt: Optional[dict] = None,
                        callback=None) -> None:
        """Save a DeepSpeed checkpoint directory; the hooks'
        ``before_save_checkpoint`` (``callback``) first add their state to
        its client state."""
        extra_ckpt = {} if extra_ckpt is None else extra_ckpt
        if callback is not None:
            callback(extra_ckpt)
        # plain containers: read back with weights_only=True
        extra_ckpt.update(plain_checkpoint_state(extra_ckpt))
        super().save_checkpoint(
            filename,
            save_optimizer=save_optimizer,
            save_param_scheduler=save_param_scheduler,
            extra_ckpt=extra_ckpt)

    def resume(self, filename: str, *, callback=None, **kwargs) -> dict:
        """Resume from a DeepSpeed checkpoint directory; the hooks'
        ``after_load_checkpoint`` (``callback``) then get its client state.

        Raises:
            FileNotFoundError: if ``filename`` is not a directory.
        """
        if not osp.isdir(filename):
            raise FileNotFoundError(
                f'{filename} is not a DeepSpeed checkpoint directory: a '
                'DeepSpeed run resumes from its own iter_N.pth/ directories '
                '(to start from the weights of a checkpoint file, set '
                'load_from instead)')
        # DeepSpeed unpickles with weights_only=False: vet the files first
        check_deepspeed_checkpoint_dir(filename, deepspeed_globals())
        checkpoint = super().resume(filename, **kwargs)
        refuse_executable_meta(checkpoint, filename)
        if 'message_hub' in checkpoint:
            message_hub_state(checkpoint['message_hub'])
        if callback is not None:
            callback(checkpoint)
        return checkpoint

    def load_checkpoint(self, filename: str, *, callback=None,
                        **kwargs) -> dict:
        """Load weights from a DeepSpeed checkpoint directory (its files
        vetted first: DeepSpeed unpickles with ``weights_only=False``) or
        from an ordinary mmengine/mmseg checkpoint file, read safely and
        refused unless it fits the model exactly."""
        if osp.isdir(filename):
            check_deepspeed_checkpoint_dir(filename, deepspeed_globals())
            checkpoint = super().load_checkpoint(filename, **kwargs)
        else:
            self.logger.info(f'Load checkpoint from {filename}')
            checkpoint = load_local_checkpoint(filename, map_location='cpu')
            state = check_checkpoint_fits(
                self.model.module, checkpoint, filename,
                f'the model of {self.config_name}',
                kwargs.get('revise_keys', DEFAULT_REVISE_KEYS))
            load_state_dict(self.model.module, state, strict=True)
            # ZeRO steps its own fp32 copy of the weights: refill it
            optimizer = getattr(self.model, 'optimizer', None)
            if hasattr(optimizer, 'refresh_fp32_params'):
                optimizer.refresh_fp32_params()
        if callback is not None:
            callback(checkpoint)
        return checkpoint
