# Ablation of RIPU's acquisition on the embedded benchmark, RA 2.2 %, with
# RandomRegions: regions at random: every pixel gets a uniform
# score seeded by (seed, round, image) and RA's greedy selection picks on it,
# so the draws are reproducible and a resumed run draws the same. seed=None:
# the draws follow the run's randomness.seed (another training seed, other
# regions); give an int to label the same regions whatever the seed.
# Everything else is the RA 2.2 % config (through
# ../_base_/methods/ripu_ablation_sim2real.py): model, losses, schedule,
# rounds and budget (2.2 % of each image in 3x3 regions, 5x5 suppression).
# Its hook, in the short form mode='region', budget_ratio=0.022, radius=1,
# is strategy=dict(type='RegionImpurityUncertainty', budget_ratio=0.022,
# radius=1): this config differs from it by the strategy only.
_base_ = '../_base_/methods/ripu_ablation_sim2real.py'
custom_hooks = [
    dict(
        _base_.custom_hooks[0],
        strategy=dict(
            type='RandomRegions', budget_ratio=0.022, radius=1, seed=None))
]
