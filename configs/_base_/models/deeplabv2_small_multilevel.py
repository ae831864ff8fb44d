# The small DeepLab-v2 of the embedded benchmark with AdvEnt's two levels:
# the main ASPP-sum classifier on layer4 and an auxiliary one on layer3
# (CE weight 0.1), as a MultiLevelEncoderDecoder (plain EncoderDecoder
# weights).
_base_ = './deeplabv2_small.py'
# (the main head on another input, a tenth of the loss)
model = dict(type='MultiLevelEncoderDecoder', auxiliary_head=dict(
    _base_.model.decode_head, in_channels=64, in_index=0,
    loss_decode=dict(_base_.model.decode_head.loss_decode, loss_weight=0.1)))
