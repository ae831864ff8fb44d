# RIPU, region-based annotating (RA), 5 % of the target pixels,
# DeepLab-v3+ ResNet-101, SYNTHIA -> Cityscapes (16 classes, native
# 16-class head). Paper (Cityscapes val mIoU16): 71.4.
# Recipe as ripu_ra-2.2_deeplabv2-r101_synthia-to-cityscapes-16.py; the RA
# normaliser defaults to ln 16 (the original: ln 19, commented below).
#
# ImageNet weights are NOT downloaded: place mmseg's ResNet-101-v1c
# ImageNet weights at the path named in
# ../_base_/models/deeplabv3plus_r101.py
# (checkpoints/resnet101_v1c-e67eebb6.pth).
_base_ = [
    '../_base_/models/deeplabv3plus_r101.py',
    '../_base_/datasets/synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
    '../_base_/methods/ripu.py',
]
model = _base_.pop('ripu_model')
model.decode_head = dict(num_classes=16)
train_dataloader = dict(
    sampler=_base_.pop('ripu_source_sampler'),
    dataset=dict(target=dict(pipeline=_base_.target_active_pipeline)))
scoring_dataloader = dict(
    batch_size=1, num_workers=4, dataset=_base_.target_train_scoring)
# (ln 19, the original's hard-coded RA normaliser: add
# normalizer=2.9444389791664403; ln C = ln 16 by default)
custom_hooks = [
    dict(
        _base_.custom_hooks[0],
        dataloader=scoring_dataloader,
        budget_ratio=0.05)
]
