"""AdaBN: re-estimating a network's batch-norm statistics
(:func:`mmda.models.utils.recalibrate_batch_norm`) and
``tools/analysis_tools/recalibrate_bn.py`` on mmda checkpoints."""
import os.path as osp
import sys

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from conftest import (NO_WORKERS, REPO, load_checkpoint, logged_metric,
                      run_tool_forked)
from mmseg.registry import MODELS

from mmda.models.layers import FrozenBatchNorm2d
from mmda.models.utils import batch_norm_layers, recalibrate_batch_norm
from mmda.utils.file_hash import sha256_file

sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
import recalibrate_bn as tool  # noqa: E402

pytestmark = pytest.mark.usefixtures('torch_one_thread')

TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'recalibrate_bn.py')
SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
SELF_ENSEMBLING = osp.join(
    REPO, 'configs', 'self_ensembling',
    'self-ensembling_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
ADVENT = osp.join(REPO, 'configs', 'advent',
                  'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TWO_DOMAIN = osp.join(REPO, 'configs', '_base_', 'datasets',
                      'sim2real_gta5_to_cityscapes.py')
#: --data-cfg-options / --cfg-options: the train_dataloader in this process
TRAIN_NO_WORKERS = [o for o in NO_WORKERS if o.startswith('train_')]
BN_BUFFERS = ('running_mean', 'running_var', 'num_batches_tracked')


def _net(middle=None, norm=nn.BatchNorm2d):
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), middle or nn.Identity(), norm(4), nn.ReLU(),
        nn.Conv2d(4, 5, 1), nn.BatchNorm2d(5, momentum=0.3))


def _batches(sizes=(2, 3, 1)):
    g = torch.Generator().manual_seed(1)
    return [torch.randn(n, 3, 6 + n, 7, generator=g) * 2 + 1 for n in sizes]


def _buffers(module):
    return {k: v.clone() for k, v in module.named_buffers()}


