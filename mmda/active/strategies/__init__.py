"""Acquisition strategies: score a target image, pick what to label.

Registered in mmseg's ``TASK_UTILS``; the
:class:`~mmda.engine.ActiveSelectionHook` builds one from its ``strategy``
argument, e.g. ``strategy=dict(type='RandomRegions', budget_ratio=0.022)``.
"""
from .base_region_strategy import BaseRegionStrategy
from .base_strategy import BaseAcquisitionStrategy
from .impurity_only import ImpurityOnly
from .pixel_impurity_uncertainty import PixelImpurityUncertainty
from .random_regions import RandomRegions
from .region_impurity_uncertainty import RegionImpurityUncertainty
from .uncertainty_only import UncertaintyOnly

__all__ = [
    'BaseAcquisitionStrategy', 'BaseRegionStrategy',
    'RegionImpurityUncertainty', 'PixelImpurityUncertainty', 'RandomRegions',
    'UncertaintyOnly', 'ImpurityOnly'
]
