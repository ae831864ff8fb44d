# MLflow next to the local backend: add this file to a config's _base_ list
# (mmda.apis.load_config appends every `*_vis_backend` entry to
# visualizer.vis_backends). Set MLFLOW_TRACKING_URI to your server or
# database; without it the runs go to a local file store in
# <work_dir>/<timestamp>/vis_data/, which MLflow >= 3 opens only with
# MLFLOW_ALLOW_FILE_STORE=true; view them with
#   mlflow ui --backend-store-uri <that folder>
# Needs the MLflow client (the `mlflow` extra: mlflow-skinny); the UI and
# server come with the full `mlflow` package.
mlflow_vis_backend = dict(type='MLflowVisBackend', exp_name='mmda')
