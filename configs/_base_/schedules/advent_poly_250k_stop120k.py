# AdvEnt's schedule (METHODS.md §2): MinEnt's (./sgd_poly_250k_stop120k.py:
# segmentor SGD 2.5e-4, momentum 0.9, wd 5e-4, both classifiers at 10x lr)
# plus the discriminators' Adam 1e-4, betas (0.9, 0.99); the same poly
# decay (power 0.9) over 250k iterations for both, training stopped at 120k.
_base_ = './sgd_poly_250k_stop120k.py'
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    segmentor=dict(
        type='OptimWrapper',
        optimizer={{_base_.optim_wrapper.optimizer}},
        paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}}),
    discriminator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99))))
custom_hooks = [
    dict(type='AdversarialDiscriminatorHook', update_interval=1,
         warmup_iters=0, log_interval=50)
]
