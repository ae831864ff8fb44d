"""Config loading, device adaptation, process-group set-up and the
domain-adaptation IoU metric (checkpoint loading: test_checkpoint_safety)."""
import math
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmda.apis import (check_cfg_options, enable_amp, load_config,
                       parse_cfg_options, strip_add_prefix)
from mmda.datasets.label_maps import CITYSCAPES_CLASSES, CLASSES_16
from mmda.engine.launch import adapt_cfg_to_device, init_distributed
from mmda.engine.launch.process_group import (_export_slurm_env,
                                              slurm_master_port)
from mmda.evaluation.da_iou_metric import DAIoUMetric
from mmda.utils.config_text import FormatOnceConfig

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
pytestmark = pytest.mark.usefixtures('torch_one_thread')
RA_CONFIG = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


# ----------------------------------------------------------------------------
# check_cfg_options / load_config
# ----------------------------------------------------------------------------
def small_cfg():
    return Config(
        dict(
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=10,
                           val_interval=5),
            train_dataloader=dict(
                batch_size=2,
                dataset=dict(pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(type='Resize', scale=(8, 4)),
                ])),
            custom_hooks=[dict(type='ActiveSelectionHook', select_iters=[1])],
        ))


def test_valid_options_pass():
    cfg = small_cfg()
    check_cfg_options(cfg, None)
    check_cfg_options(cfg, {})
    check_cfg_options(
        cfg, {
            'train_cfg.max_iters': 4,
            'train_dataloader.dataset.pipeline.1.scale': (4, 2),
            'custom_hooks.0.select_iters': [2, 4],
            'train_dataloader': dict(batch_size=1),
        })


@pytest.mark.parametrize('key, message', [
    ('train_cfg.max_iter',
     "--cfg-options train_cfg.max_iter: train_cfg has no key 'max_iter' "
     '(did you mean max_iters'),
    ('trian_cfg.max_iters',
     "--cfg-options trian_cfg.max_iters: the config has no key 'trian_cfg' "
     '(did you mean train_cfg'),
    ('train_dataloader.dataset.pipeline.1.scal',
     "train_dataloader.dataset.pipeline.1 has no key 'scal' (did you mean "
     'scale?)'),
    ('train_cfg.zzz', "train_cfg has no key 'zzz'"),
])
def test_unknown_key(key, message):
    with pytest.raises(KeyError) as info:
        check_cfg_options(small_cfg(), {key: 1})
    text = str(info.value)
    assert message in text
    if key == 'train_cfg.zzz':
        assert 'did you mean' not in text


@pytest.mark.parametrize('key, message', [
    ('train_dataloader.dataset.pipeline.2.scale',
     "train_dataloader.dataset.pipeline is a list of 2 entries, '2' is no "
     'index'),
    ('train_dataloader.dataset.pipeline.first.scale',
     "is a list of 2 entries, 'first' is no index"),
    ('custom_hooks.-1.select_iters', "'-1' is no index"),
    ('train_cfg.max_iters.value',
     'train_cfg.max_iters is a int, not a dict'),
])
def test_list_index_and_leaf(key, message):
    with pytest.raises(KeyError, match=message.replace('.', r'\.')):
        check_cfg_options(small_cfg(), {key: 1})


def test_added_keys():
    """``+KEY=VALUE`` adds a key on purpose; a misspelt existing key
    still fails (with the suggestion and the hint to add)."""
    cfg = small_cfg()
    opts = {
        '+randomness.deterministic': True,  # a new top-level dict
        '+train_cfg.dynamic_intervals': [(8, 2)],  # a new leaf
        '+custom_hooks.0.priority': 'LOW',  # inside a list entry
        'train_cfg.max_iters': 4,
    }
    check_cfg_options(cfg, opts)
    cfg.merge_from_dict(strip_add_prefix(opts))
    assert cfg.randomness == dict(deterministic=True)
    assert cfg.train_cfg.dynamic_intervals == [(8, 2)]
    assert cfg.train_cfg.max_iters == 4 and cfg.train_cfg.val_interval == 5
    assert cfg.custom_hooks[0].priority == 'LOW'
    with pytest.raises(KeyError) as info:
        check_cfg_options(small_cfg(), {'train_cfg.max_iter': 4})
    assert 'did you mean max_iters' in str(info.value)
    assert 'to add a new key write +train_cfg.max_iter=VALUE' in str(
        info.value)
    with pytest.raises(KeyError, match=r'already has train_cfg\.max_iters; '
                       "set it without '\\+'"):
        check_cfg_options(small_cfg(), {'+train_cfg.max_iters': 4})
    with pytest.raises(KeyError, match='train_cfg.max_iters is a int, not '
                       'a dict'):
        check_cfg_options(small_cfg(), {'+train_cfg.max_iters.x': 4})
    with pytest.raises(KeyError, match='is a list of 2 entries'):
        check_cfg_options(small_cfg(),
                          {'+train_dataloader.dataset.pipeline.5.x': 4})
    with pytest.raises(KeyError, match='gives train_cfg.max_iters twice'):
        strip_add_prefix({'train_cfg.max_iters': 1,
                          '+train_cfg.max_iters': 2})


