# AdvEnt+MinEnt, SYNTHIA -> Cityscapes (16-class protocol), DeepLab-v2
# ResNet-101: the test-time ensemble of
# ./advent_deeplabv2-r101_synthia-to-cityscapes-16.py and
# ./minent_deeplabv2-r101_synthia-to-cityscapes-16.py (main-head scores
# averaged, weights 0.5 / 0.5), with a plain MinEnt member as for GTA5
# (where the official member is "MinEnt + entropy ranking", released
# without its training code).
# Test-only: see
# ./advent-minent-ensemble_deeplabv2-r101_gta5-to-cityscapes.py.
_base_ = [
    '../_base_/models/deeplabv2_r101_multilevel_16.py',
    '../_base_/datasets/advent_synthia_to_cityscapes.py',
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
