"""The optimizer check of methods that train with several optimizers."""
from typing import Iterable

from mmengine.optim import OptimWrapperDict


def check_optim_wrapper_dict(owner: str, optim_wrapper,
                             names: Iterable[str]) -> None:
    """Refuse anything but an :class:`~mmengine.optim.OptimWrapperDict`
    with an entry for every network in ``names``.

    Raises:
        TypeError: naming ``owner``, the config it needs and the missing
            entry.
    """
    names = list(names)
    for name in names:
        if not isinstance(optim_wrapper,
                          OptimWrapperDict) or name not in optim_wrapper:
            entries = ', '.join(f'{n}=dict(...)' for n in names)
            raise TypeError(
                f'{owner} trains with one optimizer per child network: set '
                "optim_wrapper=dict(constructor='MultiOptimWrapper"
                f"Constructor', {entries}); got "
                f'{type(optim_wrapper).__name__} without {name!r}')
