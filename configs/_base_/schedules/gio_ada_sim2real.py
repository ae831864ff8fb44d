# GIO-Ada's optimisers (../methods/gio_ada.py) on the embedded benchmark's
# short schedule: T's segmentor SGD at the sim2real lr 0.01 (classifier
# 10x) as AdvEnt, its depth head at 0.1; one poly decay over the run for
# every optimizer.
_base_ = ['./sgd_poly_sim2real.py', '../methods/gio_ada.py']
optim_wrapper = dict(_delete_=True, **_base_.pop('gio_ada_optim_wrapper'))
optim_wrapper['segmentor'].optimizer.lr = 0.01
optim_wrapper['depth_head'].optimizer.lr = 0.1
custom_hooks = _base_.pop('gio_ada_custom_hooks')
