"""Datasets, label converters, loading transforms and samplers.

Importing registers into mmseg's registries: datasets ``DABaseSegDataset``,
``GTA5Dataset``, ``SynthiaDataset``, ``CityscapesDADataset``,
``EntropySplitDataset``, ``MultiStreamDataset``, ``TwoDomainDataset``;
transforms
``LoadDAImageFromFile``,
``LoadDAAnnotations``, ``LoadDepthMap``; sampler
``TwoDomainInfiniteSampler``.
"""
from . import label_maps
from .base_da_dataset import DABaseSegDataset
from .class_stats import (ClassStats, build_class_stats, compute_class_stats,
                          image_key, load_class_stats, stats_file_name,
                          write_class_stats)
from .cityscapes import CityscapesDADataset
from .entropy_split_dataset import EntropySplitDataset
from .converters import (TRAIN_ID_SUFFIX, convert_cityscapes, convert_gta5,
                         convert_synthia, read_label_ids, read_synthia_raw)
from .gta5 import GTA5Dataset
from .multi_stream_dataset import MultiStreamDataset
from .label_spaces import (classes_of, palette_of, protocol_to_train_id_lut,
                           train_id_lut)
from .samplers import (ClassIndex, TwoDomainInfiniteSampler,
                       class_balanced_weights, rare_class_probs)
from .synthia import SynthiaDataset
from .transforms import (LoadActiveLabels, LoadDAAnnotations,
                         LoadDAImageFromFile, LoadDepthMap)
from .two_domain_dataset import TwoDomainDataset

__all__ = [
    'label_maps', 'DABaseSegDataset', 'GTA5Dataset', 'SynthiaDataset',
    'CityscapesDADataset', 'EntropySplitDataset', 'MultiStreamDataset',
    'TwoDomainDataset',
    'TwoDomainInfiniteSampler',
    'LoadActiveLabels', 'LoadDAAnnotations', 'LoadDAImageFromFile',
    'LoadDepthMap', 'ClassStats',
    'ClassIndex', 'build_class_stats', 'compute_class_stats', 'image_key',
    'load_class_stats', 'stats_file_name', 'write_class_stats',
    'convert_gta5', 'convert_synthia', 'convert_cityscapes',
    'read_label_ids', 'read_synthia_raw', 'TRAIN_ID_SUFFIX', 'classes_of',
    'palette_of', 'train_id_lut', 'protocol_to_train_id_lut',
    'class_balanced_weights',
    'rare_class_probs'
]
