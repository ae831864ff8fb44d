# Self-ensembling alone (the paper's "Self-Ensembling" row), SYNTHIA ->
# Cityscapes, 16-class protocol (mIoU16; mIoU13 is reported beside it),
# DeepLab-v2 ResNet-101 (ImageNet weights from the local
# checkpoints/resnet101-63fe2227.pth: nothing is downloaded), the RIPU/
# AdvEnt-style schedule (SGD 2.5e-4, classifier 10x, poly over 62.5k
# iterations, stopped at 40k). Student with dropout 0.1 on the classifier
# input (network perturbation; a design value), its EMA teacher (frozen BN:
# norm_eval), consistency of their target softmax maps under independent
# Gaussian input noise: ../_base_/methods/self_ensembling.py.
_base_ = [
    '../_base_/models/self_ensembling_deeplabv2_r101_16.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
]
