# RIPU RA 5 % (DeepLab-v3+ R101, GTA5 -> Cityscapes) on the Cityscapes
# *test* split, which has no public labels: a submission for the Cityscapes
# test server, written as result files (labelIds, one PNG per image).
#
#   python tools/test.py THIS_CONFIG \
#       work_dirs/ripu_ra5_r101/iter_40000.pth --cityscapes-format results/
#   (cd results && zip -r ../submission.zip .)
#
# Without --cityscapes-format the files go to the output_dir below.
_base_ = './ripu_ra-5_deeplabv3plus-r101_gta5-to-cityscapes.py'
test_dataloader = dict(
    dataset=dict(
        subset='test',
        data_prefix=dict(img_path='leftImg8bit/test'),
        with_labels=False,
        pipeline=[
            dict(type='LoadDAImageFromFile'),
            dict(type='Resize', scale=(1280, 640), keep_ratio=False),
            dict(type='PackSegInputs'),
        ]))
test_evaluator = dict(
    _delete_=True,
    type='CityscapesFormatMetric',
    output_dir='work_dirs/cityscapes_test_results',
    format_only=True)
