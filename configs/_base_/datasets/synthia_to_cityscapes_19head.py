# SYNTHIA -> Cityscapes with a 19-class head (the DAFormer-family
# convention): SYNTHIA labels keep the 19 Cityscapes trainIds (terrain,
# truck and train simply never occur), the model has 19 classes, and
# DAIoUMetric reports mIoU16 (and mIoU13) over the same predictions next to
# mIoU19. Report mIoU16. Two-domain training (2 source + 2 target).
_base_ = ['./cityscapes_da_common.py', './synthia_source.py']
source_train = dict(num_classes=19)  # = source_train_19, for children
train_dataloader = dict(
    dataset=dict(type='TwoDomainDataset', source={{_base_.source_train_19}},
                 target={{_base_.target_train}}))
