"""Crash-safe writing of files and directories.

Every file and directory that mmda writes for a later step to read
(converted labels, class statistics, checkpoints, ``last_checkpoint``, the
active-label ledger, annotation rounds, IntraDA rankings) goes through this
module, so that a kill, a crash or a full disk at any moment leaves either
the old content or the new one under the name, never a part of it.

* **Files** (:func:`atomic_open` and the ``atomic_write_*`` helpers) are
  written under a temporary name beside the target, ``<name>.tmp<pid>``
  (which no reader matches: it does not end like the target), flushed and
  fsynced, and moved into place with one ``os.replace``; then the directory
  entry is fsynced. A failed write removes its temporary file.
* **Directories** (:func:`writing_dir`, :func:`publish_dir`) are written
  under ``.<name>.tmp<pid>`` and put in place with one atomic exchange of
  the two names (Linux ``renameat2(RENAME_EXCHANGE)``), so the name always
  holds a whole directory; where the file system cannot exchange, the old
  directory is first renamed to ``.<name>.old<pid>`` and, after a crash
  between the two renames, :func:`recover_dir` puts it back. Leftovers of a
  crashed or failed publish are removed when the directory is written next.

One process writes a given path at a time (a work dir belongs to one run).
"""
import contextlib
import ctypes
import ctypes.util
import errno
import json
import os
import os.path as osp
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

from .fault_injection import fault_point

# ------------------------------------------------------------------ files


def fsync_dir(path: str) -> None:
    """Make the entries of directory ``path`` (renames, new files) durable.
    Does nothing where directories cannot be opened (not POSIX)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: Threads that fsync the files of a tree at once: a file system commits
#: concurrent fsyncs together (ext4: one journal commit for many files), so
#: the 300 map files of an active-label ledger round take 0.07 s instead of
#: 0.4-0.8 s one after the other, with the same guarantee per file.
FSYNC_THREADS = 16


def _fsync_file(path: str) -> None:
    with open(path, 'rb') as f:
        os.fsync(f.fileno())


def fsync_tree(path: str) -> None:
    """fsync every file and directory under ``path`` (a file: just it).

    The files are fsynced concurrently (:data:`FSYNC_THREADS`), each with
    its own ``os.fsync`` whose error is raised, as one after the other;
    the directories after their files.
    """
    if osp.isfile(path):
        _fsync_file(path)
        return
    for root, _, names in os.walk(path):
        files = [
            osp.join(root, name) for name in names
            if osp.isfile(osp.join(root, name))
            and not osp.islink(osp.join(root, name))
        ]
        if len(files) > 1:
            with ThreadPoolExecutor(min(FSYNC_THREADS, len(files))) as pool:
                # list() raises the first failure, after all have ended
                list(pool.map(_fsync_file, files))
        elif files:
            _fsync_file(files[0])
        fsync_dir(root)


def temp_path_for(path: str) -> str:
    """The process-private temporary name of file ``path``."""
    return f'{path}.tmp{os.getpid()}'


@contextlib.contextmanager
def atomic_open(path: str, mode: str = 'wb', fault_name: str = None):
    """Open ``path`` for writing through a temporary file (see the module
    docstring); the file is in place when the block ends without error.

    Args:
        path (str): The target.
        mode (str): ``'wb'`` or ``'w'``.
        fault_name (str, optional): Name of the fault-injection point
            ``<fault_name>.before_replace`` (:mod:`.fault_injection`).
    """
    if mode not in ('wb', 'w'):
        raise ValueError(f'atomic_open writes files, got mode {mode!r}')
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = temp_path_for(path)
    f = open(tmp, mode)
    try:
        yield f
        f.flush()
        os.fsync(f.fileno())
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    f.close()
    if fault_name is not None:
        fault_point(f'{fault_name}.before_replace', partial_file=tmp)
    os.replace(tmp, path)
    fsync_dir(osp.dirname(osp.abspath(path)))


def atomic_write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, 'wb') as f:
        f.write(data)


def atomic_write_text(path: str, text: str, fault_name: str = None) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, 'w', fault_name=fault_name) as f:
        f.write(text)


def atomic_write_json(path: str, obj, **dump_kwargs) -> None:
    """``json.dump`` ``obj`` to ``path`` atomically."""
    with atomic_open(path, 'w') as f:
        json.dump(obj, f, **dump_kwargs)


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically."""
    import torch
    with atomic_open(path, 'wb') as f:
        torch.save(obj, f)


