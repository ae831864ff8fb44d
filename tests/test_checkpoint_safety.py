"""Loading a checkpoint never runs code from it, and a checkpoint that does
not fit is refused with the file named.

The malicious checkpoint pickles an object whose ``__reduce__`` creates a
marker directory: every loader of mmda (the Runner's ``load_from``,
``--resume`` and ``tools/test.py``, ``export_segmentor.py``,
``entropy_rank.py``, ``ensemble_checkpoints.py``, ``deepspeed2mmseg.py``,
the DeepSpeed strategy) must refuse it, naming the file, and the marker must
never appear.
"""
import importlib.util
import os
import os.path as osp
import pickle
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from conftest import NO_WORKERS, REPO
from mmda.engine.runner.mmda_runner import check_training_state
from mmda.utils import (CheckpointMismatchError, UnsafeCheckpointError,
                        check_checkpoint_fits, load_checkpoint_strict,
                        load_local_checkpoint, plain_checkpoint_state)
from mmda.utils.checkpoint_compat import (check_deepspeed_checkpoint_dir,
                                          message_hub_state)
from mmda.utils.checkpoint_fit import cfg_model_type, describe_checkpoint

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
ENSEMBLE = osp.join(
    REPO, 'configs', 'advent',
    'advent-minent-ensemble_deeplabv2-small_sim2real-gta5-to-cityscapes.py')


class Payload:
    """Unpickling this creates the directory ``path``."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path, ))


def write_malicious(path, marker, **extra):
    """A checkpoint that looks like a Runner checkpoint, with the payload
    in its meta."""
    torch.save(
        dict(
            meta=dict(iter=2, epoch=0, payload=Payload(marker)),
            state_dict=OrderedDict(w=torch.zeros(2)),
            **extra), str(path))
    return str(path)


@pytest.fixture
def malicious(tmp_path):
    marker = tmp_path / 'PWNED'
    path = write_malicious(tmp_path / 'evil.pth', marker)
    yield path, marker
    assert not marker.exists(), 'the payload ran'


def load_tool(relpath):
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(relpath))[0],
        osp.join(REPO, 'tools', relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- loading
def test_the_payload_is_real(tmp_path):
    # what the other tests guard against: unrestricted unpickling runs it
    marker = tmp_path / 'ran'
    path = write_malicious(tmp_path / 'evil.pth', marker)
    torch.load(path, weights_only=False)
    assert marker.is_dir()


def test_loader_refuses_a_payload_naming_file_and_type(malicious):
    path, _ = malicious
    with pytest.raises(UnsafeCheckpointError) as err:
        load_local_checkpoint(path)
    assert path in str(err.value)
    assert f'{os.mkdir.__module__}.mkdir' in str(err.value)


def test_import_mmda_patches_no_loader(malicious):
    """mmengine's own local loader is in place (torch's safe default), so
    code that loads through mmengine is not weakened by importing mmda."""
    import mmda  # noqa: F401
    path, _ = malicious
    loader = CheckpointLoader._get_checkpoint_loader(path)
    assert loader.__module__ == 'mmengine.runner.checkpoint'
    with pytest.raises(pickle.UnpicklingError):
        _load_checkpoint(path, map_location='cpu')


class GetattrPayload:
    """Unpickles as ``getattr(owner, name)``."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return (getattr, (self.owner, self.name))


@pytest.mark.parametrize('payload', [
    np.array([1, 'x'], dtype=object),  # object arrays pickle objects
    eval,
    getattr,
    GetattrPayload(HistoryBuffer, 'update'),
    GetattrPayload(np.ndarray, 'tofile'),
])
def test_loader_refuses_general_callables(tmp_path, payload):
    path = str(tmp_path / 'x.pth')
    torch.save(dict(meta=dict(x=payload)), path)
    with pytest.raises(UnsafeCheckpointError, match=path):
        load_local_checkpoint(path)


def legacy_runner_checkpoint(path):
    """A checkpoint as mmengine's plain Runner writes it: a message hub of
    ``HistoryBuffer`` objects and numpy values."""
    buffer = HistoryBuffer()
    for value in (1., 2., 4.):
        buffer.update(value)
    torch.save(
        dict(
            meta=dict(iter=3, seed=0, best=np.float64(0.25),
                      hist=np.arange(3, dtype=np.int64)),
            state_dict=OrderedDict(w=torch.arange(4.)),
            message_hub=dict(
                log_scalars={'train/loss': buffer},
                runtime_info=dict(iter=3, score=np.float32(1.5)),
                resumed_keys={'train/loss': True})), path)


