# SYNTHIA -> Cityscapes in the 16-class protocol (RIPU / ProDA / PLCA: both
# domains and the model have 16 classes; model num_classes=16), two-domain
# training (batch_size=2: 2 source + 2 target), validation on Cityscapes
# val (mIoU = mIoU16, plus mIoU13). For a 19-class head scored as mIoU16
# see synthia_to_cityscapes_19head.py.
_base_ = ['./cityscapes_da_common_16.py', './synthia_source.py']
train_dataloader = dict(
    dataset=dict(type='TwoDomainDataset', source={{_base_.source_train}},
                 target={{_base_.target_train}}))
