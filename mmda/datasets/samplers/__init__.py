from .class_sampling import (ClassIndex, class_balanced_block,
                             class_balanced_weights, rare_class_block,
                             rare_class_probs)
from .two_domain_sampler import TwoDomainInfiniteSampler

__all__ = [
    'ClassIndex', 'TwoDomainInfiniteSampler', 'class_balanced_block',
    'class_balanced_weights', 'rare_class_block', 'rare_class_probs'
]