def test_legacy_runner_checkpoint_loads_safely_as_plain(tmp_path):
    path = str(tmp_path / 'legacy.pth')
    legacy_runner_checkpoint(path)
    # torch alone refuses it: HistoryBuffer and numpy are not allowed
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    ckpt = load_local_checkpoint(path, map_location='cpu')
    assert ckpt['meta']['best'] == 0.25 and type(ckpt['meta']['best']) is \
        float
    assert torch.equal(ckpt['meta']['hist'], torch.arange(3))
    assert ckpt['message_hub']['runtime_info']['score'] == 1.5
    plain = ckpt['message_hub']['log_scalars']['train/loss']
    assert set(plain) == {'log_history', 'count_history', 'max_length'}
    assert plain['log_history'].tolist() == [1., 2., 4.]
    # resuming rebuilds the HistoryBuffer with the same statistics
    hub = message_hub_state(ckpt['message_hub'])
    buffer = hub['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(7 / 3) and buffer.current() == 4.
    assert buffer.data[1].tolist() == [1, 1, 1]


def test_plain_checkpoints_load_with_weights_only_and_no_allow_list(
        tmp_path):
    buffer = HistoryBuffer([0.5, 1.5], [1, 2], max_length=7)
    state = OrderedDict(w=torch.ones(2))
    state._metadata = OrderedDict({'': dict(version=1)})
    ckpt = plain_checkpoint_state(
        dict(meta=dict(n=np.int64(3)), state_dict=state,
             message_hub=dict(log_scalars={'loss': buffer})))
    assert ckpt['state_dict'] is state  # nothing to convert: not copied
    path = str(tmp_path / 'plain.pth')
    torch.save(ckpt, path)
    back = torch.load(path, weights_only=True)
    assert back['meta'] == dict(n=3)
    log = back['message_hub']['log_scalars']['loss']
    assert log['max_length'] == 7 and log['count_history'].tolist() == [1, 2]
    rebuilt = message_hub_state(back['message_hub'])['log_scalars']['loss']
    assert rebuilt.max_length == 7 and rebuilt.mean() == pytest.approx(
        (0.5 + 1.5) / 3)


def test_missing_and_corrupt_checkpoints(tmp_path):
    missing = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match=f'not found: {missing}'):
        load_local_checkpoint(missing)
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(b'not a checkpoint at all')
    with pytest.raises(RuntimeError, match=f'could not read checkpoint '
                       f'{corrupt}'):
        load_local_checkpoint(str(corrupt))


def test_deepspeed_directory_is_vetted(tmp_path):
    marker = tmp_path / 'PWNED'
    good = tmp_path / 'iter_2.pth'
    good.mkdir()
    torch.save(dict(module=OrderedDict(w=torch.ones(1))),
               good / 'mp_rank_00_model_states.pt')
    check_deepspeed_checkpoint_dir(str(good))
    write_malicious(good / 'zero_pp_rank_0_mp_rank_00_optim_states.pt',
                    marker)
    with pytest.raises(UnsafeCheckpointError,
                       match='zero_pp_rank_0_mp_rank_00_optim_states.pt'):
        check_deepspeed_checkpoint_dir(str(good))
    assert not marker.exists()


def test_deepspeed_strategy_vets_before_deepspeed_reads(tmp_path):
    """``--resume`` and ``load_from`` of a DeepSpeed run: the strategy
    refuses the directory (or file) before DeepSpeed unpickles it with
    ``weights_only=False``."""
    import logging

    from mmda.engine.strategies.deepspeed_strategy import MMDADeepSpeedStrategy
    marker = tmp_path / 'PWNED'
    ckpt_dir = tmp_path / 'iter_2.pth'
    ckpt_dir.mkdir()
    path = write_malicious(ckpt_dir / 'mp_rank_00_model_states.pt', marker)
    # nothing of the strategy is set up: the refusal comes first
    strategy = object.__new__(MMDADeepSpeedStrategy)
    strategy.logger = logging.getLogger('test')
    with pytest.raises(UnsafeCheckpointError, match=path):
        strategy.resume(str(ckpt_dir))
    with pytest.raises(UnsafeCheckpointError, match=path):
        strategy.load_checkpoint(str(ckpt_dir))
    with pytest.raises(UnsafeCheckpointError, match=path):
        strategy.load_checkpoint(path)  # a checkpoint file as load_from
    assert not marker.exists()


# ------------------------------------------------------------------- fit
class Tiny(nn.Module):

    def __init__(self, width=3):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 1)
        self.bn = nn.BatchNorm2d(width)


