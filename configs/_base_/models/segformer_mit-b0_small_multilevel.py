# ./segformer_mit-b0_small.py with the two levels of the multi-level
# methods (AdvEnt, MinEnt, IntraDA): the all-MLP head over the four stages
# (main) and an FCN classifier on the third stage (auxiliary, CE weight
# 0.1), as a MultiLevelEncoderDecoder (plain EncoderDecoder weights).
#
# What a multi-level method needs of a model base: `model.type`
# MultiLevelEncoderDecoder, the main classifier as `decode_head` and exactly
# one `auxiliary_head` (any mmseg heads: each maps the backbone's features
# to class scores); nothing else of DeepLab's layout.
_base_ = './segformer_mit-b0_small.py'
model = dict(
    type='MultiLevelEncoderDecoder',
    auxiliary_head=dict(
        type='FCNHead',
        in_channels=160,
        in_index=2,
        channels=64,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        loss_decode=dict(
            type='CrossEntropyLoss', avg_non_ignore=True, loss_weight=0.1)))
