# AdvEnt's / MinEnt's schedule (docs/methods.md#advent): the DeepLab-v2
# recipe of ./sgd_poly_62k_stop40k.py (SGD 2.5e-4, momentum 0.9, wd 5e-4,
# poly 0.9) with both classifiers at 10x lr, over a 250k horizon, stopped
# at 120k. A checkpoint and a validation every 2k iterations, and the
# checkpoint of the best validation mIoU kept (best_mIoU_iter_N.pth):
# ADVENT's best-snapshot protocol, whose reported numbers are the best of
# the snapshots (docs/methods.md#advent).
# AdvEnt adds its discriminators' optimizer and hook
# (../methods/advent.py).
_base_ = './sgd_poly_62k_stop40k.py'
horizon = 250000
max_iters = 120000
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys=dict(_delete_=True, head=dict(
        lr_mult=10.))))
param_scheduler = [dict(_base_.param_scheduler[0], end=horizon)]
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
custom_hooks = []
