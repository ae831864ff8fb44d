# TGCF-DA without self-ensembling (the paper's "TGCF-DA" row),
# SYNTHIA -> Cityscapes-16 (mIoU16; mIoU13 beside it):
# DeepLab-v2 ResNet-101 trained with CE on the source and its TGCF-DA
# images (tools/tgcf_generate.py into tgcf_root); no teacher, so the
# target images are not used. Schedule as the source-only baseline.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synthia_tgcf_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_62k_stop40k.py',
]
model = dict(decode_head=dict(num_classes=16))
train_dataloader = dict(
    dataset=dict(_delete_=True, **_base_.source_with_aug_train))
