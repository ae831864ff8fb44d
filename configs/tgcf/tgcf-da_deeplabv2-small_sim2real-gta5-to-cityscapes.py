# TGCF-DA without self-ensembling (the paper's "TGCF-DA" row) on the
# embedded benchmark: the small DeepLab-v2 trained with CE on the source and
# its TGCF-DA images (tools/tgcf_generate.py output in tgcf_root); no
# teacher, so the target images are not used.
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_tgcf_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
train_dataloader = dict(
    dataset=dict(_delete_=True, **_base_.source_with_aug_train))
