"""Crash-safe writing (``mmda.utils.atomic_write``), ``last_checkpoint`` and
the choice of the checkpoint to resume (``mmda.utils.checkpoint_files``),
and the ledger's publishing: what a crash at each step leaves behind is
made by raising at the fault point (the state a ``kill -9`` leaves there;
``test_fault_injection.py`` kills real training runs)."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

from mmda.active.label_ledger import (ActiveLabelLedger, read_published_map,
                                      remove_publish_leftovers)
from mmda.utils import atomic_write, fault_injection
from mmda.utils.atomic_write import (atomic_open, atomic_torch_save,
                                     atomic_write_text, publish_dir,
                                     recover_dir, writing_dir)
from mmda.utils.checkpoint_files import (find_resume_checkpoint,
                                         read_last_checkpoint,
                                         write_last_checkpoint)


class Killed(Exception):
    """Stands for the kill at a fault point."""


@pytest.fixture
def kill_at(monkeypatch):
    """``kill_at(name)``: the next time the code reaches fault point
    ``name`` it raises :class:`Killed` instead (after the partial-file
    truncation a real kill does)."""

    def arm(name):
        monkeypatch.setenv(fault_injection.FAULT_POINT_ENV, name)
        monkeypatch.setattr(fault_injection, '_hits',
                            fault_injection.collections.Counter())

        def kill(pid, sig):
            raise Killed(name)

        monkeypatch.setattr(fault_injection.os, 'kill', kill)

    return arm


@pytest.fixture(params=[True, False], ids=['exchange', 'two-renames'])
def exchange(request, monkeypatch):
    """Run the test with the atomic exchange and with the two-rename
    fallback of file systems without it."""
    if not request.param:
        monkeypatch.setattr(atomic_write, '_exchange', lambda a, b: False)
    return request.param


def listing(path):
    return sorted(os.listdir(path))


# ------------------------------------------------------------------ files
def test_atomic_open_replaces_or_leaves_the_old_file(tmp_path, kill_at):
    path = tmp_path / 'f.txt'
    atomic_write_text(str(path), 'old')
    kill_at('x.before_replace')
    with pytest.raises(Killed):
        atomic_write_text(str(path), 'new content', fault_name='x')
    assert path.read_text() == 'old'
    tmp = f'f.txt.tmp{os.getpid()}'
    assert listing(tmp_path) == ['f.txt', tmp]
    assert (tmp_path / tmp).read_text() == 'new c'  # cut in half
    atomic_write_text(str(path), 'new')
    assert path.read_text() == 'new'


def test_atomic_open_removes_its_temp_file_on_error(tmp_path):
    path = tmp_path / 'f.pth'

    with pytest.raises(OSError, match='No space left'):
        with atomic_open(str(path)) as f:
            f.write(b'partial')
            raise OSError(28, 'No space left on device')
    assert listing(tmp_path) == []
    atomic_torch_save({'a': torch.arange(3)}, str(path))
    assert torch.equal(torch.load(path)['a'], torch.arange(3))
    assert listing(tmp_path) == ['f.pth']


# ------------------------------------------------------------ directories
def make_dir(path, text):
    os.makedirs(path)
    (path / 'f').write_text(text)


def test_publish_dir_replaces_a_directory(tmp_path, exchange):
    final = tmp_path / 'out'
    make_dir(final, 'old')
    make_dir(tmp_path / '.out.tmp1', 'new')
    publish_dir(str(tmp_path / '.out.tmp1'), str(final))
    assert listing(tmp_path) == ['out'] and (final / 'f').read_text() == 'new'


def test_crash_between_the_two_renames_is_recovered(tmp_path, monkeypatch,
                                                    kill_at):
    monkeypatch.setattr(atomic_write, '_exchange', lambda a, b: False)
    final = tmp_path / 'out'
    make_dir(final, 'old')
    kill_at('publish_dir.aside')
    with pytest.raises(Killed):
        with writing_dir(str(final)) as tmp:
            (tmp_path / tmp / 'f').write_text('new')
    assert listing(tmp_path) == [f'.out.old{os.getpid()}',
                                 f'.out.tmp{os.getpid()}']
    # the next writer (or recover_dir alone) puts the old one back
    recover_dir(str(final))
    assert listing(tmp_path) == ['out'] and (final / 'f').read_text() == 'old'


def test_writing_dir_failure_and_leftovers(tmp_path, exchange):
    final = tmp_path / 'out'
    make_dir(final, 'old')
    make_dir(tmp_path / '.out.tmp99999', 'crashed writer')
    make_dir(tmp_path / '.out.old99998', 'crashed publish')
    with pytest.raises(OSError):  # e.g. a full disk: nothing is left
        with writing_dir(str(final)) as tmp:
            (tmp_path / tmp / 'f').write_text('new')
            raise OSError(28, 'No space left on device')
    assert listing(tmp_path) == ['out'] and (final / 'f').read_text() == 'old'
    with writing_dir(str(final)) as tmp:
        (tmp_path / tmp / 'f').write_text('new')
    assert listing(tmp_path) == ['out'] and (final / 'f').read_text() == 'new'


# ------------------------------------------------------ last_checkpoint
def save_ckpt(path, it):
    torch.save(dict(meta=dict(iter=it), state_dict={}), str(path))


def test_last_checkpoint_is_relative_and_follows_a_copied_work_dir(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    save_ckpt(work / 'iter_2.pth', 2)
    write_last_checkpoint(str(work), str(work / 'iter_2.pth'))
    assert (work / 'last_checkpoint').read_text() == 'iter_2.pth'
    os.rename(work, tmp_path / 'moved')
    moved = tmp_path / 'moved'
    assert read_last_checkpoint(str(moved)) == str(moved / 'iter_2.pth')
    assert find_resume_checkpoint(str(moved)) == (str(moved / 'iter_2.pth'),
                                                  '')
    # an absolute name of an older run, into the original (gone) dir
    (moved / 'last_checkpoint').write_text(str(work / 'iter_2.pth'))
    assert find_resume_checkpoint(str(moved))[0] == str(moved / 'iter_2.pth')


@pytest.mark.parametrize('damage', ['missing', 'truncated', 'empty-name'])
def test_resume_falls_back_to_the_newest_intact_checkpoint(tmp_path, damage):
    for it in (2, 4, 6):
        save_ckpt(tmp_path / f'iter_{it}.pth', it)
    (tmp_path / 'iter_6.pth.tmp').write_bytes(b'partial')  # not a candidate
    write_last_checkpoint(str(tmp_path), str(tmp_path / 'iter_6.pth'))
    if damage == 'missing':
        os.remove(tmp_path / 'iter_6.pth')
        why = 'which does not exist'
    elif damage == 'truncated':
        data = (tmp_path / 'iter_6.pth').read_bytes()
        (tmp_path / 'iter_6.pth').write_bytes(data[:len(data) // 2])
        why = 'which cannot be read (RuntimeError: could not read checkpoint'
    else:
        (tmp_path / 'last_checkpoint').write_text('')
        why = 'last_checkpoint is empty'
    found, message = find_resume_checkpoint(str(tmp_path))
    want = 'iter_4.pth' if damage != 'empty-name' else 'iter_6.pth'
    assert found == str(tmp_path / want)
    assert why in message
    assert f'resuming from {found}, the newest intact checkpoint' in message


def test_resume_with_nothing_to_resume(tmp_path):
    found, message = find_resume_checkpoint(str(tmp_path))
    assert found is None
    assert message == (f'--resume: nothing to resume in {tmp_path} (no '
                       'checkpoint yet): training starts at iteration 0')
    (tmp_path / 'iter_2.pth').write_bytes(b'garbage')
    with pytest.raises(RuntimeError, match='cannot resume: no intact '
                       rf'checkpoint; {tmp_path}/iter_2.pth cannot be read'):
        find_resume_checkpoint(str(tmp_path))


# --------------------------------------------------------- ledger publish
def ledger_of(rounds):
    ledger = ActiveLabelLedger(3)
    arr = np.full((2, 3), 255, np.uint8)
    for r in range(rounds):
        arr[0, r] = r
        ledger.update('img', arr)
        ledger.close_round(r + 1, 1)
    return ledger


def assert_published(root, rounds):
    loaded = ActiveLabelLedger.load(root)
    assert loaded.num_rounds == rounds
    assert np.array_equal(read_published_map(root, 'img'),
                          ledger_of(rounds).get('img'))


@pytest.mark.parametrize('point', [
    'ledger.written', 'ledger.current_on_staged', 'ledger.round_published'
])
def test_republishing_the_live_round_never_unpublishes_it(
        tmp_path, kill_at, exchange, point):
    """A resume republishes the round ``current`` names: a crash at any
    step leaves a loadable ledger, and the next save cleans up."""
    root = str(tmp_path / 'ledger')
    ledger_of(1).save(root)
    assert os.readlink(osp.join(root, 'current')) == 'round_001'
    kill_at(point)
    with pytest.raises(Killed):
        ledger_of(1).save(root)
    assert_published(root, 1)
    ledger_of(1).save(root)
    assert listing(root) == ['current', 'round_001']
    assert_published(root, 1)


@pytest.mark.parametrize('point', ['ledger.written', 'ledger.round_published'])
def test_crash_while_publishing_the_next_round(tmp_path, kill_at, point):
    root = str(tmp_path / 'ledger')
    ledger_of(1).save(root)
    kill_at(point)
    with pytest.raises(Killed):
        ledger_of(2).save(root)
    assert_published(root, 1)  # the previous round stays published
    # the resumed run republishes round 1, then does round 2 again
    ledger_of(1).save(root)
    ledger_of(2).save(root)
    assert listing(root) == ['current', 'round_001', 'round_002']
    assert_published(root, 2)
    assert remove_publish_leftovers(root) == []


def test_a_fault_point_fires_on_its_nth_hit_only(monkeypatch):
    fired = []
    monkeypatch.setattr(fault_injection, '_hits',
                        fault_injection.collections.Counter())
    monkeypatch.setattr(fault_injection.os, 'kill',
                        lambda pid, sig: fired.append((pid, sig)))
    monkeypatch.delenv(fault_injection.FAULT_POINT_ENV, raising=False)
    fault_injection.fault_point('train.iteration')
    monkeypatch.setenv(fault_injection.FAULT_POINT_ENV, 'train.iteration@3')
    for _ in range(2):
        fault_injection.fault_point('train.iteration')
        fault_injection.fault_point('checkpoint.before_save')
    assert fired == []
    fault_injection.fault_point('train.iteration')
    assert fired == [(os.getpid(), fault_injection.signal.SIGKILL)]
