# TGCF-DA stage A on the embedded benchmark: trains G(x_s, x_t) (GTA5-layout
# source content, Cityscapes-layout target style) against a multi-scale
# PatchGAN, with the frozen source-only small DeepLab-v2 as the semantic
# constraint (the paper used FCN-8s). Quarter-width networks to match the
# benchmark's quarter-width segmentor, 1000 iterations of 2 + 2 images (a
# design choice).
#
# Needs the source-only run's weights (segmentor_checkpoint): train
# configs/baselines/source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py
# first, or run tools/tgcf_pipeline.py (benchmarks/sim2real_results.py does).
_base_ = [
    '../_base_/models/tgcf_da_deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
]
max_iters = 1000
model = dict(
    generator=dict(base_channels=16, n_res=2),
    discriminator=dict(base_channels=16),
    segmentor_checkpoint='work_dirs/source-only_deeplabv2-small_'
    'sim2real-gta5-to-cityscapes/iter_3000.pth')
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# a generator stage: nothing to validate or test
val_dataloader = None
val_evaluator = None
test_dataloader = None
test_evaluator = None
