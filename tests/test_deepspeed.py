"""DeepSpeed training of the single-optimizer methods, on CPU.

Config conversion (:mod:`mmda.engine.strategies.deepspeed_cfg`): an mmda
``optim_wrapper`` becomes a ``DeepSpeedOptimWrapper`` plus DeepSpeed
options (exact dicts); several optimizers are refused.

End to end on the tiny sim2real benchmark, with a method config plus
``configs/_base_/strategies/deepspeed_zero{1,2}.py`` in its ``_base_``:

(a) source-only, ZeRO-2, one process (``tools/train.py``): the loss goes
    down, checkpoints are DeepSpeed directories, and
    ``tools/model_converters/deepspeed2mmseg.py`` turns the last one into an
    mmseg checkpoint whose weights load strictly into mmseg's
    ``EncoderDecoder``, equal the engine's, and which ``tools/test.py``
    evaluates to the in-training validation's numbers;
(b) RIPU RA, ZeRO-1, two ranks (``tools/dist_train.sh``, gloo): a selection
    round split over both ranks, the active-label ledger in the checkpoint's
    client state, and a run resumed from iteration 3 ends with the
    weights, ZeRO optimizer partitions and ledger of the uninterrupted run.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import (DEEPSPEED_MODEL_STATES, NO_WORKERS, REPO,
                      assert_same_deepspeed_state, deepspeed_config,
                      free_port, load_deepspeed_file, run_tool_forked)

SOURCE_ONLY = osp.join(
    REPO, 'configs', 'baselines',
    'source-only_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
RIPU_RA = osp.join(
    REPO, 'configs', 'ripu',
    'ripu_ra-2.2_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
TINY = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
    'default_hooks.logger.interval=1'
] + NO_WORKERS


# ------------------------------------------------------------- conversion
def _wrapper(**kwargs):
    return dict(
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
        paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.))),
        **kwargs)


def test_optim_wrapper_keeps_optimizer_and_moves_engine_options():
    from mmda.engine import to_deepspeed_optim_wrapper
    ds_config = dict(zero_optimization=dict(stage=2),
                     gradient_accumulation_steps=1)
    wrapper = to_deepspeed_optim_wrapper(
        _wrapper(type='OptimWrapper', clip_grad=dict(max_norm=35, norm_type=2),
                 accumulative_counts=4), ds_config, 'exp')
    assert wrapper.to_dict() == dict(
        type='DeepSpeedOptimWrapper',
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9),
        paramwise_cfg=dict(custom_keys=dict(decode_head=dict(lr_mult=10.))))
    assert ds_config == dict(zero_optimization=dict(stage=2),
                             gradient_clipping=35.0,
                             gradient_accumulation_steps=4)
    # clip_grad=None (the mmda schedules) adds nothing
    ds_config = {}
    to_deepspeed_optim_wrapper(_wrapper(clip_grad=None), ds_config)
    assert ds_config == {}


@pytest.mark.parametrize('amp, bf16_supported, expected', [
    (dict(), True, dict(bf16=dict(enabled=True),
                        data_types=dict(buffer_dtype='bf16'))),
    (dict(), False, dict(fp16=dict(enabled=True),
                         data_types=dict(buffer_dtype='fp16'))),
    (dict(dtype='float16', loss_scale=512.), True,
     dict(fp16=dict(enabled=True, loss_scale=512.),
          data_types=dict(buffer_dtype='fp16'))),
    (dict(dtype='bfloat16', loss_scale='dynamic'), False,
     dict(bf16=dict(enabled=True), data_types=dict(buffer_dtype='bf16'))),
])
def test_amp_becomes_deepspeed_half_precision(amp, bf16_supported, expected):
    from mmda.engine import to_deepspeed_optim_wrapper
    ds_config = {}
    wrapper = to_deepspeed_optim_wrapper(
        _wrapper(type='AmpOptimWrapper', **amp), ds_config,
        bf16_supported=bf16_supported)
    assert wrapper.type == 'DeepSpeedOptimWrapper'
    assert 'loss_scale' not in wrapper and 'dtype' not in wrapper
    assert ds_config == expected


def test_half_precision_keeps_the_configured_buffer_dtype():
    from mmengine.config import ConfigDict

    from mmda.engine import enable_half_precision
    # a config's strategy.config is a ConfigDict, whose setdefault returns
    # a detached copy: the update must still land
    ds_config = ConfigDict(data_types=dict(buffer_dtype='fp32'))
    enable_half_precision(ds_config, 'bf16')
    assert ds_config.to_dict() == dict(bf16=dict(enabled=True),
                                       data_types=dict(buffer_dtype='fp32'))
    with pytest.raises(ValueError, match='both bf16 and fp16'):
        enable_half_precision(ds_config, 'fp16', 'exp')


@pytest.mark.parametrize('optim_wrapper', [
    dict(constructor='MultiOptimWrapperConstructor',
         segmentor=dict(type='OptimWrapper', optimizer=dict(type='SGD')),
         discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam'))),
    dict(type='OptimWrapperDict',
         segmentor=dict(optimizer=dict(type='SGD')),
         discriminator=dict(optimizer=dict(type='Adam'))),
])
def test_several_optimizers_are_refused(optim_wrapper):
    from mmda.engine import (check_single_optimizer,
                             to_deepspeed_optim_wrapper)
    for check in (lambda: check_single_optimizer(optim_wrapper, 'advent.py'),
                  lambda: to_deepspeed_optim_wrapper(optim_wrapper, {},
                                                     'advent.py')):
        with pytest.raises(ValueError) as err:
            check()
        message = str(err.value)
        assert message.startswith('advent.py: DeepSpeed trains one optimizer')
        keys = sorted(optim_wrapper)
        assert f'(keys: {", ".join(keys)})' in message
        assert 'tools/dist_train.sh' in message


def test_built_optimizer_wrapper_dict_is_refused():
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from mmda.engine import check_single_optimizer
    param = torch.nn.Parameter(torch.zeros(1))
    wrappers = OptimWrapperDict(
        segmentor=OptimWrapper(torch.optim.SGD([param], lr=0.1)),
        discriminator=OptimWrapper(torch.optim.SGD([param], lr=0.1)))
    with pytest.raises(ValueError, match=r'keys: discriminator, segmentor'):
        check_single_optimizer(wrappers, 'exp')
    check_single_optimizer(
        OptimWrapper(torch.optim.SGD([param], lr=0.1)), 'exp')


@pytest.mark.parametrize('optim_wrapper, match', [
    (_wrapper(type='ApexOptimWrapper'), "type 'ApexOptimWrapper'"),
    (_wrapper(clip_grad=dict(type='value', clip_value=1.)), '2-norm'),
    (_wrapper(loss_scale=512.), 'loss_scale of OptimWrapper'),
])
def test_options_without_deepspeed_equivalent_are_refused(optim_wrapper,
                                                          match):
    from mmda.engine import to_deepspeed_optim_wrapper
    with pytest.raises(ValueError, match=match):
        to_deepspeed_optim_wrapper(optim_wrapper, {}, 'exp')


def test_half_precision_model_is_callable_with_fp32_data():
    """What a hook calling ``model.test_step`` itself needs (RIPU's
    selection round under bf16): fp32 in, fp32 ``seg_logits`` out."""
    from mmengine.structures import PixelData

    from mmda.engine.strategies.deepspeed_strategy import cast_model_io
    from mmseg.structures import SegDataSample

    class Tiny(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 2, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            if isinstance(inputs, dict):  # a two-domain batch
                return {k: self.conv(v) for k, v in inputs.items()}
            logits = self.conv(inputs)
            if mode != 'predict':
                return logits
            return [
                SegDataSample(
                    seg_logits=PixelData(data=x),
                    pred_sem_seg=PixelData(data=x.argmax(0, keepdim=True)))
                for x in logits
            ]

    torch.manual_seed(0)
    model = Tiny().to(torch.bfloat16)
    cast_model_io(model, torch.bfloat16)
    images = torch.randn(2, 3, 4, 4)
    expected = model.conv(images.to(torch.bfloat16)).float()
    samples = model(inputs=images, mode='predict')
    assert [s.seg_logits.data.dtype for s in samples] == [torch.float32] * 2
    assert samples[0].pred_sem_seg.data.dtype == torch.int64
    assert torch.equal(torch.stack([s.seg_logits.data for s in samples]),
                       expected)
    # other modes: inputs cast (positional too, and nested), outputs as is
    assert model(images).dtype == torch.bfloat16
    both = model(dict(source=images, target=images), None, 'loss')
    assert both['source'].dtype == both['target'].dtype == torch.bfloat16


# ------------------------------------------------------------ end to end
def train_losses(text: str) -> list:
    return [
        float(v) for v in re.findall(r'Iter\(train\) \[ *\d+/\d+\].*? loss: '
                                     r'([\d.]+)', text)
    ]


def run_script(argv, cwd, env, timeout=600):
    """Run a shell script; fail the test with its output's end on a
    non-zero exit."""
    proc = subprocess.run(['bash'] + [str(a) for a in argv],
                          cwd=str(cwd),
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    assert proc.returncode == 0, (f'{argv[0]} exited with {proc.returncode}:'
                                  f'\n{proc.stdout[-3000:]}\n'
                                  f'{proc.stderr[-5000:]}')
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def source_only_zero2(sim2real_tiny):
    """A 4-iteration one-process ZeRO-2 source-only run, checkpoints at 2
    and 4: (work dir, output)."""
    config = deepspeed_config(sim2real_tiny, SOURCE_ONLY, 'deepspeed_zero2')
    work_dir = sim2real_tiny / 'work_dirs' / 'ds_source_only'
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
        str(work_dir), '--cfg-options', 'default_hooks.checkpoint.interval=2'
    ] + TINY,
                           cwd=sim2real_tiny)
    return work_dir, proc.stdout + proc.stderr


@pytest.mark.slow
def test_source_only_zero2_trains_and_converts_to_mmseg(
        sim2real_tiny, source_only_zero2):
    work_dir, log = source_only_zero2
    assert "type='MMDADeepSpeedStrategy'" in log
    assert 'deepspeed_shm_comm' not in log  # no kernel compiled
    losses = train_losses(log)
    assert len(losses) == 4 and losses[-1] < losses[0] - 0.3, losses
    for step in (2, 4):
        assert osp.isfile(
            work_dir / f'iter_{step}.pth' / DEEPSPEED_MODEL_STATES)
    with open(work_dir / 'last_checkpoint') as f:
        assert f.read() == 'iter_4.pth'  # relative to the work dir

    converted = sim2real_tiny / 'ds_source_only_iter_4.pth'
    run_tool_forked([
        osp.join(REPO, 'tools', 'model_converters', 'deepspeed2mmseg.py'),
        work_dir / 'iter_4.pth', converted
    ])
    checkpoint = torch.load(converted, map_location='cpu', weights_only=True)
    assert checkpoint['meta']['iter'] == 4
    state_dict = checkpoint['state_dict']
    # the weights load strictly into mmseg's EncoderDecoder ...
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    import mmda.models  # noqa: F401  (DeepLabV2Head)
    from mmseg.models import EncoderDecoder
    from mmseg.registry import MODELS
    model_cfg = Config.fromfile(SOURCE_ONLY).model
    model_cfg.data_preprocessor.type = 'SegDataPreProcessor'
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(model_cfg)
        untrained = MODELS.build(model_cfg).state_dict()
    assert type(model) is EncoderDecoder
    model.load_state_dict(state_dict, strict=True)
    # ... and are the engine's (fp32: the module holds the master weights)
    engine = load_deepspeed_file(
        work_dir / 'iter_4.pth' / DEEPSPEED_MODEL_STATES)['module']
    assert set(engine) == set(state_dict)
    assert all(torch.equal(engine[k], state_dict[k]) for k in engine)
    # training moved every weight away from the initialisation
    params = [name for name, _ in model.named_parameters()]
    assert params and all(not torch.equal(untrained[name], state_dict[name])
                          for name in params)

    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'test.py'), SOURCE_ONLY, converted,
        '--work-dir', sim2real_tiny / 'work_dirs' / 'ds_test',
        '--cfg-options'
    ] + NO_WORKERS,
                           cwd=sim2real_tiny)
    val = re.findall(r'Iter\(val\) \[1/1\]\s+(aAcc: .*?mAcc: [\d.]+)', log)
    test = re.findall(r'Iter\(test\) \[1/1\]\s+(aAcc: .*?mAcc: [\d.]+)',
                      proc.stdout + proc.stderr)
    assert val and test and test[-1] == val[-1], (val, test)


@pytest.mark.slow
def test_training_tool_refuses_several_optimizers(sim2real_tiny):
    """AdvEnt (segmentor + discriminator optimizers) with a DeepSpeed
    strategy: tools/train.py refuses it before building anything."""
    advent = osp.join(REPO, 'configs', 'advent',
                      'advent_deeplabv2-small_sim2real-gta5-to-cityscapes.py')
    config = deepspeed_config(sim2real_tiny, advent, 'deepspeed_zero2')
    proc = run_tool_forked([
        osp.join(REPO, 'tools', 'train.py'),
        str(config), '--work-dir',
        str(sim2real_tiny / 'work_dirs' / 'two_optimizers'), '--cfg-options'
    ] + NO_WORKERS,
                           cwd=sim2real_tiny,
                           timeout=300,
                           check=False)
    assert proc.returncode != 0
    assert (f'ValueError: {config}: DeepSpeed trains one optimizer, but '
            'optim_wrapper holds several optimizer wrappers (keys: '
            'constructor, discriminator, segmentor)'
            ) in proc.stderr, proc.stderr[-3000:]
    assert 'tools/dist_train.sh' in proc.stderr


@pytest.mark.slow
def test_ripu_zero1_two_ranks_resumes_exactly(sim2real_tiny):
    config = deepspeed_config(sim2real_tiny, RIPU_RA, 'deepspeed_zero1')
    options = TINY + [
        'custom_hooks.0.select_iters=[2]',
        'custom_hooks.0.dataloader.num_workers=0',
        'default_hooks.checkpoint.interval=3'
    ]
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1')

    def dist_train(work_dir, *args):
        env['PORT'] = str(free_port())
        return run_script([
            osp.join(REPO, 'tools', 'dist_train.sh'), config, '2',
            '--work-dir', work_dir, *args, '--cfg-options'
        ] + options, sim2real_tiny, env)

    full = sim2real_tiny / 'work_dirs' / 'ds_ripu'
    log = dist_train(full)
    assert 'scoring 8 target images on 2 rank(s)' in log
    losses = train_losses(log)
    assert len(losses) == 4, log[-3000:]
    final = load_deepspeed_file(full / 'iter_4.pth' / DEEPSPEED_MODEL_STATES)
    # ZeRO-1 on 2 ranks: one optimizer partition per rank
    assert final['ds_config']['zero_optimization'] == dict(stage=1)
    assert final['dp_world_size'] == 2
    # the hook's state is in the client state (one round, in budget)
    ledger = final['active_ledger']
    assert len(ledger['rounds']) == 1 and len(ledger['maps']) > 0

    resumed = sim2real_tiny / 'work_dirs' / 'ds_ripu_resumed'
    resumed.mkdir()
    shutil.copytree(full / 'iter_3.pth', resumed / 'iter_3.pth')
    (resumed / 'last_checkpoint').write_text(str(resumed / 'iter_3.pth'))
    log = dist_train(resumed, '--resume')
    assert 'resumed epoch: 0, iter: 3' in log
    assert train_losses(log) == losses[3:]
    # weights, ledger and each rank's ZeRO partition (fp32 weights, momenta)
    assert_same_deepspeed_state(resumed / 'iter_4.pth', full / 'iter_4.pth',
                                ranks=2)
