# RIPU's GTA5 -> Cityscapes recipe (docs/methods.md#ripu) on any
# EncoderDecoder model base: the data, runtime and 62.5k-horizon schedule
# stopped at 40k with the method's parts (./ripu.py) taken into them,
# selection scored on one full-resolution image at a time.
# An experiment names its model base and takes the model:
#
#   _base_ = ['../_base_/models/<model>.py',
#             '../_base_/methods/ripu_gta5_to_cityscapes.py']
#   model = _base_.pop('ripu_model')
_base_ = [
    '../datasets/gta5_to_cityscapes.py',
    '../default_runtime.py',
    '../schedules/sgd_poly_62k_stop40k.py',
    './ripu.py',
]
train_dataloader = dict(
    sampler=_base_.pop('ripu_source_sampler'),
    dataset=dict(target=dict(pipeline=_base_.target_active_pipeline)))
# RIPU's evaluation as released (BIT-DA/RIPU:test.py): validation and
# test average the softmax over a horizontal flip; logits are upsampled with
# align_corners=True, as everywhere in the original (losses, scoring, test)
ripu_model = dict(
    decode_head=dict(align_corners=True),
    test_cfg=dict(mode='whole', flip=True))
scoring_dataloader = dict(
    batch_size=1, num_workers=4, dataset=_base_.target_train_scoring)
# (configs inheriting from this one redefine custom_hooks: lists replace)
custom_hooks = [
    dict(_base_.custom_hooks[0], dataloader=scoring_dataloader)
]
