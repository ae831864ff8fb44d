import torch.nn as nn


class WeightedLoss(nn.Module):
    """Base of mmda's loss modules: a weight and the name the loss is logged
    under (mmseg's ``loss_name`` convention: a name containing ``loss`` is
    summed into the total by ``parse_losses``).

    Args:
        loss_weight (float): Factor on the loss.
        loss_name (str): Name under which the loss is logged.
    """

    def __init__(self, loss_weight: float, loss_name: str):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        return self._loss_name
