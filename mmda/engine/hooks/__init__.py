from .active_selection_hook import ActiveSelectionHook
from .test_progress_hook import TestProgressHook

__all__ = ['ActiveSelectionHook', 'TestProgressHook']