def test_fit_check_counts_and_names_the_model(tmp_path):
    model = Tiny()  # 7 keys: conv.{weight,bias}, bn.{5}
    other = dict(
        meta=dict(cfg="model = dict(\n    type='AdvEnt', segmentor=dict("
                  "type='EncoderDecoder'))\n", experiment_name='advent_x'),
        state_dict=OrderedDict([('segmentor.conv.weight', torch.zeros(1)),
                                ('discriminator.0.weight', torch.zeros(1)),
                                ('conv.bias', torch.zeros(5)),
                                ('module.conv.weight',
                                 torch.zeros(3, 1, 1, 1))]))
    with pytest.raises(CheckpointMismatchError) as err:
        check_checkpoint_fits(model, other, 'other.pth', 'the test model')
    text = str(err.value)
    assert text.startswith('checkpoint other.pth does not fit the test '
                           'model (Tiny, 7 keys): 5 missing, 2 unexpected '
                           'and 1 reshaped keys; 1 of 7 would load.')
    assert 'conv.bias: (5,) in the file, (3,) in the model' in text
    assert ("seems to be an AdvEnt model of run advent_x with weights "
            'conv.* (2), segmentor.* (1), discriminator.* (1)') in text
    # the same model's own weights fit (module. prefix revised)
    own = {f'module.{k}': v for k, v in model.state_dict().items()}
    assert set(check_checkpoint_fits(model, own, 'own.pth')) == set(
        model.state_dict())


def test_cfg_model_type_parses_without_running(tmp_path):
    marker = tmp_path / 'ran'
    text = (f"import os\nos.mkdir({str(marker)!r})\n"
            "model = dict(type='MinEnt', x=1)\n")
    assert cfg_model_type(text) == 'MinEnt'
    assert not marker.exists()
    assert cfg_model_type('model = (') is None
    assert describe_checkpoint({}) == (
        'a checkpoint (no model type in its meta) without weights')


def test_load_checkpoint_strict(tmp_path):
    src, dst = Tiny(), Tiny()
    path = str(tmp_path / 'tiny.pth')
    torch.save(dict(state_dict=src.state_dict()), path)
    load_checkpoint_strict(dst, path)
    assert torch.equal(dst.conv.weight, src.conv.weight)
    with pytest.raises(CheckpointMismatchError, match=f'(?s){path} does not '
                       'fit the model .Tiny, 7 keys.: 0 missing, 0 '
                       'unexpected and 6 reshaped keys; 1 of 7 would load.*'
                       'seems to be a checkpoint .no model type in its '
                       r'meta. with weights bn.\* \(5\), conv.\* \(2\)'):
        load_checkpoint_strict(Tiny(width=4), path)


def test_resume_needs_training_state_of_the_same_optimizers():
    own = dict(state={}, param_groups=[dict(params=[0, 1]), dict(params=[2])])
    good = dict(meta=dict(iter=2, epoch=0), message_hub={},
                optimizer=dict(state={}, param_groups=[
                    dict(params=[0, 1]), dict(params=[2])]))
    check_training_state(good, 'a.pth', own)
    with pytest.raises(CheckpointMismatchError,
                       match='a.pth: it is not a training checkpoint .no '
                       'meta, message_hub.'):
        check_training_state(dict(state_dict={}), 'a.pth', own)
    bad = dict(good, optimizer=dict(generator=dict(param_groups=[])))
    with pytest.raises(CheckpointMismatchError,
                       match='optimizer has no param_groups'):
        check_training_state(bad, 'a.pth', own)
    bad = dict(good, optimizer=dict(state={}, param_groups=[
        dict(params=[0, 1, 2])]))
    with pytest.raises(CheckpointMismatchError,
                       match=r'groups of \[3\] parameters, the model\'s '
                       r'optimizer has \[2, 1\]'):
        check_training_state(bad, 'a.pth', own)
    several = dict(generator=own, discriminator=own)
    with pytest.raises(CheckpointMismatchError,
                       match="holds the optimizers .'optimizer'.*"
                       "this run has .'discriminator', 'generator'."):
        check_training_state(
            dict(good, optimizer=dict(optimizer=own)), 'a.pth', several)
    with pytest.raises(UnsafeCheckpointError, match='a.pth: its meta holds a '
                       '"config" text, which mmengine would execute'):
        check_training_state(
            dict(good, meta=dict(iter=2, epoch=0, config='x = 1')),
            'a.pth', own)


# ---------------------------------------------------- tools (in-process)
def test_export_segmentor_refuses(malicious, tmp_path):
    path, _ = malicious
    with pytest.raises(UnsafeCheckpointError, match=path):
        load_tool('export_segmentor.py').main(
            [SOURCE_ONLY, path, str(tmp_path / 'out')])
    assert not (tmp_path / 'out' / 'segmentor.pth').exists()


