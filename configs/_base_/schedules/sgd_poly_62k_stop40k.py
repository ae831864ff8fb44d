# The RIPU / DeepLab-v2 recipe: SGD momentum 0.9, wd 5e-4, base lr 2.5e-4,
# classifier at 10x lr, poly power 0.9 over a 62,500-iteration horizon, but
# training stops at 40,000 iterations.
_base_ = './sgd_poly.py'
horizon = 62500
max_iters = 40000
optim_wrapper = dict(optimizer=dict(lr=2.5e-4))
param_scheduler = [dict(_base_.param_scheduler[0], end=horizon)]
train_cfg = dict(max_iters=max_iters, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000, max_keep_ckpts=3))
