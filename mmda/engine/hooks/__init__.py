from .active_selection_hook import ActiveSelectionHook
from .atomic_checkpoint_hook import AtomicCheckpointHook
from .adversarial_discriminator_hook import AdversarialDiscriminatorHook
from .preemption_hook import PreemptionHook, add_preemption_hook, exit_code
from .test_progress_hook import TestProgressHook
from .tune_report_hook import TuneReportHook

__all__ = [
    'ActiveSelectionHook', 'AdversarialDiscriminatorHook',
    'AtomicCheckpointHook', 'PreemptionHook', 'TestProgressHook',
    'TuneReportHook', 'add_preemption_hook', 'exit_code'
]
