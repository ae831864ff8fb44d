# Ablation of GIO-Ada without geometry (semantic-only input/output
# adaptation): G sees image + one-hot label (no depth channel), T has no
# depth head, D_out sees the segmentation softmax only. Everything else as
# ./gio-ada_deeplabv2-small_sim2real-synthia-to-cityscapes.py.
_base_ = './gio-ada_deeplabv2-small_sim2real-synthia-to-cityscapes.py'
model = dict(
    depth_head=None,
    generator=dict(with_depth=False),
    discriminator=dict(discriminators=dict(output=dict(in_channels=19))))
optim_wrapper = dict(depth_head=None)  # no depth head, no optimizer
train_dataloader = dict(
    dataset=dict(
        source=dict(with_depth=False,
                    pipeline={{_base_.synthia_pipeline}})))
