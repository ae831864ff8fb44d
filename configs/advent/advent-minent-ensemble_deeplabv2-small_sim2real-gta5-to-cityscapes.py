# AdvEnt+MinEnt on the embedded sim2real benchmark: the test-time ensemble
# of the AdvEnt and MinEnt runs of ./advent_* and ./minent_*
# (docs/methods.md#advent-minent-ensemble; the paper averages the two
# models' main-head scores, weights 0.5 / 0.5).
# Test-only: gather the two final checkpoints, then test:
#
#   python tools/ensemble_checkpoints.py CONFIG ENSEMBLE.pth \
#       advent=ADVENT_CKPT minent=MINENT_CKPT
#   python tools/test.py CONFIG ENSEMBLE.pth
_base_ = [
    '../_base_/models/deeplabv2_small_multilevel.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/test_only.py',
]
model = dict(
    _delete_=True,
    type='SegmentorEnsemble',
    data_preprocessor={{_base_.data_preprocessor}},
    members=dict(advent={{_base_.model}}, minent={{_base_.model}}),
    weights=dict(advent=0.5, minent=0.5),
    fusion='logits')
train_dataloader = None  # nothing to train: the members are trained
