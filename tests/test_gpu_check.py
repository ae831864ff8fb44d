"""benchmarks/gpu_check.sh and its Python side, on a machine without a GPU:
the script's syntax, its dry run (every command line parses and its config
loads with its overrides) and the figures it writes from the runs' logs."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from conftest import REPO

sys.path.insert(0, osp.join(REPO, 'benchmarks'))
import gpu_check  # noqa: E402

SCRIPT = osp.join(REPO, 'benchmarks', 'gpu_check.sh')
R101_RIPU = 'configs/ripu/ripu_ra-2.2_deeplabv2-r101_gta5-to-cityscapes.py'


def test_script_is_valid_bash_with_strict_mode():
    subprocess.run(['bash', '-n', SCRIPT], check=True)
    with open(SCRIPT) as f:
        text = f.read()
    assert 'set -euo pipefail' in text
    # every step runs under `timeout`, and the limits add up to 8 minutes
    # at most (steps, plus the device query, data and summary)
    limits = [int(line.split()[2]) for line in text.splitlines()
              if line.startswith('step ')]
    assert len(limits) == 5
    assert sum(limits) + 30 + 60 + 20 <= 8 * 60


def test_check_command_loads_the_config_with_its_overrides(tmp_path):
    words = ['python', '-m', 'torch.distributed.run', '--nproc_per_node',
             '1', 'tools/train.py', R101_RIPU, '--amp', '--launcher',
             'pytorch', '--work-dir', str(tmp_path), '--cfg-options',
             'model.backbone.init_cfg=None', 'train_cfg.max_iters=25']
    assert gpu_check.check_command(words) == (
        f'ok: train {R101_RIPU} (launcher pytorch, 2 overrides, amp)')
    with pytest.raises(KeyError, match='train_cfg.max_iter'):
        gpu_check.check_command(words[:-1] + ['train_cfg.max_iter=25'])
    with pytest.raises(ValueError, match='no tools/train.py'):
        gpu_check.check_command(['python', 'train.py', R101_RIPU])


def _training_log(work_dir, times, memory):
    run = work_dir / '20261207_010203' / 'vis_data'
    run.mkdir(parents=True)
    with open(run / 'scalars.json', 'w') as f:
        for i, (t, m) in enumerate(zip(times, memory), 1):
            record = dict(iter=i, loss=1.0, time=t)
            if m is not None:
                record['memory'] = m
            f.write(json.dumps(record) + '\n')


def test_summary_of_the_runs(tmp_path):
    _training_log(tmp_path / 'fp32', [9., 9., .5, .7, .6], [1, 2, 30, 9, 9])
    _training_log(tmp_path / 'amp', [9., 9., .3, .2, .3], [1, 2, 20, 5, 5])
    test = tmp_path / 'test' / '20261207_010300'
    test.mkdir(parents=True)
    with open(test / '20261207_010300.json', 'w') as f:
        f.write(json.dumps(dict(mIoU=12.346)) + '\n')
    out = tmp_path / 'gpu_check.md'
    gpu_check.main([
        'summarise', '--device', 'NVIDIA H100', '--wall-s', '301',
        '--warmup', '2', '--run', 'fp32', str(tmp_path / 'fp32'), '--run',
        'amp', str(tmp_path / 'amp'), '--fp32', 'fp32', '--amp', 'amp',
        '--test-dir', str(tmp_path / 'test'), '--note', 'a note',
        '--out-dir', str(tmp_path)
    ])
    assert out.read_text().splitlines() == [
        '# GPU check (NVIDIA H100)', '',
        'Run by `bash benchmarks/gpu_check.sh` (301 s).', '',
        '| run | iterations | step time (median) | peak GPU memory '
        '(max_memory_allocated) |', '|---|---|---|---|',
        '| fp32 | 5 (median of the last 3) | 600 ms | 0.03 GiB |',
        '| amp | 5 (median of the last 3) | 300 ms | 0.02 GiB |', '',
        'AMP speed-up (fp32 / amp step time): **2.00×**', '',
        "`tools/test.py` on the short RIPU run's checkpoint (embedded "
        'benchmark, target val): mIoU 12.35', '', '- a note'
    ]
    # without CUDA mmengine logs no memory
    _training_log(tmp_path / 'cpu', [1., 2., 3.], [None] * 3)
    assert gpu_check.run_figures(str(tmp_path / 'cpu'), 1) == dict(
        step_s=2.5, iters=2, peak_mib=None, last_iter=3)


@pytest.mark.slow
def test_dry_run_prints_and_checks_every_command(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1',
               TMPDIR=str(tmp_path))
    proc = subprocess.run(['bash', SCRIPT, '--dry-run'], cwd=str(tmp_path),
                          env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    checked = [line for line in lines if line.startswith('ok: ')]
    assert [line.split()[1:3] for line in checked] == [
        ['train', 'configs/ripu/ripu_ra-5_deeplabv2-small_sim2real-gta5-to-'
         'cityscapes.py'],
        ['train', 'configs/advent/advent_deeplabv2-small_sim2real-gta5-to-'
         'cityscapes.py'],
        ['test', 'configs/ripu/ripu_ra-5_deeplabv2-small_sim2real-gta5-to-'
         'cityscapes.py'],
        ['train', R101_RIPU], ['train', R101_RIPU]
    ]
    assert '(launcher pytorch' in checked[0] and 'amp' in checked[4]
    assert lines[-1] == ('[gpu_check] dry run: every command parses '
                         '(nothing was trained)')
    assert os.listdir(tmp_path) == []  # the dry run's work dir is removed
