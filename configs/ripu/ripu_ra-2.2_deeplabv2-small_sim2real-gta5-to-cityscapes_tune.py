# Hyper-parameter search of RIPU RA 2.2 % on the embedded sim2real benchmark
# with Ray Tune (README, "Hyper-parameter search"):
#   python tools/tune.py \
#       configs/ripu/ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes_tune.py
# searches tau of the negative learning loss and the weight of the local
# consistency loss over 8 trials of a reduced schedule (400 iterations,
# validation every 100, the five selection rounds at 25-45 % of training as
# in the full recipe), ASHA early stopping (rungs at 100 and 300 iterations,
# the best third goes on), 2 trials at once of 1 CPU each.
# tools/train.py trains this config as the plain RIPU config on that
# schedule (tune_cfg is only read by tools/tune.py).
_base_ = [
    './ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    '../_base_/tune_asha.py',
]
max_iters = 400
val_interval = 100
param_scheduler = [dict(_base_.param_scheduler[0], end=max_iters)]
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=val_interval, max_keep_ckpts=1))
select_iters = [100, 120, 140, 160, 180]
custom_hooks = [dict(_base_.custom_hooks[0], select_iters=select_iters)]
tune_cfg = dict(
    search_space={
        'model.negative_loss.tau': 'loguniform(0.01, 0.3)',
        'model.consistency_loss.loss_weight': 'choice(0.03, 0.1, 0.3, 1.0)',
    })
