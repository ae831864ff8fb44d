# RIPU RA with 5 % of the target pixels on the embedded benchmark.
_base_ = './ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
custom_hooks = [
    dict(
        type='ActiveSelectionHook',
        dataloader={{_base_.scoring_dataloader}},
        select_iters={{_base_.select_iters}},
        mode='region',
        budget_ratio=0.05,
        radius=1,
        annotator=dict(type='SimulatedAnnotator')),
]
