from typing import Any, Dict

from mmseg.models.data_preprocessor import SegDataPreProcessor
from mmseg.registry import MODELS


@MODELS.register_module()
class DADataPreprocessor(SegDataPreProcessor):
    """Data preprocessor for named-stream batches.

    A multi-stream dataset yields one packed sample per named stream (e.g.
    ``{'source': packed, 'target': packed}``, or more streams such as
    ``source_aug`` or a second view of the target); after collation a
    training batch is ``{name: {'inputs', 'data_samples'}}``. Each stream is
    normalised, converted and padded on its own (streams may have different
    image sizes), and the result is

    .. code-block:: python

        dict(inputs=dict(source=Tensor, target=Tensor, ...),
             data_samples=dict(source=[SegDataSample], target=[...], ...))

    which a domain-adaptation method's ``loss()`` consumes. An ordinary
    single-domain batch (validation, testing, source-only training) passes
    through :class:`SegDataPreProcessor` unchanged, so the adapted model
    predicts like any mmseg model.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        if 'inputs' in data:
            return super().forward(data, training)
        streams = sorted(data)
        malformed = [
            s for s in streams
            if not isinstance(data[s], dict) or 'inputs' not in data[s]
        ]
        if not streams or malformed:
            raise KeyError(
                f'DADataPreprocessor got batch keys {streams}; expected '
                "'inputs' (one domain) or named streams each holding "
                f"'inputs' (not so: {malformed})")
        processed = {s: super(DADataPreprocessor, self).forward(
            data[s], training) for s in streams}
        return dict(
            inputs={s: out['inputs'] for s, out in processed.items()},
            data_samples={
                s: out['data_samples']
                for s, out in processed.items()
            })
