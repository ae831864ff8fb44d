# Short schedule of the embedded sim2real benchmark (randomly initialised
# small models): SGD, classifier at 10x lr (as the DeepLab-v2 recipes),
# poly decay (power 0.9) over the whole run.
_base_ = './sgd_poly.py'
max_iters = 3000
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=1000, max_keep_ckpts=2))
