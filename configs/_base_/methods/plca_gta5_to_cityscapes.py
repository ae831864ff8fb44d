# PLCA's official GTA5 -> Cityscapes recipe (docs/methods.md#plca) on any
# EncoderDecoder model base: its data, schedule and runtime with the
# method's parts, the Lovasz weight at the official 0.75 x 2 GPUs x
# ITER_SIZE 2 (the code scales it by world size and accumulation; here it is
# a plain weight). An experiment names its model base and takes the model:
#
#   _base_ = ['../_base_/models/<model>.py',
#             '../_base_/methods/plca_gta5_to_cityscapes.py']
#   model = _base_.pop('plca_model')
_base_ = [
    '../datasets/plca_gta5_to_cityscapes.py',
    '../default_runtime.py',
    '../schedules/sgd_poly_plca_gta5.py',
    './plca.py',
]
plca_model = dict(lovasz_loss=dict(loss_weight=0.75 * 2 * 2))
