"""Combinable target-side loss terms of single-network DA methods."""
from typing import Dict, Optional, Sequence

import torch.nn as nn
from torch import Tensor

from mmseg.registry import MODELS
from mmseg.utils import ConfigType


class TargetLosses(nn.ModuleDict):
    """Named, registered loss terms on the target stream's class scores.

    Each entry of ``cfgs`` is the config of a registered loss module whose
    ``forward(logits)`` takes N×C×H×W target scores at the input size and
    returns a scalar (``EntropyLoss``, ``NegativeLearningLoss``, ...), plus
    an optional ``level`` key (default ``'main'``: the decode head; ``'aux'``
    for the auxiliary head of a multi-level method). Terms are applied in
    the order given and logged as ``<prefix><loss_name>``, or
    ``<prefix><level>.<loss_name>`` when the method adapts several levels.

    Terms must hold no parameters or buffers: the method's state dict stays
    a plain mmseg ``EncoderDecoder``'s.

    Args:
        owner (str): The method's name, for error messages.
        cfgs (dict[str, dict], optional): term name → loss config.
        levels (Sequence[str]): The levels the method computes.
    """

    def __init__(self,
                 owner: str,
                 cfgs: Optional[Dict[str, ConfigType]] = None,
                 levels: Sequence[str] = ('main', )):
        super().__init__()
        self.owner = owner
        self.levels = tuple(levels)
        self.term_levels: Dict[str, str] = {}
        for name, cfg in (cfgs or {}).items():
            self.add_term(name, cfg)

    def add_term(self, name: str, cfg: ConfigType) -> None:
        """Build the term ``name`` from ``cfg`` (a loss config with an
        optional ``level``)."""
        where = f'{self.owner}: target_losses.{name}'
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise TypeError(f'{where} must be a loss config dict with a '
                            f"'type', got {cfg!r}")
        if name in self or '.' in name or not name:
            raise KeyError(f'{where}: term names must be unique, non-empty '
                           f'and without dots (terms: {list(self)})')
        cfg = dict(cfg)
        level = cfg.pop('level', 'main')
        if level not in self.levels:
            raise KeyError(f'{where}: level {level!r} is not one of the '
                           f"method's levels {self.levels}")
        term = MODELS.build(cfg)
        if any(True for _ in term.parameters()) or any(
                True for _ in term.buffers()):
            raise ValueError(f'{where} ({type(term).__name__}) has '
                             'parameters or buffers: target terms must be '
                             'parameter-free (the model stays a plain '
                             'EncoderDecoder)')
        key = self._log_key(level, term.loss_name)
        taken = [n for n in self
                 if self._log_key(self.term_levels[n],
                                  self[n].loss_name) == key]
        if taken:
            raise KeyError(f'{where} would be logged as {key!r} like '
                           f'target_losses.{taken[0]}: give one of them '
                           'another loss_name')
        self[name] = term
        self.term_levels[name] = level

    def _log_key(self, level: str, loss_name: str) -> str:
        return f'{level}.{loss_name}' if len(self.levels) > 1 else loss_name

    def forward(self, level_logits: Dict[str, Tensor],
                prefix: str = 'tgt.') -> Dict[str, Tensor]:
        """Every term on its level's scores: ``{log key: loss}``."""
        return {
            prefix + self._log_key(self.term_levels[name], term.loss_name):
            term(level_logits[self.term_levels[name]])
            for name, term in self.items()
        }
