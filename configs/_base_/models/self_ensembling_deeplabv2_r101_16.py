# ./self_ensembling_deeplabv2_r101.py for the SYNTHIA 16-class protocol.
_base_ = './self_ensembling_deeplabv2_r101.py'
model = dict(student=dict(decode_head=dict(num_classes=16)))
