# The acquisition ablations of RIPU (docs/methods.md#ripu) on the embedded
# benchmark: the RA 2.2 % config with its hook's short form of the strategy
# (mode='region', budget_ratio, radius) taken out; each ablation config
# names its strategy (budget 2.2 % of each image in 3x3 regions):
#
#   custom_hooks = [dict(_base_.custom_hooks[0], strategy=dict(...))]
_base_ = ('../../ripu/'
          'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
custom_hooks = [{
    key: value
    for key, value in _base_.custom_hooks[0].items()
    if key not in ('mode', 'budget_ratio', 'radius')
}]
