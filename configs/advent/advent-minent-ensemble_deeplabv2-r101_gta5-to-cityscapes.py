# AdvEnt+MinEnt, GTA5 -> Cityscapes, DeepLab-v2 ResNet-101
# (docs/methods.md#advent-minent-ensemble):
# the test-time ensemble of ./advent_deeplabv2-r101_gta5-to-cityscapes.py
# and ./minent_deeplabv2-r101_gta5-to-cityscapes.py, averaging their
# main-head scores with weights 0.5 / 0.5 as the official evaluation does.
# Paper (Cityscapes val mIoU): 45.5. The official member beside AdvEnt
# (advent+minent_pretrained.yml) is "MinEnt + entropy ranking" (MinEnt +
# ER), whose training code was never released: this ensemble takes a plain
# MinEnt run instead, a documented deviation. Test-only (each member its
# run's best snapshot, best_mIoU_iter_N.pth, for best-snapshot numbers):
#
#   python tools/ensemble_checkpoints.py CONFIG ENSEMBLE.pth \
#       advent=ADVENT_CKPT minent=MINENT_CKPT
#   python tools/test.py CONFIG ENSEMBLE.pth
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel.py',
    '../_base_/datasets/advent_gta5_to_cityscapes.py',
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
