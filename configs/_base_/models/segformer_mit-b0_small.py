# SegFormer (Xie et al., NeurIPS 2021) with the MiT-B0 backbone and its
# all-MLP head, as
# open-mmlab/mmsegmentation:configs/_base_/models/segformer_mit-b0.py, but
# randomly initialised and with plain BN (CPU): a transformer model base
# for the embedded benchmark and the tests. Any method base trains on it
# with this file in place of ./deeplabv2_small.py; the multi-level methods
# take ./segformer_mit-b0_small_multilevel.py.
_base_ = './encoder_decoder.py'
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    decode_head=dict(
        type='SegformerHead',
        in_channels=[32, 64, 160, 256],
        in_index=[0, 1, 2, 3],
        channels=256,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', avg_non_ignore=True)),
    backbone=dict(
        type='MixVisionTransformer',
        in_channels=3,
        embed_dims=32,
        num_stages=4,
        num_layers=[2, 2, 2, 2],
        num_heads=[1, 2, 5, 8],
        patch_sizes=[7, 3, 3, 3],
        sr_ratios=[8, 4, 2, 1],
        out_indices=(0, 1, 2, 3),
        mlp_ratio=4,
        qkv_bias=True,
        drop_rate=0.0,
        attn_drop_rate=0.0,
        drop_path_rate=0.1))
