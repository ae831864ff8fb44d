# PLCA's schedule, SYNTHIA -> Cityscapes (official
# experiments/config/s2c_train.yaml): as ./sgd_poly_plca_gta5.py, over a
# horizon of 3,720 optimizer steps stopped after 2,976 (10 and 8 "epochs"
# of 372 steps); on 2 processes:
#   --cfg-options optim_wrapper.accumulative_counts=2 \
#     train_cfg.max_iters=5952 param_scheduler.0.end=7440
_base_ = './sgd_poly_plca_gta5.py'
accumulation = 4  # as the base (keep them equal)
optimizer_steps = 2976
horizon_steps = 3720
param_scheduler = [
    dict(_base_.param_scheduler[0], end=horizon_steps * accumulation)
]
train_cfg = dict(max_iters=optimizer_steps * accumulation)
