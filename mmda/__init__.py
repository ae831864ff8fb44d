"""mmda: domain-adaptive semantic segmentation on MMSegmentation 1.x.

Importing the package registers every mmda dataset, transform, sampler,
model, hook and metric into MMSegmentation's registries, so configs load it
with ``custom_imports = dict(imports=['mmda'], allow_failed_imports=False)``.
It also installs the compatibility fixes of
:mod:`mmda.utils.checkpoint_compat`.
"""
from .version import __version__
from . import utils  # noqa: F401,I001  (compatibility fixes first)
from . import datasets, engine, evaluation, models  # noqa: F401

__all__ = ['__version__']
