# TGCF-DA stage A, SYNTHIA -> Cityscapes-16: trains G(x_s, x_t) against the
# multi-scale PatchGAN with the frozen source-only DeepLab-v2 ResNet-101 as
# the semantic constraint (the paper used FCN-8s); one source and one
# target image per iteration at the source pipeline's scale. Sizes,
# weights and schedule: ../_base_/methods/tgcf_da.py.
#
# segmentor_checkpoint: the final checkpoint of configs/baselines/
# source-only_deeplabv2-r101_synthia-to-cityscapes-16.py.
_base_ = [
    '../_base_/models/tgcf_da_deeplabv2_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
]
model = dict(
    segmentor=dict(decode_head=dict(num_classes=16)),
    segmentor_checkpoint='work_dirs/source-only_deeplabv2-r101_syn'
    'thia-to-cityscapes-16/iter_40000.pth')
train_dataloader = dict(batch_size=1)
# a generator stage: nothing to validate or test
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
