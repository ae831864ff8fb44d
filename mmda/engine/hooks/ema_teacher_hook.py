from typing import Optional

import torch
import torch.nn as nn
from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmseg.registry import HOOKS

from ...models.utils import TEACHER_MODES, set_teacher_mode, unwrap

WARMUPS = ('none', 'dacs')
BUFFER_MODES = ('copy', 'ema', 'skip')


@HOOKS.register_module()
class EMATeacherHook(Hook):
    """Keeps a mean teacher: the exponential moving average of a student.

    mmdet 3.x's split (``MeanTeacherHook`` + ``SemiBaseDetector``): the
    model owns the networks as children named ``student`` and ``teacher``
    (e.g. :class:`~mmda.models.SelfEnsembling`) and computes the losses;
    this hook updates the teacher after the optimizer step:

    .. math::

        \\theta'_t = \\alpha_t\\,\\theta'_{t-1} + (1 - \\alpha_t)\\,\\theta_t

    on every parameter (in the parameter's dtype, computed in fp32), with
    :math:`\\alpha_t = \\alpha` (``warmup='none'``, Tarvainen & Valpola;
    French et al., ICLR 2018) or :math:`\\alpha_t = \\min(1 - 1/(t+1),
    \\alpha)` (``warmup='dacs'``: DACS, ``vikolss/DACS`` ``trainUDA.py``;
    DAFormer's ``mmseg/models/uda/dacs.py``), where ``t`` is the runner's
    0-based iteration. ``t`` is restored with the checkpoint, so a resumed
    run continues the warm-up where it stopped (mmengine's
    ``MomentumAnnealingEMA`` with ``gamma=1`` is the same rule).

    * **Initial copy**: when training starts at iteration 0, the student's
      state is copied into the teacher. A resumed run keeps the teacher of
      its checkpoint (DAFormer re-copies after a resume: its counter is not
      checkpointed).
    * **Gradient accumulation**: the teacher moves only on iterations where
      the optimizer stepped (``optim_wrapper.should_update()``) and whose
      number (1-based) is a multiple of ``interval``.
    * **Buffers** (BN running statistics): ``'copy'`` the student's
      (mmengine's averaged models), ``'ema'`` average the floating ones and
      copy the others (French et al.'s ``EMAWeightOptimizer``) or
      ``'skip'`` (mmdet's default; the teacher then keeps the buffers of the
      initial copy, wrong when BN is trainable).
    * **Teacher mode**: the train loop calls ``model.train()`` before every
      iteration; the hook puts the teacher back in ``teacher_mode`` right
      after (``before_train_iter``): ``'eval'``, ``'train'`` (batch
      statistics and dropout, French et al.'s teacher) or
      ``'train_no_dropout'`` (DAFormer's teacher).
    * **DDP**: the model freezes the teacher (``requires_grad=False``) when
      it is built, before the runner wraps it: DDP does not synchronise it
      and ``MMSeparateDistributedDataParallel`` leaves it unwrapped. Every
      rank applies the same update to the same synchronised student
      parameters, so the teachers' parameters stay identical without
      communication; the buffers (BN running statistics, which differ per
      rank without SyncBN) are broadcast from rank 0 after each update, so
      every rank's teacher is identical. The hook refuses a teacher with
      trainable parameters.

    The teacher's ``α_t`` is logged as ``ema_alpha``. The hook runs at
    ``NORMAL`` priority, before the ``CheckpointHook`` (``VERY_LOW``): a
    checkpoint holds the teacher of its iteration.

    Args:
        alpha (float): EMA decay α in [0, 1). Defaults to 0.99 (French et
            al.; DACS).
        warmup (str): ``'none'`` or ``'dacs'``.
        interval (int): Update after every ``interval``-th iteration (if
            the optimizer stepped in it).
        buffers (str): ``'copy'``, ``'ema'`` or ``'skip'``.
        teacher_mode (str): ``'eval'``, ``'train'`` or
            ``'train_no_dropout'``.
        student (str): Name of the model's student child.
        teacher (str): Name of the model's teacher child.
    """

    priority = 'NORMAL'

    def __init__(self,
                 alpha: float = 0.99,
                 warmup: str = 'none',
                 interval: int = 1,
                 buffers: str = 'copy',
                 teacher_mode: str = 'eval',
                 student: str = 'student',
                 teacher: str = 'teacher'):
        if not 0. <= alpha < 1.:
            raise ValueError(
                f'EMATeacherHook: alpha must be in [0, 1), got {alpha!r}')
        for name, value, choices in (('warmup', warmup, WARMUPS),
                                     ('buffers', buffers, BUFFER_MODES),
                                     ('teacher_mode', teacher_mode,
                                      TEACHER_MODES)):
            if value not in choices:
                raise ValueError(f'EMATeacherHook: {name} must be one of '
                                 f'{choices}, got {value!r}')
        if not isinstance(interval, int) or interval < 1:
            raise ValueError('EMATeacherHook: interval must be an integer '
                             f'>= 1, got {interval!r}')
        self.alpha = float(alpha)
        self.warmup = warmup
        self.interval = interval
        self.buffers = buffers
        self.teacher_mode = teacher_mode
        self.student_name = student
        self.teacher_name = teacher

    # ----------------------------------------------------------- helpers
    def alpha_at(self, iteration: int) -> float:
        """α of the update after (0-based) ``iteration``."""
        if self.warmup == 'dacs':
            return min(1. - 1. / (iteration + 1), self.alpha)
        return self.alpha

    def _networks(self, runner):
        model = unwrap(runner.model)
        found = []
        for name in (self.student_name, self.teacher_name):
            child = getattr(model, name, None)
            if not isinstance(child, nn.Module):
                raise AttributeError(
                    f'EMATeacherHook: the model {type(model).__name__} has '
                    f'no child {name!r} (the hook needs a student and a '
                    'teacher network, e.g. SelfEnsembling)')
            found.append(unwrap(child))
        return found

    @staticmethod
    def _stepped(optim_wrapper) -> bool:
        """Whether the optimizer stepped in the iteration just run."""
        if isinstance(optim_wrapper, OptimWrapperDict):
            return any(w.should_update() for w in optim_wrapper.values())
        return optim_wrapper.should_update()

    # ------------------------------------------------------------- hooks
    def before_train(self, runner) -> None:
        student, teacher = self._networks(runner)
        trainable = [n for n, p in teacher.named_parameters()
                     if p.requires_grad]
        if trainable:
            raise RuntimeError(
                f'EMATeacherHook: the teacher has trainable parameters '
                f'({trainable[:3]}...): it must be frozen when the model is '
                'built (before DDP wraps it)')
        if runner.iter == 0:
            teacher.load_state_dict(student.state_dict())
        set_teacher_mode(teacher, self.teacher_mode)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        set_teacher_mode(self._networks(runner)[1], self.teacher_mode)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not self._stepped(runner.optim_wrapper):
            return
        if (runner.iter + 1) % self.interval:
            return
        alpha = self.alpha_at(runner.iter)
        student, teacher = self._networks(runner)
        self.update(teacher, student, alpha, self.buffers)
        if get_world_size() > 1:
            # BN statistics are per rank (without SyncBN): rank 0's, as
            # DDP's broadcast_buffers does for the student
            for buffer in teacher.buffers():
                broadcast(buffer, src=0)
        runner.message_hub.update_scalar('train/ema_alpha', alpha)

    @staticmethod
    @torch.no_grad()
    def update(teacher: nn.Module, student: nn.Module, alpha: float,
               buffers: str = 'copy') -> None:
        """``teacher ← α·teacher + (1−α)·student`` on the parameters; the
        buffers as ``buffers`` says."""
        t_params = dict(teacher.named_parameters())
        s_params = dict(student.named_parameters())
        if t_params.keys() != s_params.keys():
            raise KeyError(
                'EMATeacherHook: student and teacher parameters differ: '
                f'{sorted(t_params.keys() ^ s_params.keys())[:5]}')
        for name, t in t_params.items():
            s = s_params[name].detach()
            t.copy_(t.float().mul_(alpha).add_(s.float(), alpha=1. - alpha))
        if buffers == 'skip':
            return
        s_buffers = dict(student.named_buffers())
        for name, t in teacher.named_buffers():
            s = s_buffers[name]
            if buffers == 'ema' and t.is_floating_point():
                t.copy_(t.float().mul_(alpha).add_(s.float(),
                                                   alpha=1. - alpha))
            else:
                t.copy_(s)
