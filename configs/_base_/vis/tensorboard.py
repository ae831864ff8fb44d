# TensorBoard next to the local backend: add this file to a config's
# _base_ list (mmda.apis.load_config appends every `*_vis_backend` entry to
# visualizer.vis_backends). Event files go to
# <work_dir>/<timestamp>/vis_data/; view them with
#   tensorboard --logdir work_dirs/
# Needs `pip install tensorboard` (the `tensorboard` extra).
tensorboard_vis_backend = dict(type='TensorboardVisBackend')
