# GIO-Ada's optimisers (../methods/gio_ada.py) on AdvEnt's schedule:
# segmentor SGD 2.5e-4 (classifier 10x), depth head SGD 2.5e-3; poly 0.9
# over 250k for all, stopped at 120k.
_base_ = ['./sgd_poly_250k_stop120k.py', '../methods/gio_ada.py']
optim_wrapper = dict(_delete_=True, **_base_.pop('gio_ada_optim_wrapper'))
optim_wrapper['segmentor'].optimizer.lr = 2.5e-4
optim_wrapper['depth_head'].optimizer.lr = 2.5e-3
custom_hooks = _base_.pop('gio_ada_custom_hooks')
