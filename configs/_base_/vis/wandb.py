# Weights & Biases next to the local backend: add this file to a config's
# _base_ list (mmda.apis.load_config appends every `*_vis_backend` entry to
# visualizer.vis_backends). Runs go to the `mmda` project; set
# WANDB_MODE=offline to keep them on disk (<work_dir>/<timestamp>/vis_data/
# wandb) and `wandb sync` them later.
# Needs `pip install wandb` (the `wandb` extra) and, online, `wandb login`.
wandb_vis_backend = dict(
    type='WandbVisBackend', init_kwargs=dict(project='mmda'))
