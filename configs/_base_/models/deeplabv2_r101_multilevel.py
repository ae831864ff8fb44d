# DeepLab-v2 ResNet-101 with AdvEnt's two levels: the ASPP-sum classifier
# (dilations 6/12/18/24) on layer4 (main) and another on layer3 (auxiliary,
# CE weight 0.1), as a MultiLevelEncoderDecoder (plain EncoderDecoder
# weights). ImageNet weights: see ./deeplabv2_r101.py.
_base_ = './deeplabv2_r101.py'
# (the main head on another input, a tenth of the loss)
model = dict(type='MultiLevelEncoderDecoder', auxiliary_head=dict(
    _base_.model.decode_head, in_channels=1024, in_index=0,
    loss_decode=dict(_base_.model.decode_head.loss_decode, loss_weight=0.1)))
