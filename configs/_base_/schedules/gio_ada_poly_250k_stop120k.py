# GIO-Ada's optimisers on AdvEnt's schedule (the paper's are not known; the
# seed sketch uses Adam + OneCycle for {G, T}): segmentor SGD 2.5e-4
# (classifier 10x), depth head SGD at 10x (DADA's depth layers), G Adam
# 2e-4, betas (0.5, 0.999) (CycleGAN), discriminators Adam 1e-4, betas
# (0.9, 0.99) (AdvEnt); poly 0.9 over 250k for all, stopped at 120k.
_base_ = './sgd_poly_250k_stop120k.py'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    depth_head=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=2.5e-3, momentum=0.9, weight_decay=5e-4)),
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