def test_load_config_adds_keys(tmp_path):
    cfg = load_config(
        RA_CONFIG,
        parse_cfg_options(['+randomness.deterministic=True',
                           '+default_hooks.checkpoint.save_best=mIoU']),
        work_dir=str(tmp_path))
    assert cfg.randomness.deterministic is True
    assert cfg.default_hooks.checkpoint.save_best == 'mIoU'
    assert cfg.default_hooks.checkpoint.type == 'CheckpointHook'


def test_loaded_config_text_is_mmengines_formatted_once(tmp_path):
    """load_config's config formats its text once (mmengine formats it for
    the log, the dump, the message hub and every checkpoint): the same
    text as mmengine's, formatted again after a change, kept by copies."""
    import copy
    cfg = load_config(RA_CONFIG, work_dir=str(tmp_path))
    assert isinstance(cfg, FormatOnceConfig)
    plain = Config(cfg.to_dict())
    text = cfg.pretty_text
    assert text == plain.pretty_text
    assert cfg.pretty_text is text  # not formatted again
    for c in (cfg, plain):
        c.train_cfg.max_iters = 7
        c.model.decode_head.channels = 48
    assert cfg.pretty_text == plain.pretty_text != text
    assert 'max_iters=7' in cfg.pretty_text
    copied = copy.deepcopy(cfg)
    assert isinstance(copied, FormatOnceConfig)
    assert copied.pretty_text == plain.pretty_text
    with open(tmp_path / 'dumped.py', 'w') as f:
        f.write(cfg.dump())
    assert Config.fromfile(str(tmp_path / 'dumped.py')).to_dict() == \
        plain.to_dict()


def test_load_config(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match='config file not found: '
                       '/no/such.py'):
        load_config('/no/such.py')
    with pytest.raises(KeyError, match="train_cfg has no key 'max_iter'"):
        load_config(RA_CONFIG, {'train_cfg.max_iter': 4})
    cfg = load_config(
        RA_CONFIG, {
            'train_cfg.max_iters': 4,
            'custom_hooks.0.select_iters': [2]
        },
        work_dir=str(tmp_path / 'wd'),
        launcher='pytorch')
    assert cfg.train_cfg.max_iters == 4
    assert cfg.custom_hooks[0].select_iters == [2]
    assert cfg.work_dir == str(tmp_path / 'wd')
    assert cfg.launcher == 'pytorch'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'  # CPU machine
    # default work dir: ./work_dirs/<config name>, absolute
    monkeypatch.chdir(tmp_path)
    cfg = load_config(RA_CONFIG)
    assert cfg.work_dir == osp.join(
        str(tmp_path), 'work_dirs',
        'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes')


def test_enable_amp():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer={})))
    enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    cfg = Config(
        dict(optim_wrapper=dict(
            type='OptimWrapperDict',
            generator=dict(optimizer={}),
            discriminator=dict(type='OptimWrapper', optimizer={}))))
    enable_amp(cfg)
    assert cfg.optim_wrapper.generator.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'
    cfg = Config(dict(optim_wrapper=dict(type='ApexOptimWrapper')))
    with pytest.raises(AssertionError, match='only supported with '
                       'OptimWrapper'):
        enable_amp(cfg)


