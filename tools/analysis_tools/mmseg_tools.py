"""Shared pieces of mmda's analysis tools: the mmda import from a source
checkout, config loading as ``tools/train.py`` does it, and mmseg's own
analysis scripts (installed with mmsegmentation under ``mmseg/.mim/tools``),
which the tools here are thin wrappers over."""
import importlib.util
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
try:
    import mmda  # noqa: F401
except ImportError:  # running from a source checkout without install
    sys.path.insert(0, REPO)
    import mmda  # noqa: F401


def mmseg_tool(name: str):
    """mmseg's ``tools/analysis_tools/<name>.py`` as a module.

    Raises:
        FileNotFoundError: naming the path, when mmsegmentation was
            installed without its tools (e.g. from a source tree without
            ``.mim``).
    """
    import mmseg
    path = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                    'analysis_tools', f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"mmseg's {name}.py is not installed ({path}); install "
            'mmsegmentation from PyPI, which ships its tools')
    spec = importlib.util.spec_from_file_location(f'mmseg_tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_dataset(cfg, split: str, stream: str = None):
    """The dataset of ``<split>_dataloader``; of a two-domain dataset the
    ``stream`` (``source`` or ``target``, default ``target``)."""
    from mmengine.registry import init_default_scope
    from mmseg.registry import DATASETS
    init_default_scope('mmseg')
    key = f'{split}_dataloader'
    if key not in cfg:
        raise KeyError(f'the config has no {key}')
    dataset = DATASETS.build(cfg[key].dataset)
    if hasattr(dataset, 'source') and hasattr(dataset, 'target'):
        dataset = getattr(dataset, stream or 'target')
    elif stream is not None:
        raise ValueError(f'{key} is not a two-domain dataset: no --stream')
    return dataset
