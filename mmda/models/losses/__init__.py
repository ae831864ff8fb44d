from .adversarial_loss import (SOURCE_LABEL, TARGET_LABEL, AdversarialLoss,
                               adversarial_bce_loss)
from .consistency_loss import (ConsistencyLoss, confidence_mask,
                               consistency_loss)
from .cycle_association_loss import CycleAssociationLoss, cycle_association
from .depth_loss import (DEPTH_REPRS, DepthLoss, berhu,
                         depth_representation)
from .entropy_loss import (EntropyLoss, entropy_loss, normalized_entropy,
                           weighted_self_information)
from .local_consistency_loss import (LocalConsistencyLoss,
                                     label_boundary_mask,
                                     local_consistency_loss)
from .lsgan_loss import LSGANLoss, lsgan_loss
from .negative_learning_loss import (NegativeLearningLoss,
                                     negative_learning_loss)
from .thresholded_lsr_loss import ThresholdedLSRLoss, thresholded_lsr_loss
from .weighted_loss import WeightedLoss

__all__ = [
    'AdversarialLoss', 'adversarial_bce_loss', 'SOURCE_LABEL', 'TARGET_LABEL',
    'ConsistencyLoss', 'confidence_mask', 'consistency_loss',
    'CycleAssociationLoss', 'cycle_association',
    'DEPTH_REPRS', 'DepthLoss', 'berhu', 'depth_representation',
    'EntropyLoss', 'entropy_loss', 'normalized_entropy',
    'weighted_self_information', 'LocalConsistencyLoss',
    'label_boundary_mask', 'local_consistency_loss', 'LSGANLoss',
    'lsgan_loss', 'NegativeLearningLoss', 'negative_learning_loss',
    'ThresholdedLSRLoss', 'thresholded_lsr_loss', 'WeightedLoss'
]