def test_entropy_rank_refuses(malicious, tmp_path):
    path, _ = malicious
    with pytest.raises(UnsafeCheckpointError, match=path):
        load_tool('entropy_rank.py').main(
            [ADVENT, path, '--out-dir', str(tmp_path / 'rank')])
    assert not (tmp_path / 'rank').exists()


def test_ensemble_checkpoints_refuses(malicious, tmp_path):
    path, _ = malicious
    out = tmp_path / 'ensemble.pth'
    with pytest.raises(UnsafeCheckpointError, match=path):
        load_tool('ensemble_checkpoints.py').main(
            [ENSEMBLE, str(out), f'advent={path}', f'minent={path}'])
    assert not out.exists()


def test_deepspeed2mmseg_refuses(tmp_path):
    marker = tmp_path / 'PWNED'
    src = tmp_path / 'iter_4.pth'
    src.mkdir()
    path = write_malicious(src / 'mp_rank_00_model_states.pt', marker,
                           module=OrderedDict(w=torch.ones(1)))
    dst = tmp_path / 'converted.pth'
    with pytest.raises(UnsafeCheckpointError, match=path):
        load_tool('model_converters/deepspeed2mmseg.py').main(
            [str(src), str(dst)])
    assert not dst.exists() and not marker.exists()


# ------------------------------------------------ Runner (fresh process)
TINY = ['train_cfg.max_iters=2', 'train_cfg.val_interval=2'] + NO_WORKERS


def run_failing(argv, cwd):
    proc = subprocess.run([sys.executable] + [str(a) for a in argv],
                          cwd=str(cwd), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode != 0, proc.stdout[-2000:]
    return proc.stderr


@pytest.mark.slow
def test_runner_entry_points_refuse_a_payload(sim2real_tiny, tmp_path):
    marker = tmp_path / 'PWNED'
    evil = write_malicious(tmp_path / 'evil.pth', marker)
    train = osp.join(REPO, 'tools', 'train.py')
    # tools/test.py
    err = run_failing([osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY, evil,
                       '--work-dir', tmp_path / 'test', '--cfg-options'] +
                      NO_WORKERS, sim2real_tiny)
    assert 'UnsafeCheckpointError' in err and evil in err
    # load_from
    err = run_failing([train, SOURCE_ONLY, '--work-dir', tmp_path / 'load',
                       '--cfg-options', f'load_from={evil}'] + TINY,
                      sim2real_tiny)
    assert 'UnsafeCheckpointError' in err and evil in err
    # --resume (the work dir's last_checkpoint names the file)
    work_dir = tmp_path / 'resume'
    work_dir.mkdir()
    (work_dir / 'last_checkpoint').write_text(evil)
    err = run_failing([train, SOURCE_ONLY, '--work-dir', work_dir, '--resume',
                       '--cfg-options'] + TINY, sim2real_tiny)
    assert 'UnsafeCheckpointError' in err and evil in err
    assert not marker.exists()


@pytest.mark.slow
def test_runner_refuses_a_checkpoint_of_another_model(sim2real_tiny,
                                                      tmp_path):
    other = str(tmp_path / 'advent.pth')
    torch.save(
        dict(meta=dict(iter=2, epoch=0, cfg="model = dict(type='AdvEnt')\n",
                       experiment_name='advent_run'),
             message_hub=dict(log_scalars={}, runtime_info={},
                              resumed_keys={}),
             state_dict=OrderedDict([
                 ('segmentor.backbone.conv1.weight', torch.zeros(1)),
                 ('discriminator.0.weight', torch.zeros(1))]),
             optimizer=dict(generator=dict(state={}, param_groups=[]))),
        other)
    train = osp.join(REPO, 'tools', 'train.py')
    err = run_failing([osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY,
                       other, '--work-dir', tmp_path / 'test',
                       '--cfg-options'] + NO_WORKERS, sim2real_tiny)
    assert 'CheckpointMismatchError' in err and other in err
    assert '2 unexpected and 0 reshaped keys; 0 of' in err
    assert 'seems to be an AdvEnt model of run advent_run' in err
    assert 'mIoU' not in err  # nothing was evaluated
    work_dir = tmp_path / 'resume'
    work_dir.mkdir()
    (work_dir / 'last_checkpoint').write_text(other)
    err = run_failing([train, SOURCE_ONLY, '--work-dir', work_dir, '--resume',
                       '--cfg-options'] + TINY, sim2real_tiny)
    assert 'CheckpointMismatchError' in err and other in err
    assert "KeyError: 'param_groups'" not in err
    # (--resume in a work dir without a checkpoint says so in one log line
    # and starts at iteration 0: tests/test_fault_injection.py)