# ------------------------------------------------------------ directories

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_renameat2 = None


def _exchange(a: str, b: str) -> bool:
    """Swap the names ``a`` and ``b`` in one atomic step; False where the
    system or the file system cannot (then nothing changed)."""
    global _renameat2
    if _renameat2 is None:
        libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
        _renameat2 = getattr(libc, 'renameat2', False)
        if _renameat2:
            _renameat2.argtypes = [
                ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                ctypes.c_uint
            ]
    if not _renameat2:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b),
                  _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP,
               errno.EXDEV):
        return False
    raise OSError(err, f'cannot exchange {a} and {b}: {os.strerror(err)}')


def temp_dir_for(final: str) -> str:
    """The process-private temporary name of directory ``final``."""
    head, name = osp.split(osp.normpath(final))
    return osp.join(head, f'.{name}.tmp{os.getpid()}')


def _aside_name(final: str) -> str:
    head, name = osp.split(osp.normpath(final))
    return osp.join(head, f'.{name}.old{os.getpid()}')


def _remove(path: str) -> None:
    if osp.isdir(path) and not osp.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif osp.lexists(path):
        with contextlib.suppress(OSError):
            os.remove(path)


def publish_dir(tmp: str, final: str) -> None:
    """Move the finished directory ``tmp`` to ``final``.

    An existing ``final`` is exchanged with ``tmp`` in one step and then
    deleted, so ``final`` always holds the old or the new directory. Without
    an exchange, it is renamed aside first (see :func:`recover_dir`).
    """
    parent = osp.dirname(osp.abspath(final))
    if not osp.lexists(final):
        os.replace(tmp, final)
    elif _exchange(tmp, final):
        _remove(tmp)  # (now the old directory)
    else:
        old = _aside_name(final)
        os.replace(final, old)
        fault_point('publish_dir.aside')
        os.replace(tmp, final)
        _remove(old)
    fsync_dir(parent)


def _leftovers(final: str) -> List[str]:
    """Temporary and set-aside names of ``final`` (``.<name>.tmp<pid>``,
    ``.<name>.old<pid>``) that exist, oldest first."""
    head, name = osp.split(osp.normpath(final))
    pattern = re.compile(rf'^\.{re.escape(name)}\.(tmp|old)\d+$')
    try:
        names = [n for n in os.listdir(head or '.') if pattern.match(n)]
    except FileNotFoundError:
        return []
    paths = [osp.join(head, n) for n in names]
    return sorted(paths, key=lambda p: os.lstat(p).st_mtime)


def recover_dir(final: str) -> List[str]:
    """Repair ``final`` after a crashed publish; returns what it removed.

    A ``final`` that was renamed aside and not replaced (a crash between
    the two renames of :func:`publish_dir` on a file system without
    exchange) is put back; every other leftover (temporary directories,
    set-aside old ones) is deleted.
    """
    leftovers = _leftovers(final)
    if not osp.lexists(final):
        aside = [p for p in leftovers if '.old' in osp.basename(p)]
        if aside:
            os.replace(aside[-1], final)
            leftovers.remove(aside[-1])
    for path in leftovers:
        _remove(path)
    return leftovers


@contextlib.contextmanager
def writing_dir(final: str) -> Iterator[str]:
    """Write directory ``final`` atomically: the block fills the yielded
    empty temporary directory, which is published (:func:`publish_dir`)
    when the block ends without error and deleted otherwise. Leftovers of
    an earlier crashed publish of ``final`` are cleared first."""
    recover_dir(final)
    tmp = temp_dir_for(final)
    os.makedirs(tmp)
    try:
        yield tmp
        fsync_tree(tmp)
    except BaseException:
        _remove(tmp)
        raise
    publish_dir(tmp, final)
