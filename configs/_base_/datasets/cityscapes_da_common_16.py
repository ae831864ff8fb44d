# The Cityscapes target pieces of cityscapes_da_common.py in the 16-class
# SYNTHIA protocol (19 classes minus terrain, truck, train; the RIPU /
# ProDA / PLCA convention of a native 16-class head): every target dataset
# maps the converted 19-class trainId labels to the 16 classes (dropped
# classes -> 255). The model of such a config needs num_classes=16.
_base_ = './cityscapes_da_common.py'
target_train = dict(num_classes=16)
target_train_labelled = dict(num_classes=16)
target_val = dict(num_classes=16)
target_train_scoring = dict(num_classes=16)
# (these were built from the 19-class target_val in the base: merge again)
val_dataloader = dict(dataset=dict(num_classes=16))
test_dataloader = dict(dataset=dict(num_classes=16))
