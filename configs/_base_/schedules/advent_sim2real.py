# AdvEnt's optimisers on the embedded benchmark's short schedule: segmentor
# SGD at the sim2real lr (classifiers 10x), discriminators Adam 1e-4, betas
# (0.9, 0.99), poly decay over the whole run for both.
_base_ = './sgd_poly_sim2real.py'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