# ----------------------------------------------------------------------------
# adapt_cfg_to_device
# ----------------------------------------------------------------------------
def bn_cfg():
    return Config(
        dict(
            norm_cfg=dict(type='SyncBN', requires_grad=True),
            model=dict(
                backbone=dict(norm_cfg=dict(type='SyncBN'),
                              plugins=[dict(cfg=dict(
                                  norm_cfg=dict(type='SyncBN')))]),
                decode_head=dict(norm_cfg=dict(type='GN', num_groups=2)),
                auxiliary_head=[
                    dict(norm_cfg=dict(type='SyncBN')),
                    dict(norm_cfg=dict(type='BN')),
                ])))


def norm_types(cfg):
    m = cfg.model
    return [
        cfg.norm_cfg.type, m.backbone.norm_cfg.type,
        m.backbone.plugins[0].cfg.norm_cfg.type, m.decode_head.norm_cfg.type,
        m.auxiliary_head[0].norm_cfg.type, m.auxiliary_head[1].norm_cfg.type
    ]


def test_adapt_cpu():
    cfg = bn_cfg()
    assert adapt_cfg_to_device(cfg, cuda=False) is cfg
    assert norm_types(cfg) == ['BN', 'BN', 'BN', 'GN', 'BN', 'BN']
    assert cfg.norm_cfg.requires_grad is True
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        find_unused_parameters=False,
        device_ids=None)


def test_adapt_cpu_keeps_the_wrapper_settings():
    cfg = bn_cfg()
    cfg.find_unused_parameters = True
    cfg.env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
    adapt_cfg_to_device(cfg, cuda=False)
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    assert cfg.env_cfg == dict(
        cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
    # an explicit DDP wrapper keeps its options, loses its device ids
    cfg = bn_cfg()
    cfg.model_wrapper_cfg = dict(
        type='MMDistributedDataParallel', device_ids=[0],
        broadcast_buffers=True)
    adapt_cfg_to_device(cfg, cuda=False)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', device_ids=None,
        broadcast_buffers=True)
    # the per-child wrapper of multi-optimizer methods is a DDP subclass:
    # the Runner would pass it device_ids too
    cfg = bn_cfg()
    cfg.model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')
    adapt_cfg_to_device(cfg, cuda=False)
    assert cfg.model_wrapper_cfg == dict(
        type='MMSeparateDistributedDataParallel', device_ids=None)


def test_adapt_cuda_changes_only_the_backend():
    cfg = bn_cfg()
    adapt_cfg_to_device(cfg, cuda=True)
    assert norm_types(cfg) == [
        'SyncBN', 'SyncBN', 'SyncBN', 'GN', 'SyncBN', 'BN'
    ]
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg


def test_adapt_default_follows_this_machine():
    cfg = adapt_cfg_to_device(bn_cfg())
    cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
    assert cfg.env_cfg.dist_cfg.backend == ('nccl' if cuda else 'gloo')


# ----------------------------------------------------------------------------
# init_distributed
# ----------------------------------------------------------------------------
def test_init_distributed_errors(monkeypatch):
    init_distributed('none')  # nothing to do
    assert not torch.distributed.is_initialized()
    with pytest.raises(ValueError, match="unsupported launcher 'mpi'"):
        init_distributed('mpi')
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match=r'--launcher pytorch needs \$RANK'):
        init_distributed('pytorch')
    for key in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='--launcher slurm needs '
                       'SLURM_PROCID, SLURM_NTASKS, SLURM_NODELIST'):
        init_distributed('slurm')
    assert not torch.distributed.is_initialized()


def test_slurm_environment(monkeypatch):
    for key, value in dict(SLURM_PROCID='3', SLURM_NTASKS='8',
                           SLURM_LOCALID='1', SLURM_NODELIST='node[1-2]',
                           SLURM_JOB_ID='123456',
                           MASTER_ADDR='node1').items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv('MASTER_PORT', raising=False)
    _export_slurm_env()
    assert (os.environ['RANK'], os.environ['WORLD_SIZE'],
            os.environ['LOCAL_RANK']) == ('3', '8', '1')
    assert os.environ['MASTER_ADDR'] == 'node1'
    assert os.environ['MASTER_PORT'] == str(20000 + 3456)
    assert slurm_master_port('123456') == 23456
    assert slurm_master_port('9999') != slurm_master_port('10000')


