# PLCA on the embedded sim2real benchmark (small DeepLab-v2, random init,
# 3000 iterations of 2 source + 2 target images, the benchmark's common
# schedule: SGD 0.01 with the classifier at 10x, poly 0.9), with PLCA's
# losses as released (docs/methods.md#plca): association at the feature
# (layer 4, cosine) and output (softmax, -KL) levels, 0.1 each, with
# spatial aggregation (0.5); Lovasz 0.75 (the official value on one GPU
# without accumulation); LSR tau 10, 0.01 per domain; test-time
# aggregation on. The maps are small (32x18 source, 32x16 target pixels):
# one block, no reduction.
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
    '../_base_/methods/plca.py',
]
model = _base_.pop('plca_model')
