# Two-domain training on the embedded benchmark: each iteration draws a
# source batch (GTA5 layout, labelled) and a target batch (Cityscapes layout,
# unlabelled); validation on the target val split.
_base_ = './sim2real_common.py'
train_dataloader = dict(
    dataset=dict(type='TwoDomainDataset', source={{_base_.source_train}},
                 target={{_base_.target_train}}))
