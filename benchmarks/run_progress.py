"""Live progress of training runs on the terminal.

A run started by a benchmark writes mmengine's text log
(``<work_dir>/<timestamp>/<timestamp>.log``, IntraDA's stages one level
deeper) and scalars (``<timestamp>/vis_data/scalars.json``). A
:class:`ProgressPrinter` thread follows the newest of each watched run's
logs and prints one compact line per run every ``interval`` seconds::

    [sim2real] ripu_ra5 seed 0: iter 1250/3000 (41 %), ETA 0:05:31,
    val mIoU 27.40 @1000

(one line on the terminal).
The iteration and ETA are mmengine's own (its ``Iter(train) [N/M] ... eta:``
log line), the mIoU the latest validation in ``scalars.json``.
"""
import glob
import json
import os
import os.path as osp
import re
import threading
import time
from typing import Callable, Dict, Optional

TRAIN_LINE = re.compile(r'Iter\(train\) \[\s*(\d+)/(\d+)\].*?eta: (\S+)')
TIMESTAMP = '[0-9]' * 8 + '_' + '[0-9]' * 6


class RunProgress:
    """What one run has logged so far (read incrementally).

    Args:
        work_dir (str): The run's work dir (searched recursively for
            mmengine logs, so a pipeline's stages are found too).
        since (float): Logs older than this (an earlier attempt) are
            ignored.
    """

    def __init__(self, work_dir: str, since: float = 0.0):
        self.work_dir = work_dir
        self.since = since
        self.iter: Optional[int] = None
        self.max_iters: Optional[int] = None
        self.eta: Optional[str] = None
        self.miou: Optional[float] = None
        self.miou_step: Optional[int] = None
        self._log = None
        self._offsets: Dict[str, int] = {}

    def _newest_log(self) -> Optional[str]:
        logs = [
            p for p in glob.glob(
                osp.join(self.work_dir, '**', TIMESTAMP, TIMESTAMP + '.log'),
                recursive=True) if osp.getmtime(p) >= self.since
        ]
        return max(logs, key=osp.getmtime) if logs else None

    def _new_lines(self, path: str):
        """Whole lines appended to ``path`` since the last read."""
        if not osp.isfile(path):
            return []
        with open(path, 'rb') as f:
            f.seek(self._offsets.get(path, 0))
            data = f.read()
        end = data.rfind(b'\n') + 1  # a line being written waits
        self._offsets[path] = self._offsets.get(path, 0) + end
        return data[:end].decode('utf-8', 'replace').splitlines()

    def update(self) -> 'RunProgress':
        log = self._newest_log()
        if log is None:
            return self
        if log != self._log:  # a new stage or a resumed run
            self._log = log
            self.eta = None
        for line in self._new_lines(log):
            found = TRAIN_LINE.search(line)
            if found:
                self.iter, self.max_iters = int(found[1]), int(found[2])
                self.eta = found[3]
        scalars = osp.join(osp.dirname(log), 'vis_data', 'scalars.json')
        for line in self._new_lines(scalars):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if 'mIoU' in record:
                self.miou = float(record['mIoU'])
                self.miou_step = record.get('step')
        return self

    def line(self) -> str:
        """``iter N/M (P %), ETA H:MM:SS, val mIoU X @STEP``."""
        if self.iter is None:
            return 'starting'
        parts = [f'iter {self.iter}/{self.max_iters} '
                 f'({100 * self.iter // max(self.max_iters, 1)} %)']
        if self.eta:
            parts.append(f'ETA {self.eta}')
        if self.miou is not None:
            parts.append(f'val mIoU {self.miou:.2f} @{self.miou_step}')
        else:
            parts.append('no validation yet')
        return ', '.join(parts)


class ProgressPrinter:
    """A daemon thread printing each watched run's progress every
    ``interval`` seconds (nothing when ``interval`` is 0).

    Args:
        interval (float): Seconds between two reports.
        prefix (str): Start of every line.
        write (callable): Prints one line (default ``print`` with flush).
    """

    def __init__(self, interval: float, prefix: str = '',
                 write: Optional[Callable[[str], None]] = None):
        self.interval = interval
        self.prefix = prefix
        self.write = write or (lambda s: print(s, flush=True))
        self._runs: Dict[str, RunProgress] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def watch(self, name: str, work_dir: str) -> None:
        """Follow the run ``name`` logging under ``work_dir`` from now."""
        with self._guard:
            self._runs[name] = RunProgress(work_dir, since=time.time() - 1)

    def unwatch(self, name: str) -> None:
        with self._guard:
            self._runs.pop(name, None)

    def report(self) -> None:
        """Print one line per watched run now."""
        with self._guard:
            runs = list(self._runs.items())
        for name, progress in runs:
            self.write(f'{self.prefix}{name}: {progress.update().line()}')

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.report()

    def __enter__(self) -> 'ProgressPrinter':
        if self.interval > 0:
            self._thread = threading.Thread(
                target=self._loop, name='progress', daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def log_files(work_dir: str) -> list:
    """The mmengine text logs under ``work_dir``, oldest first."""
    return sorted(
        glob.glob(osp.join(work_dir, '**', TIMESTAMP, TIMESTAMP + '.log'),
                  recursive=True), key=os.path.getmtime)
