"""mmda: domain-adaptive semantic segmentation on MMSegmentation 1.x.

Importing the package registers every mmda dataset, transform, sampler,
model, hook and metric into MMSegmentation's registries, so configs load it
with ``custom_imports = dict(imports=['mmda'], allow_failed_imports=False)``.
Importing it patches nothing global: checkpoints are read by
:func:`mmda.utils.load_local_checkpoint` where mmda loads them.
"""
from .version import __version__
from . import utils  # noqa: F401,I001
from . import datasets, engine, evaluation, models  # noqa: F401

__all__ = ['__version__']
