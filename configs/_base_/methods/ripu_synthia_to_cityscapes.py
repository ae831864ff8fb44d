# RIPU's SYNTHIA -> Cityscapes recipe in the 16-class protocol
# (docs/methods.md#ripu) on any 16-class EncoderDecoder model base: the
# data, runtime and 62.5k-horizon schedule stopped at 40k with the method's
# parts (./ripu.py) taken into them, selection scored on one full-resolution
# image at a time. The RA normaliser defaults to ln C = ln 16; the
# original's hard-coded ln 19 is normalizer=2.9444389791664403 in the hook.
# An experiment names its model base and takes the model:
#
#   _base_ = ['../_base_/models/<model>.py',
#             '../_base_/methods/ripu_synthia_to_cityscapes.py']
#   model = _base_.pop('ripu_model')
_base_ = [
    '../datasets/synthia_to_cityscapes.py',
    '../default_runtime.py',
    '../schedules/sgd_poly_62k_stop40k.py',
    './ripu.py',
]
# SYNTHIA resized to 1280x720 as in every released RIPU SYNTHIA config
# (BIT-DA/RIPU:configs/synthia/*.yaml, SOURCE_INPUT_SIZE_TRAIN (1280, 720));
# the AdvEnt / IntraDA configs keep their 1280x760
source_scale = (1280, 720)  # (w, h)
source_pipeline = [
    dict(t, scale=source_scale) if t['type'] == 'Resize' else t
    for t in _base_.source_pipeline
]
source_train = dict(_base_.source_train, pipeline=source_pipeline)
source_train_19 = dict(source_train, num_classes=19)
train_dataloader = dict(
    sampler=_base_.pop('ripu_source_sampler'),
    dataset=dict(
        source=dict(pipeline=source_pipeline),
        target=dict(pipeline=_base_.target_active_pipeline)))
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
