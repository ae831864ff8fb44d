# What every model base shares: a plain mmseg EncoderDecoder (the adapted
# model loads in mmseg alone) behind mmda's data preprocessor, which also
# takes the named streams of two-domain batches; ImageNet normalisation,
# whole-image inference.
data_preprocessor = dict(
    type='DADataPreprocessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size_divisor=8)
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
