# TGCF-DA + self-ensembling (the paper's method) on the embedded benchmark:
# stage B, a mean teacher trained with CE on the source and its TGCF-DA
# images (tools/tgcf_generate.py output in tgcf_root) and the consistency
# of student and teacher on noisy target images; the model and settings of
# ../self_ensembling/self-ensembling_deeplabv2-small_sim2real-gta5-to-
# cityscapes.py.
_base_ = [
    '../_base_/models/self_ensembling_deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_tgcf_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
