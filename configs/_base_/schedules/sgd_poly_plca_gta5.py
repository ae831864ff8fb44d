# PLCA's schedule, GTA5 -> Cityscapes (docs/methods.md#plca; official
# experiments/config/g2c_train.yaml, solver/solver.py): SGD lr 2.5e-4,
# momentum 0.9, wd 5e-4, no classifier multiplier; poly decay (power 0.9)
# over a horizon of 11,160 optimizer steps, stopped after 10,416 (30 and 28
# "epochs" of 372 steps). Each optimizer step accumulates `accumulation`
# iterations of 2 source + 2 target images per process: 4 on one process
# gives the recipe's 8 + 8 per step. On N processes use 4 / N (the
# release: 2 GPUs, 2) and scale max_iters and the scheduler's `end`,
# which count iterations, the same way, e.g. for 2 processes:
#   --cfg-options optim_wrapper.accumulative_counts=2 \
#     train_cfg.max_iters=20832 param_scheduler.0.end=22320
# The loop, the poly scheduler and the hooks are ./sgd_poly.py's.
_base_ = './sgd_poly.py'
accumulation = 4
optimizer_steps = 10416
horizon_steps = 11160
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
    accumulative_counts=accumulation,
    clip_grad=None)
param_scheduler = [
    dict(_base_.param_scheduler[0], end=horizon_steps * accumulation)
]
train_cfg = dict(
    max_iters=optimizer_steps * accumulation,
    val_interval=372 * accumulation * 4)
default_hooks = dict(
    checkpoint=dict(interval=372 * accumulation, max_keep_ckpts=3))
