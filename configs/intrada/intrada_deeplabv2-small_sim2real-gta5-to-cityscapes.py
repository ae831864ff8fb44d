# IntraDA stage 2 on the embedded sim2real benchmark: AdvEnt trained again
# from scratch (the recipe restarts from ImageNet weights; the small model
# is randomly initialised) with the easy target split and its pseudo-labels
# as the source and the hard split as the target (docs/methods.md#intrada).
#
# The splits come from tools/entropy_rank.py on the stage-1 AdvEnt model
# (configs/advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py);
# entropy_rank_dir is where that writes by default. The whole pipeline in
# one command:
#   python tools/intrada_pipeline.py \
#       configs/advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py \
#       configs/intrada/intrada_deeplabv2-small_sim2real-gta5-to-cityscapes.py
_base_ = [
    '../advent/advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py',
    '../_base_/methods/intrada.py',
]
entropy_rank_dir = ('work_dirs/advent_deeplabv2-small_sim2real-gta5-to-'
                    'cityscapes/entropy_rank')
train_dataloader = dict(
    dataset=dict(_delete_=True, **_base_.pop('intrada_train_dataset')))
train_dataloader['dataset']['source'].update(
    manifest=entropy_rank_dir, pipeline=_base_.target_labelled_pipeline)
train_dataloader['dataset']['target'].update(
    manifest=entropy_rank_dir, pipeline=_base_.target_pipeline)
