from .active_labels import LoadActiveLabels
from .depth import LoadDepthMap
from .loading import LoadDAAnnotations, LoadDAImageFromFile

__all__ = [
    'LoadActiveLabels', 'LoadDAAnnotations', 'LoadDAImageFromFile',
    'LoadDepthMap'
]
