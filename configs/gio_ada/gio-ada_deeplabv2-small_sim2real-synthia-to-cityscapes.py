# GIO-Ada on the SYNTHIA side of the embedded benchmark (small DeepLab-v2,
# random init, 3000 iterations; the generator writes SYNTHIA-convention
# depth: uint16 centimetres, sky 65535). Sizes and weights: see the model
# base; the task and adversarial weights on the segmentor side are 10x the
# defaults for this short run from scratch, as in the AdvEnt sim2real config
# (lambda_depth 0.01, lambda_out 0.01); lambda_in stays 1.0.
_base_ = [
    '../_base_/models/gio_ada_deeplabv2_small.py',
    '../_base_/datasets/sim2real_synthia_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/gio_ada_sim2real.py',
]
model = dict(
    depth_loss=dict(loss_weight=0.01),
    adversarial_losses=dict(output=dict(loss_weight=0.01)))
