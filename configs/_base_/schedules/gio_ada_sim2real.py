# GIO-Ada's optimisers on the embedded benchmark's short schedule (the
# paper's are not known; the seed sketch uses Adam + OneCycle for {G, T}):
# T's segmentor SGD at the sim2real lr (classifier 10x) as AdvEnt; T's depth
# head SGD at 10x (DADA trains its depth layers at 10x lr); G Adam 2e-4,
# betas (0.5, 0.999) (CycleGAN); both discriminators Adam 1e-4, betas
# (0.9, 0.99) (AdvEnt); one poly decay over the run for every optimizer.
# The adversarial hook (discriminator every iteration, no warm-up) comes
# from AdvEnt's schedule.
_base_ = './advent_sim2real.py'
optim_wrapper = dict(
    depth_head=dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4)),
    generator=dict(
        type='OptimWrapper',
        optimizer=dict(type='Adam', lr=2e-4, betas=(0.5, 0.999))))
