"""The Python side of ``benchmarks/gpu_check.sh``.

``check COMMANDS_FILE``: every ``tools/train.py`` / ``tools/test.py``
command line of the file (one per line, shell words) is parsed with the
tool's own argument parser and its config is loaded with its
``--cfg-options`` (unknown keys are refused), without training: what the
script's ``--dry-run`` runs on a machine without a GPU.

``summarise``: the figures of the GPU runs, from their work dirs, written
as Markdown (the step times are mmengine's per-iteration ``time``, the
peak GPU memory its ``memory``: ``torch.cuda.max_memory_allocated`` in MiB
since the previous logged iteration, so the largest logged value is the
run's peak).
"""
import argparse
import importlib.util
import os.path as osp
import shlex
import statistics
import sys

from bench_common import ROOT, training_records


def load_tool(name: str):
    """``tools/<name>.py`` as a module (its ``parse_args``)."""
    spec = importlib.util.spec_from_file_location(
        f'mmda_tool_{name}', osp.join(ROOT, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tool_args(words: list):
    """(tool name, the tool's parsed arguments) of one command line:
    ``[torchrun ...] tools/<tool>.py ARGS`` (``python`` and torchrun's own
    options before the script are skipped)."""
    scripts = [i for i, w in enumerate(words)
               if w.endswith(('tools/train.py', 'tools/test.py'))]
    if not scripts:
        raise ValueError(f'no tools/train.py or tools/test.py in: '
                         f'{shlex.join(words)}')
    name = osp.basename(words[scripts[0]])[:-3]
    return name, load_tool(name).parse_args(words[scripts[0] + 1:])


def check_command(words: list) -> str:
    """Parse one command line and load its config with its options;
    a line saying what was checked."""
    from mmda.apis.config_loading import enable_amp, load_config
    name, args = tool_args(words)
    launcher = getattr(args, 'launcher', 'none')
    cfg = load_config(osp.join(ROOT, args.config), args.cfg_options,
                      args.work_dir, launcher)
    if getattr(args, 'amp', False):
        enable_amp(cfg)
    return (f'ok: {name} {args.config} (launcher {launcher}, '
            f'{len(args.cfg_options or {})} overrides'
            f'{", amp" if getattr(args, "amp", False) else ""})')


def run_figures(work_dir: str, warmup: int) -> dict:
    """Median step time after ``warmup`` iterations, iterations timed, and
    the peak logged GPU memory (MiB; None without CUDA) of a training run
    in ``work_dir``."""
    train = training_records(work_dir)
    timed = [r['time'] for r in train if r['iter'] > warmup]
    if not timed:
        raise ValueError(f'{work_dir}: no iteration after the first '
                         f'{warmup}')
    memory = [r['memory'] for r in train if 'memory' in r]
    return dict(step_s=statistics.median(timed), iters=len(timed),
                peak_mib=max(memory) if memory else None,
                last_iter=train[-1]['iter'])


def summarise(args) -> str:
    from sim2real_results import test_metrics
    lines = [f'# GPU check ({args.device})', '',
             f'Run by `bash benchmarks/gpu_check.sh` ({args.wall_s:.0f} s).',
             '']
    lines += ['| run | iterations | step time (median) | peak GPU memory '
              '(max_memory_allocated) |', '|---|---|---|---|']
    figures = {}
    for label, work_dir in args.run:
        fig = figures[label] = run_figures(work_dir, args.warmup)
        memory = ('n/a' if fig['peak_mib'] is None else
                  f'{fig["peak_mib"] / 1024:.2f} GiB')
        lines.append(f'| {label} | {fig["last_iter"]} (median of the last '
                     f'{fig["iters"]}) | {fig["step_s"] * 1000:.0f} ms | '
                     f'{memory} |')
    if args.fp32 in figures and args.amp in figures:
        speed_up = figures[args.fp32]['step_s'] / figures[args.amp]['step_s']
        lines += ['', f'AMP speed-up ({args.fp32} / {args.amp} step time): '
                  f'**{speed_up:.2f}×**']
    if args.test_dir:
        metrics = test_metrics(args.test_dir)
        lines += ['', f'`tools/test.py` on the short RIPU run\'s checkpoint '
                  f'(embedded benchmark, target val): mIoU '
                  f'{metrics["mIoU"]:.2f}']
    if args.notes:
        lines += [''] + [f'- {n}' for n in args.notes]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='what', required=True)
    check = sub.add_parser('check', help='parse the command lines')
    check.add_argument('commands', help='file: one command line per line')
    summ = sub.add_parser('summarise', help='write the figures')
    summ.add_argument('--run', nargs=2, action='append', default=[],
                      metavar=('LABEL', 'WORK_DIR'))
    summ.add_argument('--fp32', help='label of the fp32 step-time run')
    summ.add_argument('--amp', help='label of the --amp step-time run')
    summ.add_argument('--test-dir', help='work dir of the tools/test.py run')
    summ.add_argument('--warmup', type=int, default=5)
    summ.add_argument('--device', required=True, help='the card, in words')
    summ.add_argument('--wall-s', type=float, default=0.)
    summ.add_argument('--note', dest='notes', action='append', default=[])
    summ.add_argument('--out-dir', required=True,
                      help='where gpu_check.md is written')
    args = parser.parse_args(argv)
    if args.what == 'check':
        with open(args.commands) as f:
            commands = [shlex.split(line) for line in f if line.strip()]
        for words in commands:
            print(check_command(words), flush=True)
        return 0
    text = summarise(args)
    with open(osp.join(args.out_dir, 'gpu_check.md'), 'w') as f:
        f.write(text)
    print(text, end='')
    return 0


if __name__ == '__main__':
    sys.path.insert(0, ROOT)
    sys.exit(main())
