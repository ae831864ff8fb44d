# MinEnt's schedule (AdvEnt's, one optimizer): SGD 2.5e-4, momentum 0.9,
# wd 5e-4, both classifiers at 10x lr, poly 0.9 over 250k, stopped at 120k.
_base_ = './advent_poly_250k_stop120k.py'
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.))),
    clip_grad=None)
custom_hooks = []
