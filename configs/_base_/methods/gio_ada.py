# GIO-Ada's optimisers and hook (docs/methods.md#gio-ada; the paper's are
# not known, the seed sketch uses Adam + OneCycle for {G, T}), for a
# schedule base to take with the schedule's poly decay for every optimizer:
# T's segmentor SGD (classifier 10x) as AdvEnt and T's depth head SGD (DADA
# trains its depth layers at 10x lr), both at the schedule's lrs; G Adam
# 2e-4, betas (0.5, 0.999) (CycleGAN); both discriminators Adam 1e-4,
# betas (0.9, 0.99) (AdvEnt); the discriminators updated every iteration,
# no warm-up (AdvEnt).
#
# mmengine refuses one key in two bases, so the parts are named
# `gio_ada_*` and a schedule takes them out of its bases:
#
#   custom_hooks = _base_.pop('gio_ada_custom_hooks')
#   optim_wrapper = dict(_delete_=True, **_base_.pop('gio_ada_optim_wrapper'))
#   optim_wrapper['segmentor'].optimizer.lr = <the segmentor's lr>
#   optim_wrapper['depth_head'].optimizer.lr = <10x>
gio_ada_custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
__sgd = dict(type='SGD', momentum=0.9, weight_decay=5e-4)
gio_ada_optim_wrapper = dict(
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer=__sgd,
        paramwise_cfg=dict(custom_keys=dict(head=dict(lr_mult=10.)))),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))),
    depth_head=dict(type='OptimWrapper', optimizer=__sgd),
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
