"""The named streams a domain-adaptation method consumes."""
from typing import Iterable


def check_streams(owner: str, expected: Iterable[str],
                  batch_streams: Iterable[str]) -> None:
    """Refuse a named-stream batch whose streams are not exactly the
    method's declared ``streams`` (a class attribute of
    :class:`~mmda.models.BaseDAModel` / :class:`~mmda.models.DAEncoderDecoder`
    subclasses), naming both lists.

    A stream the dataset yields but the method ignores would cost data
    loading for nothing; a missing one could not be trained on.
    """
    expected, got = sorted(expected), sorted(batch_streams)
    if expected != got:
        raise ValueError(
            f'{owner} trains on the streams {expected}, but the batch has '
            f'{got}: set train_dataloader.dataset (a TwoDomainDataset or '
            'MultiStreamDataset) to yield exactly these streams')
