"""What both shapes of DA method share: declared streams, loss dispatch."""
from typing import Dict, Tuple, Union

from torch import Tensor

from mmseg.utils import SampleList

from ..utils import check_streams


class DAMethodMixin:
    """The training side of the method interface, shared by
    :class:`~mmda.models.BaseDAModel` (wraps the segmentor) and
    :class:`~mmda.models.DAEncoderDecoder` (is the segmentor).

    :meth:`loss` sends a named-stream batch (``inputs`` and
    ``data_samples`` are dicts keyed by stream), checked against
    :attr:`streams`, to :meth:`da_loss`, which a method implements, and an
    ordinary single-domain batch to :meth:`single_domain_loss` (the
    segmentor's own supervised loss).

    Class attributes:
        streams (tuple[str]): The named streams a training batch must have
            (``('source', 'target')``; e.g. a mean teacher adds a second
            view of the target, see :class:`~mmda.datasets.
            MultiStreamDataset`).
    """

    streams: Tuple[str, ...] = ('source', 'target')

    def loss(self, inputs: Union[Tensor, Dict[str, Tensor]],
             data_samples: Union[SampleList, Dict[str, SampleList]]
             ) -> Dict[str, Tensor]:
        if not isinstance(inputs, dict):
            return self.single_domain_loss(inputs, data_samples)
        self.check_streams(inputs)
        return self.da_loss(inputs, data_samples)

    def check_streams(self, inputs: Dict[str, Tensor]) -> None:
        """Refuse a batch whose streams are not :attr:`streams`."""
        check_streams(type(self).__name__, self.streams, inputs)

    def single_domain_loss(self, inputs: Tensor,
                           data_samples: SampleList) -> Dict[str, Tensor]:
        """The deployable segmentor's supervised loss of a plain batch."""
        raise NotImplementedError

    def da_loss(self, inputs: Dict[str, Tensor],
                data_samples: Dict[str, SampleList]) -> Dict[str, Tensor]:
        """The method's losses of one named-stream batch."""
        raise NotImplementedError(
            f'{type(self).__name__} defines no single domain-adaptation '
            'loss: implement da_loss() (or, with several optimizers, '
            'train_step())')
