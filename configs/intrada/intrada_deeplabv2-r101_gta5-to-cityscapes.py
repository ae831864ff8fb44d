# IntraDA stage 2, GTA5 -> Cityscapes, DeepLab-v2 ResNet-101
# (docs/methods.md#intrada): AdvEnt again from ImageNet weights, with the
# easy target split and its pseudo-labels as the source and the hard split
# as the target.
# Paper (Cityscapes val mIoU): 46.3; with the rare-class normalisation of
# the ranking 47.0.
#
# Stage 1 is configs/advent/advent_deeplabv2-r101_gta5-to-cityscapes.py;
# the splits come from tools/entropy_rank.py (entropy_rank_dir is where it
# writes by default). All three steps in one command:
#   python tools/intrada_pipeline.py \
#       configs/advent/advent_deeplabv2-r101_gta5-to-cityscapes.py \
#       configs/intrada/intrada_deeplabv2-r101_gta5-to-cityscapes.py
# or on Slurm as dependent jobs: bash slurm/intrada.sh
_base_ = [
    '../advent/advent_deeplabv2-r101_gta5-to-cityscapes.py',
    '../_base_/methods/intrada.py',
]
entropy_rank_dir = 'work_dirs/advent_deeplabv2-r101_gta5-to-cityscapes/' \
    'entropy_rank'
train_dataloader = dict(
    dataset=dict(_delete_=True, **_base_.pop('intrada_train_dataset')))
train_dataloader['dataset']['source'].update(
    manifest=entropy_rank_dir, pipeline=_base_.target_labelled_pipeline)
train_dataloader['dataset']['target'].update(
    manifest=entropy_rank_dir, pipeline=_base_.target_pipeline)
