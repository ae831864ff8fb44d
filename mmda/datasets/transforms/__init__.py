from .depth import LoadDepthMap
from .loading import LoadDAAnnotations, LoadDAImageFromFile

__all__ = ['LoadDAAnnotations', 'LoadDAImageFromFile', 'LoadDepthMap']
