# Hyper-parameter search of self-ensembling on the embedded sim2real
# benchmark with Ray Tune (README, "Hyper-parameter search"):
#   python tools/tune.py configs/self_ensembling/self-ensembling_deeplabv2-\
#       small_sim2real-gta5-to-cityscapes_tune.py
# searches the consistency weight delta_con and the EMA decay alpha (the
# two values TGCF-DA does not publish) over 8 trials of a reduced schedule
# (400 iterations, validation every 100), ASHA early stopping, 2 trials at
# once of 1 CPU each. tools/train.py trains this config as the plain
# self-ensembling config on that schedule (tune_cfg is only read by
# tools/tune.py).
_base_ = [
    './self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    '../_base_/tune_asha.py',
]
max_iters = 400
val_interval = 100
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=val_interval, max_keep_ckpts=1))
tune_cfg = dict(
    search_space={
        'model.consistency_loss.loss_weight': 'loguniform(0.3, 30)',
        'custom_hooks.0.alpha': 'choice(0.9, 0.99, 0.999)',
    })
