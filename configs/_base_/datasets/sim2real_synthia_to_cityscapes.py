# Two-domain training on the embedded benchmark's SYNTHIA side: each
# iteration draws a source batch (SYNTHIA layout, labels and depth) and a
# target batch (Cityscapes layout, unlabelled); validation on the target
# val split.
_base_ = './sim2real_synthia.py'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TwoDomainDataset',
        source={{_base_.synthia_train_depth}},
        target={{_base_.target_train}}))
