from .local_consistency_loss import (LocalConsistencyLoss,
                                     label_boundary_mask,
                                     local_consistency_loss)
from .negative_learning_loss import (NegativeLearningLoss,
                                     negative_learning_loss)

__all__ = [
    'LocalConsistencyLoss', 'label_boundary_mask', 'local_consistency_loss',
    'NegativeLearningLoss', 'negative_learning_loss'
]
