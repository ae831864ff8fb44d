from .active_selection_hook import ActiveSelectionHook
from .preemption_hook import PreemptionHook, add_preemption_hook, exit_code
from .test_progress_hook import TestProgressHook

__all__ = [
    'ActiveSelectionHook', 'PreemptionHook', 'TestProgressHook',
    'add_preemption_hook', 'exit_code'
]
