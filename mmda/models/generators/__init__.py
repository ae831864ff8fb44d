from .image_transform_net import ImageTransformNet

__all__ = ['ImageTransformNet']
