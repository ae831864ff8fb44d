# PLCA's official SYNTHIA -> Cityscapes recipe in the 16-class protocol
# (docs/methods.md#plca; a native 16-class head), as
# ./plca_gta5_to_cityscapes.py: its data, schedule and runtime with the
# method's parts, the Lovasz weight 0.75 x 2 x 2 = 3.0.
_base_ = [
    '../datasets/plca_synthia_to_cityscapes.py',
    '../default_runtime.py',
    '../schedules/sgd_poly_plca_synthia.py',
    './plca.py',
]
plca_model = dict(
    lovasz_loss=dict(loss_weight=0.75 * 2 * 2),
    decode_head=dict(num_classes=16))
