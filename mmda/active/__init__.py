"""Active domain adaptation: RIPU's acquisition functions (pure torch),
acquisition strategies, annotators and the active-label ledger."""
from .acquisition import pixel_annotate, region_annotate
from .annotation_exchange import (AnnotationError, export_requests,
                                  import_labels)
from .annotators import (AnnotationRequest, BaseAnnotator, FileAnnotator,
                         SimulatedAnnotator)
from .budget import pixels_per_round, regions_per_round
from .greedy import greedy_select_regions
from .label_ledger import ActiveLabelLedger, LedgerError
from .region_scores import (box_sum, pixel_entropy, pixel_scores,
                            region_impurity, region_scores,
                            region_uncertainty)
from .select_regions import (select_regions, vectorised_select_regions,
                             window_mask)
from .strategies import (BaseAcquisitionStrategy, BaseRegionStrategy,
                         ImpurityOnly, PixelImpurityUncertainty,
                         RandomRegions, RegionImpurityUncertainty,
                         UncertaintyOnly)

__all__ = [
    'AnnotationRequest', 'BaseAnnotator', 'SimulatedAnnotator',
    'FileAnnotator', 'AnnotationError', 'export_requests', 'import_labels',
    'ActiveLabelLedger', 'LedgerError', 'box_sum', 'pixel_entropy',
    'pixel_scores', 'region_impurity', 'region_scores', 'region_uncertainty',
    'select_regions', 'vectorised_select_regions', 'greedy_select_regions',
    'window_mask',
    'regions_per_round', 'pixels_per_round', 'region_annotate',
    'pixel_annotate', 'BaseAcquisitionStrategy', 'BaseRegionStrategy',
    'RegionImpurityUncertainty', 'PixelImpurityUncertainty', 'RandomRegions',
    'UncertaintyOnly', 'ImpurityOnly'
]
