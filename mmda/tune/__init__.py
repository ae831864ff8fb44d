"""Hyper-parameter search of any mmda config with Ray Tune.

``tools/tune.py`` is a thin command line over this package:

* :mod:`.search_space`: ``KEY=FN(ARGS)`` entries -> checked Ray samplers;
* :mod:`.metrics`: the validation metrics a config reports;
* :mod:`.settings`: command line over the config's ``tune_cfg``, checked
  before anything runs, saved for ``--resume``;
* :mod:`.trainable`: a trial = an ordinary mmda run in its own work dir
  (DDP on Ray Train workers for multi-process trials);
* :mod:`.tuner`: Ray, ASHA / FIFO, random / Optuna search, resume;
* :mod:`.results`: the CSV of all trials, the best config, its checkpoint,
  the plot of the metric against each hyper-parameter.

Ray is imported by :mod:`.tuner`, :mod:`.trainable` and :mod:`.results`
functions only when they run (``import mmda`` never imports it).
"""
from .metrics import MetricError, check_metric, reported_metrics
from .results import write_results
from .search_space import (SAMPLERS, SearchParam, SearchSpaceError,
                           parse_entry, parse_search_space, parse_spec)
from .settings import (TuneSettings, TuneSettingsError, check_settings,
                       resolve_settings)
from .tuner import init_ray, run_search

__all__ = [
    'MetricError', 'check_metric', 'reported_metrics', 'write_results',
    'SAMPLERS', 'SearchParam', 'SearchSpaceError', 'parse_entry',
    'parse_search_space', 'parse_spec', 'TuneSettings', 'TuneSettingsError',
    'check_settings', 'resolve_settings', 'init_ray', 'run_search'
]
