"""Publishing a directory that was written under a temporary name."""
import os
import os.path as osp
import shutil


def temp_dir_for(final: str) -> str:
    """A process-private temporary name next to ``final`` (two writers of
    the same directory never share one)."""
    head, name = osp.split(osp.normpath(final))
    return osp.join(head, f'.{name}.tmp{os.getpid()}')


def publish_dir(tmp: str, final: str) -> None:
    """Move the finished directory ``tmp`` to ``final`` in one rename.

    An existing ``final`` is first renamed aside and only deleted once the
    new one is in place, so a crash at any point leaves either the old or
    the new directory under ``final``, never a partial one or none.
    """
    if osp.lexists(final):
        old = f'{final}.old{os.getpid()}'
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)
