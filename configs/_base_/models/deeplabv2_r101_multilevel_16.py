# ./deeplabv2_r101_multilevel.py for the SYNTHIA 16-class protocol.
_base_ = './deeplabv2_r101_multilevel.py'
model = dict(
    decode_head=dict(num_classes=16), auxiliary_head=dict(num_classes=16))
