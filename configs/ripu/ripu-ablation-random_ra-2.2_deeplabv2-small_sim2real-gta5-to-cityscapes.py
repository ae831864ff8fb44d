# Ablation of RIPU's acquisition on the embedded benchmark, RA 2.2 %, with
# RandomRegions: regions at random: every pixel gets a uniform
# score seeded by (seed, round, image) and RA's greedy selection picks on it,
# so the draws are reproducible and a resumed run draws the same.
# Everything else is the RA 2.2 % config (_base_): model, losses, schedule,
# rounds and budget (2.2 % of each image in 3x3 regions, 5x5 suppression).
# Its hook, in the short form mode='region', budget_ratio=0.022, radius=1,
# is strategy=dict(type='RegionImpurityUncertainty', budget_ratio=0.022,
# radius=1): this config differs from it by the strategy only.
_base_ = './ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py'
custom_hooks = [
    dict(
        type='ActiveSelectionHook',
        dataloader={{_base_.scoring_dataloader}},
        select_iters={{_base_.select_iters}},
        strategy=dict(
            type='RandomRegions', budget_ratio=0.022, radius=1, seed=0),
        annotator=dict(type='SimulatedAnnotator')),
]
