# GIO-Ada's optimisers on the embedded benchmark's short schedule (the
# paper's are not known; the seed sketch uses Adam + OneCycle for {G, T}):
# T's segmentor SGD at the sim2real lr (classifier 10x) as AdvEnt; T's depth
# head SGD at 10x (DADA trains its depth layers at 10x lr); G Adam 2e-4,
# betas (0.5, 0.999) (CycleGAN); both discriminators Adam 1e-4, betas
# (0.9, 0.99) (AdvEnt); one poly decay over the run for every optimizer.
# The adversarial hook: discriminators every iteration, no warm-up (AdvEnt).
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
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    depth_head=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)),
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