def test_statistics_are_the_cumulative_average_of_batch_statistics():
    net = _net()
    net.train()
    seen = {}
    for name, layer in batch_norm_layers(net):
        layer.register_forward_pre_hook(
            lambda m, args, name=name: seen.setdefault(name, []).append(
                args[0].double()))
    batches = _batches()
    result = recalibrate_batch_norm(net, batches)
    assert result == dict(layers=['2', '5'], kept=[], batches=3, images=6)
    for name, layer in batch_norm_layers(net):
        xs = seen[name]
        assert len(xs) == 3
        means = torch.stack([x.mean((0, 2, 3)) for x in xs])
        variances = torch.stack(
            [x.var((0, 2, 3), unbiased=True) for x in xs])
        torch.testing.assert_close(layer.running_mean.double(),
                                   means.mean(0), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(layer.running_var.double(),
                                   variances.mean(0), rtol=1e-5, atol=1e-6)
        assert layer.num_batches_tracked.item() == 3
    # momenta and modes as before
    assert net[2].momentum == 0.1 and net[5].momentum == 0.3
    assert all(m.training for m in net.modules())
    net.eval()
    recalibrate_batch_norm(net, batches)
    assert not any(m.training for m in net.modules())


def test_dropout_is_off_during_the_pass():
    batches = _batches()
    plain, dropped = _net(), _net(nn.Dropout(0.5))
    dropped.train()
    recalibrate_batch_norm(plain, batches)
    recalibrate_batch_norm(dropped, batches)
    assert dropped[1].training  # restored
    for key, value in _buffers(plain).items():
        assert torch.equal(_buffers(dropped)[key], value), key
    # with dropout on, the statistics would be others
    dropped[1].train()
    dropped[2].reset_running_stats()
    dropped[2].momentum = None
    dropped[2].train()
    with torch.no_grad():
        for x in batches:
            dropped[2](dropped[1](dropped[0](x)))
    assert not torch.allclose(dropped[2].running_var, plain[2].running_var)


def test_frozen_batch_norm_is_left_alone_and_sync_bn_is_recalibrated():
    net = _net(norm=lambda c: FrozenBatchNorm2d(c, eps=1e-5))
    net[2].running_mean.fill_(0.5)
    net[2].running_var.fill_(2.)
    frozen = _buffers(net[2])
    result = recalibrate_batch_norm(net, _batches())
    assert result['layers'] == ['5']
    for key, value in _buffers(net[2]).items():
        assert torch.equal(value, frozen[key]), key
    sync = _net(norm=nn.SyncBatchNorm)
    plain = _net()
    assert recalibrate_batch_norm(sync, _batches())['layers'] == ['2', '5']
    recalibrate_batch_norm(plain, _batches())
    for key, value in _buffers(plain).items():
        torch.testing.assert_close(_buffers(sync)[key], value)


def test_a_layer_the_forward_does_not_reach_keeps_its_statistics():
    net = _net()
    net.aux = nn.BatchNorm2d(5)
    net.aux.running_mean.fill_(3.)
    before = _buffers(net.aux)
    result = recalibrate_batch_norm(net, _batches(),
                                    forward=lambda x: net[:6](x))
    assert result['kept'] == ['aux'] and result['layers'] == ['2', '5']
    for key, value in _buffers(net.aux).items():
        assert torch.equal(value, before[key]), key
    assert net.aux.momentum == 0.1


def test_errors_leave_the_statistics_as_they_were():
    with pytest.raises(ValueError, match='Sequential.*no batch-norm layer'):
        recalibrate_batch_norm(nn.Sequential(nn.Conv2d(3, 4, 1)), [])
    with pytest.raises(ValueError, match='no batch-norm layer'):
        recalibrate_batch_norm(
            nn.Sequential(FrozenBatchNorm2d(3)), _batches())
    net = _net()
    recalibrate_batch_norm(net, _batches()[:1])
    before = _buffers(net)
    with pytest.raises(ValueError, match='no input batch to recalibrate '
                       'the toy'):
        recalibrate_batch_norm(net, [], what='the toy')

    def fails_second(x):
        fails_second.calls += 1
        if fails_second.calls == 2:
            raise RuntimeError('broken batch')
        return net(x)

    fails_second.calls = 0
    with pytest.raises(RuntimeError, match='broken batch'):
        recalibrate_batch_norm(net, _batches(), forward=fails_second)
    nan = _batches()[:1] + [torch.full((2, 3, 8, 7), float('nan'))]
    with pytest.raises(ValueError, match='statistics of 2 are not finite'):
        recalibrate_batch_norm(net, nan)
    with pytest.raises(ValueError, match='reached none'):
        recalibrate_batch_norm(net, _batches(), forward=lambda x: None)
    for key, value in _buffers(net).items():
        assert torch.equal(value, before[key]), key
    assert net[2].momentum == 0.1 and net[5].momentum == 0.3


# ------------------------------------------------------------------ tool


def _method_checkpoint(config, path, extra=()):
    """A checkpoint of the config's model as built (seed 0), with the
    ``extra`` training-state entries a run writes."""
    from mmengine.registry import init_default_scope

    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = {'state_dict': model.state_dict(), 'meta': {'iter': 7}}
    ckpt.update({k: {'state': {}} for k in extra})
    torch.save(ckpt, path)
    return ckpt


def _changed(before: dict, after: dict):
    assert set(before) == set(after)
    return sorted(k for k, v in before.items() if not torch.equal(
        v, after[k]))


def test_stream_errors_name_the_data_config_and_the_streams():
    named = {'source': {'inputs': []}, 'target': {'inputs': []}}
    assert tool.stream_part(named, 'source', 'd.py') is named['source']
    with pytest.raises(KeyError, match=r"d\.py: the train_dataloader's "
                       r"batches have the streams \['source', 'target'\]; "
                       "--stream 'tgt' is none of them"):
        tool.stream_part(named, 'tgt', 'd.py')
    with pytest.raises(KeyError, match='none of them'):
        tool.stream_part(named, tool.SINGLE, 'd.py')
    single = {'inputs': [], 'data_samples': []}
    assert tool.stream_part(single, tool.SINGLE, 'c.py') is single
    with pytest.raises(KeyError) as err:
        tool.stream_part(single, 'target', 'c.py')
    msg = str(err.value)
    assert 'c.py: the train_dataloader yields single-domain batches' in msg
    assert f'--data-config (e.g. {tool.TWO_DOMAIN_EXAMPLE}' in msg
    assert '--stream single' in msg
    assert osp.isfile(osp.join(REPO, tool.TWO_DOMAIN_EXAMPLE))


def test_source_only_checkpoint_recalibrated_on_the_target(
        sim2real_tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(sim2real_tiny)
    ckpt = tmp_path / 'in.pth'
    before = _method_checkpoint(
        SOURCE_ONLY, ckpt, extra=tool.TRAINING_STATE)
    digest = sha256_file(ckpt)
    out = tmp_path / 'new' / 'target.pth'
    argv = [SOURCE_ONLY, str(ckpt), '--data-config', TWO_DOMAIN,
            '--batches', '3', '--seed', '1', '--data-cfg-options'
            ] + TRAIN_NO_WORKERS
    tool.main(argv + ['--out', str(out)])
    printed = capsys.readouterr().out
    assert (f'recalibrated 22 batch-norm layers of EncoderDecoder on 6 '
            f'target images (3 batches of {TWO_DOMAIN}, seed 1); wrote '
            f'{out}') in printed
    assert sha256_file(ckpt) == digest  # the input is untouched
    got = load_checkpoint(out)
    assert set(got) == {'state_dict', 'meta'}  # no training state
    changed = _changed(before['state_dict'], got['state_dict'])
    model = MODELS.build(Config.fromfile(SOURCE_ONLY).model)
    bn_keys = sorted(f'{name}.{b}' for name, _ in batch_norm_layers(model)
                     for b in BN_BUFFERS)
    assert changed == bn_keys
    assert all(got['state_dict'][k].item() == 3 for k in bn_keys
               if k.endswith('num_batches_tracked'))
    assert got['meta']['iter'] == 7
    assert got['meta']['bn_recalibration'] == [dict(
        method='AdaBN', source_checkpoint=str(ckpt), source_sha256=digest,
        config=SOURCE_ONLY, data_config=TWO_DOMAIN, stream='target',
        batches=3, images=6, seed=1, layers=22, kept=[])]

    # the same seed gives the same statistics, the source others
    again = tmp_path / 'again.pth'
    tool.main(argv + ['--out', str(again)])
    assert not _changed(got['state_dict'],
                        load_checkpoint(again)['state_dict'])
    source = tmp_path / 'source.pth'
    tool.main(argv + ['--out', str(source), '--stream', 'source'])
    assert _changed(got['state_dict'],
                    load_checkpoint(source)['state_dict']) == [
                        k for k in bn_keys
                        if not k.endswith('num_batches_tracked')]
    # a second recalibration appends its record
    tool.main([SOURCE_ONLY, str(out), '--out', str(tmp_path / 'twice.pth'),
               '--stream', 'single', '--batches', '1', '--cfg-options'] +
              TRAIN_NO_WORKERS)
    records = load_checkpoint(tmp_path / 'twice.pth')['meta'][
        'bn_recalibration']
    assert [r['stream'] for r in records] == ['target', 'single']
    assert records[1]['data_config'] == SOURCE_ONLY


def test_tool_refusals(sim2real_tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(sim2real_tiny)
    ckpt = tmp_path / 'in.pth'
    _method_checkpoint(SOURCE_ONLY, ckpt)
    digest = sha256_file(ckpt)
    with pytest.raises(ValueError, match='is CHECKPOINT itself'):
        tool.main([SOURCE_ONLY, str(ckpt), '--out', str(ckpt)])
    # a source-only config has no target stream
    with pytest.raises(KeyError, match=(
            f'{SOURCE_ONLY}: the train_dataloader yields single-domain')):
        tool.main([SOURCE_ONLY, str(ckpt), '--out', str(tmp_path / 'o.pth'),
                   '--batches', '1', '--cfg-options'] + TRAIN_NO_WORKERS)
    with pytest.raises(KeyError, match=r"streams \['source', 'target'\]; "
                       "--stream 'tagret'"):
        tool.main([SOURCE_ONLY, str(ckpt), '--out', str(tmp_path / 'o.pth'),
                   '--data-config', TWO_DOMAIN, '--stream', 'tagret',
                   '--batches', '1', '--data-cfg-options'] +
                  TRAIN_NO_WORKERS)
    with pytest.raises(SystemExit):
        tool.parse_args([SOURCE_ONLY, str(ckpt), '--out', 'x.pth',
                         '--batches', '0'])
    assert sha256_file(ckpt) == digest
    assert not (tmp_path / 'o.pth').exists()


def test_self_ensembling_recalibrates_the_student_only(
        sim2real_tiny, tmp_path, monkeypatch):
    monkeypatch.chdir(sim2real_tiny)
    ckpt = tmp_path / 'se.pth'
    before = _method_checkpoint(SELF_ENSEMBLING, ckpt)
    out = tmp_path / 'se_target.pth'
    tool.main([SELF_ENSEMBLING, str(ckpt), '--out', str(out), '--batches',
               '1', '--cfg-options'] + TRAIN_NO_WORKERS)
    got = load_checkpoint(out)
    changed = _changed(before['state_dict'], got['state_dict'])
    assert changed and all(
        k.startswith('student.') and k.endswith(BN_BUFFERS)
        for k in changed)
    assert 'student.backbone.stem.1.running_var' in changed
    assert not any(k.startswith('teacher.') for k in changed)


def test_plain_segmentor_weights_of_a_wrapping_method(sim2real_tiny,
                                                      tmp_path, monkeypatch):
    """AdvEnt keeps its segmentor under ``segmentor.``; its exported
    weights (plain keys) are recalibrated and written as they came."""
    from mmengine.registry import init_default_scope
    monkeypatch.chdir(sim2real_tiny)
    init_default_scope('mmseg')
    torch.manual_seed(0)
    segmentor = MODELS.build(Config.fromfile(ADVENT).model).segmentor
    ckpt = tmp_path / 'segmentor.pth'
    torch.save({'state_dict': segmentor.state_dict(), 'meta': {}}, ckpt)
    out = tmp_path / 'out.pth'
    tool.main([ADVENT, str(ckpt), '--out', str(out), '--batches', '1',
               '--cfg-options'] + TRAIN_NO_WORKERS)
    changed = _changed(segmentor.state_dict(),
                       load_checkpoint(out)['state_dict'])
    assert changed == sorted(f'{name}.{b}'
                             for name, _ in batch_norm_layers(segmentor)
                             for b in BN_BUFFERS)


@pytest.mark.slow
def test_cli_output_is_evaluated_by_tools_test(sim2real_tiny, tmp_path):
    ckpt = tmp_path / 'in.pth'
    _method_checkpoint(SOURCE_ONLY, ckpt, extra=tool.TRAINING_STATE)
    out = tmp_path / 'target.pth'
    proc = run_tool_forked([
        TOOL, SOURCE_ONLY, ckpt, '--out', out, '--data-config', TWO_DOMAIN,
        '--batches', '2', '--data-cfg-options'
    ] + TRAIN_NO_WORKERS, cwd=sim2real_tiny)
    assert f'target images (2 batches of {TWO_DOMAIN}' in proc.stdout
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY, out, '--work-dir',
        tmp_path / 'w', '--cfg-options'
    ] + NO_WORKERS, cwd=sim2real_tiny)
    assert 0 <= logged_metric(proc.stdout + proc.stderr) <= 100
