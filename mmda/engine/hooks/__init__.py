from .test_progress_hook import TestProgressHook

__all__ = ['TestProgressHook']
