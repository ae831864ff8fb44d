"""mmengine's ``Runner`` with safe, strict checkpoint loading."""
from typing import Callable, Union

from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_state_dict

from mmseg.registry import RUNNERS
from mmda.utils.checkpoint_compat import (load_local_checkpoint,
                                          message_hub_state,
                                          plain_checkpoint_state,
                                          refuse_executable_meta)
from mmda.utils.checkpoint_fit import (DEFAULT_REVISE_KEYS,
                                       CheckpointMismatchError,
                                       check_checkpoint_fits)


def check_training_state(checkpoint: dict, filename: str,
                         optim_state: dict) -> None:
    """Refuse to resume from ``checkpoint`` unless it is a training
    checkpoint whose optimizer state has the shape of ``optim_state`` (the
    built optimizer wrapper's): otherwise mmengine fails with a bare
    ``KeyError`` or loads momenta into the wrong parameters.

    Raises:
        CheckpointMismatchError: naming the file and what differs.
        UnsafeCheckpointError: for a meta ``config`` text, which mmengine's
            resume would execute.
    """
    meta = checkpoint.get('meta')
    missing = [k for k in ('meta', 'message_hub') if k not in checkpoint]
    if isinstance(meta, dict):
        missing += [f'meta.{k}' for k in ('iter', 'epoch') if k not in meta]
    if missing:
        raise CheckpointMismatchError(
            f'cannot resume from {filename}: it is not a training checkpoint '
            f'(no {", ".join(missing)}); to start from its weights, set '
            'load_from instead of --resume')
    refuse_executable_meta(checkpoint, filename)
    if 'optimizer' in checkpoint:
        _check_optimizer_state(optim_state, checkpoint['optimizer'],
                               filename, 'optimizer')


def _check_optimizer_state(own, saved, filename: str, where: str) -> None:
    if not isinstance(saved, dict):
        raise CheckpointMismatchError(
            f'cannot resume from {filename}: {where} is a '
            f'{type(saved).__name__}, not an optimizer state')
    if 'param_groups' in own:
        groups = saved.get('param_groups')
        if not isinstance(groups, list):
            raise CheckpointMismatchError(
                f'cannot resume from {filename}: {where} has no '
                f'param_groups (it holds {sorted(map(str, saved))[:5]}); the '
                'checkpoint comes from a run with another optimizer set-up')
        sizes = [len(g['params']) for g in own['param_groups']]
        got = [len(g.get('params', ())) for g in groups]
        if sizes != got:
            raise CheckpointMismatchError(
                f'cannot resume from {filename}: {where} has parameter '
                f'groups of {got} parameters, the model\'s optimizer has '
                f'{sizes}')
        return
    if set(own) != set(saved):
        raise CheckpointMismatchError(
            f'cannot resume from {filename}: {where} holds the optimizers '
            f'{sorted(map(str, saved))}, this run has {sorted(own)}')
    for name, state in own.items():
        _check_optimizer_state(state, saved[name], filename,
                               f'{where}.{name}')


@RUNNERS.register_module()
class MMDARunner(Runner):
    """mmengine's ``Runner`` as mmda's tools build it (same arguments).

    What differs, all about checkpoints:

    * **Safe reading**: every checkpoint is read by
      :func:`~mmda.utils.checkpoint_compat.load_local_checkpoint` (torch's
      restricted unpickler; a file that names anything else is refused
      before it runs).
    * **Plain writing**: after the hooks' ``before_save_checkpoint``, the
      checkpoint's message hub and numpy values are turned into plain
      containers (:func:`~mmda.utils.checkpoint_compat.\
plain_checkpoint_state`), so ``torch.load(weights_only=True)`` reads them
      without an allow-list; resuming rebuilds the message hub.
    * **Strict loading**: ``load_from`` (and ``tools/test.py``) and
      ``resume`` refuse a checkpoint that does not fit the model, naming the
      file, the counts of missing / unexpected / reshaped keys and the model
      it seems to be of (mmengine loads non-strictly and only logs);
      ``resume`` also refuses a checkpoint without training state or with
      another optimizer set-up (mmengine: ``KeyError: 'param_groups'``).
    """

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._resuming = True
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False,
                        revise_keys: list = DEFAULT_REVISE_KEYS):
        """Load ``filename`` safely and strictly (``strict`` is kept for
        mmengine's signature: a checkpoint must always fit)."""
        checkpoint = load_local_checkpoint(filename, map_location)
        if 'message_hub' in checkpoint:
            message_hub_state(checkpoint['message_hub'])
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model
        # a DDP wrapper, or the test-time-augmentation model (--tta), holds
        # the checkpoint's model as .module
        while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
            model = model.module
        state = check_checkpoint_fits(model, checkpoint, filename,
                                      f'the model of {self._cfg_name()}',
                                      revise_keys)
        if getattr(self, '_resuming', False):
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            check_training_state(checkpoint, filename,
                                 self.optim_wrapper.state_dict())
        # mmengine's loader: it unwraps DDP-wrapped children
        load_state_dict(model, state, strict=True)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def call_hook(self, fn_name: str, **kwargs) -> None:
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint':
            checkpoint = kwargs['checkpoint']
            checkpoint.update(plain_checkpoint_state(checkpoint))

    def _cfg_name(self) -> str:
        return getattr(self.cfg, 'filename', None) or self.experiment_name