# ----------------------------------------------------------------------------
# DAIoUMetric
# ----------------------------------------------------------------------------
# Twelve pixels in two images (1 x 6 each); 255 = ignored:
#   gt    0 0 0 0 3 3 | 9 9 c c 255 255      (c = car, 13 of 19)
#   pred  0 0 0 3 3 9 | 9 9 c 0 5   0
# Counted by hand over the 10 labelled pixels:
#   class  gt  pred  intersect  union  IoU   Acc
#   0      4   4     3          5      0.6   3/4
#   3      2   2     1          3      1/3   1/2
#   9      2   3     2          3      2/3   1
#   car    2   1     1          2      0.5   1/2
# every other class is absent (NaN), 5 only where the label is ignored.
# aAcc = 7/10; mIoU = (0.6 + 1/3 + 2/3 + 0.5) / 4 = 0.525;
# mAcc = (0.75 + 0.5 + 1 + 0.5) / 4 = 0.6875.
GT = [[0, 0, 0, 0, 3, 3], [9, 9, 'c', 'c', 255, 255]]
PRED = [[0, 0, 0, 3, 3, 9], [9, 9, 'c', 0, 5, 0]]


def run_metric(classes, car):
    metric = DAIoUMetric()
    metric.dataset_meta = dict(classes=classes)

    def tensor(row):
        return torch.tensor([[[car if v == 'c' else v for v in row]]])

    samples = [
        dict(pred_sem_seg=dict(data=tensor(p)),
             gt_sem_seg=dict(data=tensor(g))) for p, g in zip(PRED, GT)
    ]
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_metric_19_classes():
    m = run_metric(CITYSCAPES_CLASSES, car=13)
    assert list(m)[:6] == ['aAcc', 'mIoU', 'mIoU16', 'mIoU13', 'mAcc',
                           'IoU.road']
    assert m['aAcc'] == 70.0
    assert m['mIoU'] == 52.5
    assert m['mAcc'] == 68.75
    # mIoU16 drops terrain (9), truck and train: (0.6 + 1/3 + 0.5) / 3
    assert m['mIoU16'] == 47.78
    # mIoU13 drops wall (3), fence and pole too: (0.6 + 0.5) / 2
    assert m['mIoU13'] == 55.0
    assert m['IoU.road'] == 60.0
    assert m['IoU.wall'] == 33.33
    assert m['IoU.terrain'] == 66.67
    assert m['IoU.car'] == 50.0
    for name in CITYSCAPES_CLASSES:
        assert f'IoU.{name}' in m
    for name in ('sidewalk', 'pole', 'bicycle', 'traffic light'):
        assert math.isnan(m[f'IoU.{name}'])
    assert len(m) == 5 + 19


def test_metric_16_classes():
    # the same maps in the 16-class label space: 9 is sky, car is 12
    assert CLASSES_16[9] == 'sky' and CLASSES_16[12] == 'car'
    m = run_metric(CLASSES_16, car=12)
    assert 'mIoU16' not in m  # the 16-class mIoU is mIoU itself
    assert m['mIoU'] == 52.5
    # mIoU13 drops wall, fence and pole: (0.6 + 2/3 + 0.5) / 3
    assert m['mIoU13'] == 58.89
    assert m['IoU.sky'] == 66.67 and m['IoU.wall'] == 33.33
    assert 'IoU.terrain' not in m
    assert len(m) == 4 + 16


def test_metric_other_classes_only_miou():
    m = run_metric(tuple(f'c{i}' for i in range(14)), car=13)
    assert 'mIoU16' not in m and 'mIoU13' not in m
    assert m['mIoU'] == 52.5
    assert m['IoU.c13'] == 50.0


def test_metric_accumulates_over_the_set():
    # intersections and unions are summed over the images; the mean of
    # per-image mIoUs would be different: image 1 has road 3/4, wall 1/3,
    # terrain 0/1 (predicted only); image 2 terrain 2/2, car 1/2, road 0/1
    m = run_metric(CITYSCAPES_CLASSES, car=13)
    per_image = np.mean([np.mean([3 / 4, 1 / 3, 0.]), np.mean([1., .5, 0.])])
    assert round(per_image * 100, 2) == 43.06 != m['mIoU'] == 52.5
