# ./deeplabv2_r101.py for the SYNTHIA 16-class protocol.
_base_ = './deeplabv2_r101.py'
model = dict(decode_head=dict(num_classes=16))
