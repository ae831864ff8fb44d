from .caffe_deeplabv2_resnet import CaffeDeepLabV2ResNet

__all__ = ['CaffeDeepLabV2ResNet']
