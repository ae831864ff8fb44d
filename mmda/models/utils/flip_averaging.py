from contextlib import contextmanager

import torch.nn as nn


@contextmanager
def without_test_flip(model: nn.Module):
    """Predict without horizontal-flip averaging inside the block: every
    module of ``model`` whose ``test_cfg`` sets ``flip`` (e.g.
    :class:`~mmda.models.segmentors.DAEncoderDecoder`, RIPU's evaluation)
    has it off, and back as it was afterwards.

    RIPU's acquisition scores the plain prediction of each target image
    (``BIT-DA/RIPU:core/active/build.py``) while its evaluation averages
    over the flip (``BIT-DA/RIPU:test.py``);
    :class:`~mmda.engine.ActiveSelectionHook` scores inside this block.
    """
    changed = []
    for module in model.modules():
        test_cfg = getattr(module, 'test_cfg', None)
        if isinstance(test_cfg, dict) and test_cfg.get('flip', False):
            changed.append(test_cfg)
            test_cfg['flip'] = False
    try:
        yield model
    finally:
        for test_cfg in changed:
            test_cfg['flip'] = True
