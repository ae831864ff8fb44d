from .active_selection_hook import ActiveSelectionHook
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .adversarial_discriminator_hook import AdversarialDiscriminatorHook
from .ema_teacher_hook import EMATeacherHook
from .model_contract import check_model_supports
from .preemption_hook import PreemptionHook, add_preemption_hook, exit_code
from .test_progress_hook import TestProgressHook
from .tune_report_hook import TuneReportHook

__all__ = [
    'ActiveSelectionHook', 'AdversarialDiscriminatorHook',
    'AtomicCheckpointHook', 'EMATeacherHook', 'PreemptionHook',
    'TestProgressHook', 'TuneReportHook', 'add_preemption_hook',
    'check_model_supports', 'exit_code'
]
