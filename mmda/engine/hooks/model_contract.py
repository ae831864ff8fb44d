"""Explicit contracts between hooks and the models they act on.

A hook that only works with models of a certain kind (one that reads the
adversarial schedule, one that can score target regions, ...) names the
attribute such models declare and checks it in ``before_train``: a config
that pairs the hook with another model fails at once, naming both, instead
of training without the hook's effect.
"""
import torch.nn as nn
from mmengine.model import is_model_wrapper


def check_model_supports(hook, model: nn.Module, attribute: str,
                         what: str) -> nn.Module:
    """The model inside any wrapper, if it declares ``attribute`` true.

    Args:
        hook: The hook (its class names it in the error).
        model (nn.Module): ``runner.model`` (wrapped or not).
        attribute (str): The class attribute a supporting model sets
            (e.g. ``reads_adversarial_schedule``).
        what (str): What such a model does, for the error message.

    Raises:
        TypeError: naming the hook, the model's class and the attribute.
    """
    while is_model_wrapper(model):
        model = model.module
    if not getattr(model, attribute, False):
        raise TypeError(
            f'{type(hook).__name__} needs a model that {what} (declared by '
            f'{attribute} = True on its class), but the model is '
            f'{type(model).__name__}, which does not: remove the hook from '
            'custom_hooks or use a model that supports it')
    return model
