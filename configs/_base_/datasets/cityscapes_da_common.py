# Pieces of the Cityscapes target of the real benchmarks (GTA5 -> Cityscapes,
# SYNTHIA -> Cityscapes), 19-class protocol; cityscapes_da_common_16.py is
# the 16-class one. Pipelines (RIPU's sizes): ./da_common.py.
#
# Layout (Cityscapes, converted with
#   python tools/dataset_converters/cityscapes.py data/cityscapes):
#   data/cityscapes/leftImg8bit/{train,val}/<city>/*_leftImg8bit.png
#   data/cityscapes/gtFine/{train,val}/<city>/*_gtFine_labelTrainIds.png
_base_ = './da_common.py'
cityscapes_root = 'data/cityscapes'
__target = dict(
    type='CityscapesDADataset', data_root=cityscapes_root, num_classes=19)
target_train = dict(
    __target,
    subset='train',
    with_labels=False,
    pipeline=_base_.target_pipeline)
target_train_labelled = dict(
    __target, subset='train', pipeline=_base_.target_labelled_pipeline)
target_val = dict(__target, subset='val', pipeline=_base_.test_pipeline)
# The target train split as the active-selection hook scores it: test-time
# resize, labels at full resolution (for the simulated annotator).
target_train_scoring = dict(
    __target, subset='train', pipeline=_base_.test_pipeline)
val_dataloader = dict(dataset=target_val)
test_dataloader = val_dataloader
