from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class DADataPreprocessor(SegDataPreProcessor):
    """Data preprocessor for two-domain (source + target) batches.

    A :class:`~mmda.datasets.TwoDomainDataset` yields
    ``{'source': packed, 'target': packed}`` per sample; after collation a
    training batch is ``{'source': {'inputs', 'data_samples'}, 'target':
    {...}}``. Each domain is normalised, converted and padded on its own (the
    domains may have different image sizes), and the result is

    .. code-block:: python

        dict(inputs=dict(source=Tensor, target=Tensor),
             data_samples=dict(source=[SegDataSample], target=[...]))

    which a domain-adaptation segmentor's ``loss()`` consumes. An ordinary
    single-domain batch (validation, testing, source-only training) passes
    through :class:`SegDataPreProcessor` unchanged, so the adapted model
    predicts like any mmseg model.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        if 'inputs' in data:
            return super().forward(data, training)
        domains = sorted(data)
        unknown = [d for d in domains if d not in ('source', 'target')]
        if unknown:
            raise KeyError(f'DADataPreprocessor got batch keys {domains}; '
                           "expected 'inputs' or 'source'/'target'")
        processed = {d: super(DADataPreprocessor, self).forward(
            data[d], training) for d in domains}
        return dict(
            inputs={d: out['inputs'] for d, out in processed.items()},
            data_samples={
                d: out['data_samples']
                for d, out in processed.items()
            })
