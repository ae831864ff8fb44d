# RIPU, region-based annotating (RA), 2.2 % of the target pixels, on the
# embedded sim2real benchmark (small DeepLab-v2, random init).
# The recipe of docs/methods.md#ripu on a short schedule: five selection
# rounds at 25-45 % of training (10k-18k of 40k in the original), radius
# K = 1,
# class-balanced source sampling, CE(src) + CE(tgt labelled) + 0.1 L_cr(src)
# + 1.0 L_nl(tgt, tau = 0.05).
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
    '../_base_/methods/ripu.py',
]
model = _base_.pop('ripu_model')
train_dataloader = dict(
    sampler=_base_.pop('ripu_source_sampler'),
    dataset=dict(target=dict(pipeline=_base_.target_active_pipeline)))
scoring_dataloader = dict(
    batch_size=4, num_workers=2, dataset=_base_.target_train_scoring)
select_iters = [750, 900, 1050, 1200, 1350]
# (configs inheriting from this one redefine custom_hooks: lists replace)
custom_hooks = [
    dict(
        _base_.custom_hooks[0],
        dataloader=scoring_dataloader,
        select_iters=select_iters)
]
