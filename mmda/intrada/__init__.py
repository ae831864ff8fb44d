"""IntraDA (Pan et al., CVPR 2020): entropy ranking of the target split
into easy / hard, pseudo-labels of the easy split, and the files that carry
them to the second adaptation stage."""
from .entropy_ranking import (DEFAULT_LAMBDA, RARE_CLASSES, easy_fraction_arg,
                              image_entropy_score, pseudo_label,
                              rare_class_factor, rare_class_indices,
                              split_easy_hard)
from .rank_target import rank_target
from .split_manifest import (MANIFEST_NAME, PSEUDO_LABEL_SUFFIX, SPLIT_FILES,
                             load_manifest, manifest_path)

__all__ = [
    'DEFAULT_LAMBDA', 'RARE_CLASSES', 'easy_fraction_arg',
    'image_entropy_score', 'pseudo_label',
    'rare_class_factor', 'rare_class_indices', 'split_easy_hard',
    'rank_target', 'MANIFEST_NAME', 'PSEUDO_LABEL_SUFFIX', 'SPLIT_FILES',
    'load_manifest', 'manifest_path'
]
