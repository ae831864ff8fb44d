# PLCA's two-domain data (./plca_gta5_to_cityscapes.py, official
# experiments/config/s2c_{train,test}.yaml) for SYNTHIA -> Cityscapes in the
# 16-class protocol (the model needs num_classes=16): the same resize, flip
# and 730x730 crop, SYNTHIA-RAND-CITYSCAPES as the source.
_base_ = './plca_gta5_to_cityscapes.py'
train_dataloader = dict(
    dataset=dict(
        source=dict(
            _delete_=True,
            type='SynthiaDataset',
            data_root='data/synthia',
            data_prefix=dict(img_path='RGB', seg_map_path='GT/LABELS'),
            num_classes=16,
            pipeline={{_base_.source_pipeline}}),
        target=dict(num_classes=16)))
val_dataloader = dict(dataset=dict(num_classes=16))
test_dataloader = val_dataloader
