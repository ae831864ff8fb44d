"""Visualisation backends a config adds (``configs/_base_/vis/*.py``).

mmengine refuses a key defined by two ``_base_`` files, and
``default_runtime.py`` defines ``visualizer``; so a backend file defines
one ``<name>_vis_backend`` entry instead, and :func:`add_vis_backends`
appends every such entry to ``visualizer.vis_backends`` (also one given on
the command line: ``--cfg-options +tensorboard_vis_backend.type=
TensorboardVisBackend``).
"""
from mmengine.config import Config

#: Suffix of a config key holding a visualisation backend to add.
VIS_BACKEND_SUFFIX = '_vis_backend'


def add_vis_backends(cfg: Config) -> list:
    """Append the config's ``*_vis_backend`` entries to
    ``cfg.visualizer.vis_backends`` (once each; sorted by key); the names
    of the keys added.

    Raises:
        KeyError: such an entry without ``type``, or a config without a
            ``visualizer`` to add it to.
    """
    keys = sorted(k for k in cfg.keys() if k.endswith(VIS_BACKEND_SUFFIX))
    if not keys:
        return []
    if not isinstance(cfg.get('visualizer'), dict):
        raise KeyError(f'{", ".join(keys)}: the config has no visualizer '
                       'to add the backend to')
    backends = list(cfg.visualizer.get('vis_backends') or [])
    for key in keys:
        backend = cfg[key]
        if not isinstance(backend, dict) or 'type' not in backend:
            raise KeyError(f'{key} must be a dict with a "type" (a '
                           f'visualisation backend), got {backend!r}')
        if backend not in backends:
            backends.append(backend)
    cfg.visualizer.vis_backends = backends
    return keys
