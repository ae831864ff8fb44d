# IntraDA stage 2 (Pan et al., CVPR 2020; docs/methods.md), on an AdvEnt
# experiment config: AdvEnt trained again with the easy target split and
# its pseudo-labels (with_labels) as the source and the hard split as the
# target. tools/entropy_rank.py ranks the target train split with the
# stage-1 model and writes the splits into the experiment's
# `entropy_rank_dir`; tools/intrada_pipeline.py runs all three steps. An
# experiment config takes the part out of its bases (mmengine refuses
# `train_dataloader` in two bases; a part left there would show in the
# resolved config) and names the manifest and the pipelines:
#
#   train_dataloader = dict(
#       dataset=dict(_delete_=True, **_base_.pop('intrada_train_dataset')))
#   train_dataloader['dataset']['source'].update(
#       manifest=entropy_rank_dir, pipeline=_base_.target_labelled_pipeline)
#   train_dataloader['dataset']['target'].update(
#       manifest=entropy_rank_dir, pipeline=_base_.target_pipeline)
intrada_train_dataset = dict(
    type='TwoDomainDataset',
    source=dict(type='EntropySplitDataset', split='easy', with_labels=True),
    target=dict(type='EntropySplitDataset', split='hard', with_labels=False))
