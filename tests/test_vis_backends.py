"""The visualisation backends of configs/_base_/vis/: each config builds a
visualizer with its backend next to the local one, and a run's scalars
(training losses, validation metrics, mmda's own statistics) reach them."""
import glob
import os
import os.path as osp

import pytest
from mmengine.visualization import Visualizer

from conftest import NO_WORKERS, REPO, run_tool
from mmda.apis import load_config, parse_cfg_options
from mmda.apis.vis_backends import add_vis_backends

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
BACKENDS = {
    'tensorboard': 'TensorboardVisBackend',
    'wandb': 'WandbVisBackend',
    'mlflow': 'MLflowVisBackend',
}


def _with_backend(tmp_path, name):
    path = tmp_path / f'with_{name}.py'
    path.write_text(f'_base_ = [{SOURCE_ONLY!r}, '
                    f'{osp.join(REPO, "configs/_base_/vis", name + ".py")!r}]'
                    '\n')
    return str(path)


@pytest.mark.parametrize('name', sorted(BACKENDS))
def test_backend_config_builds_and_logs(name, tmp_path, monkeypatch):
    monkeypatch.setenv('WANDB_MODE', 'offline')
    monkeypatch.setenv('WANDB_DIR', str(tmp_path))
    monkeypatch.setenv('WANDB_SILENT', 'true')
    monkeypatch.delenv('MLFLOW_TRACKING_URI', raising=False)
    # MLflow 3 keeps its local file store behind this switch (a server or
    # a database is its default)
    monkeypatch.setenv('MLFLOW_ALLOW_FILE_STORE', 'true')
    cfg = load_config(_with_backend(tmp_path, name), work_dir=str(tmp_path))
    types = [b['type'] for b in cfg.visualizer.vis_backends]
    assert types == ['LocalVisBackend', BACKENDS[name]]
    from mmseg.registry import VISUALIZERS
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    vis_cfg = dict(cfg.visualizer, name=f'vis_{name}',
                   save_dir=str(tmp_path / 'vis_data'))
    visualizer = VISUALIZERS.build(vis_cfg)
    try:
        backend = visualizer.get_backend(BACKENDS[name])
        assert backend is not None
        visualizer.add_config(cfg)  # what the Runner does first
        visualizer.add_scalars({'active/labelled_share': 2.5}, step=3)
        visualizer.add_scalars({'disc/main.acc_src': 0.75}, step=4)
        assert backend.experiment is not None  # the library really started
    finally:
        visualizer.close()
        Visualizer._instance_dict.pop(f'vis_{name}', None)
    files = [p for p in glob.glob(str(tmp_path / '**' / '*'),
                                  recursive=True) if osp.isfile(p)]
    if name == 'tensorboard':
        assert any('events.out.tfevents' in p for p in files), files
    elif name == 'mlflow':
        # the local file store holds the two metrics
        metrics = {osp.basename(p) for p in files
                   if osp.sep + 'metrics' + osp.sep in p}
        assert {'active/labelled_share', 'disc/main.acc_src'} <= metrics or \
            {'labelled_share', 'main.acc_src'} <= metrics, files
    else:
        assert any(p.endswith('.wandb') for p in files), files


def test_backend_added_on_the_command_line_and_checked(tmp_path):
    cfg = load_config(
        SOURCE_ONLY,
        parse_cfg_options(
            ['+tensorboard_vis_backend.type=TensorboardVisBackend']),
        work_dir=str(tmp_path))
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    assert add_vis_backends(cfg) == ['tensorboard_vis_backend']  # once
    assert len(cfg.visualizer.vis_backends) == 2
    cfg.bad_vis_backend = dict(save_dir='x')
    with pytest.raises(KeyError, match='bad_vis_backend must be a dict '
                       'with a "type"'):
        add_vis_backends(cfg)


@pytest.mark.slow
def test_training_run_writes_tensorboard_events(sim2real_tiny, tmp_path):
    """A 2-iteration run with the TensorBoard config: losses and the
    validation mIoU in the event file."""
    from tensorboard.backend.event_processing.event_accumulator import \
        EventAccumulator
    work_dir = tmp_path / 'run'
    run_tool([
        osp.join(REPO, 'tools', 'train.py'),
        _with_backend(tmp_path, 'tensorboard'), '--work-dir',
        str(work_dir), '--cfg-options', 'train_cfg.max_iters=2',
        'train_cfg.val_interval=2', 'default_hooks.logger.interval=1'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    (events, ) = glob.glob(
        str(work_dir / '*' / 'vis_data' / 'events.out.tfevents.*'))
    acc = EventAccumulator(os.path.dirname(events))
    acc.Reload()
    tags = set(acc.Tags()['scalars'])
    assert {'loss', 'mIoU'} <= tags, tags
