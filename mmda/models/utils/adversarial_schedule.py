"""The adversarial schedule of one iteration, from the discriminator hook to
the model.

:class:`~mmda.engine.AdversarialDiscriminatorHook` decides before every
iteration whether the discriminator is updated and how strongly the
adversarial loss acts on the segmentor; adversarial segmentors read it in
``train_step``. It travels through mmengine's ``MessageHub`` (the channel
mmengine itself uses for the iteration), stamped with the iteration it was
made for: a stale schedule (e.g. restored from a checkpoint of a run that had
the hook, resumed without it) is ignored.
"""
from typing import NamedTuple

from mmengine.logging import MessageHub

SCHEDULE_KEY = 'adversarial_schedule'


class AdversarialSchedule(NamedTuple):
    """What one iteration of adversarial training does.

    Attributes:
        update_discriminator (bool): whether the discriminator steps.
        adversarial_weight (float): factor on the segmentor's adversarial
            losses (0 during warm-up).
    """
    update_discriminator: bool = True
    adversarial_weight: float = 1.0


def publish_adversarial_schedule(schedule: AdversarialSchedule,
                                 iteration: int) -> None:
    """Make ``schedule`` the one of ``iteration`` (called by the hook)."""
    MessageHub.get_current_instance().update_info(
        SCHEDULE_KEY, dict(iter=int(iteration), **schedule._asdict()))


def current_adversarial_schedule() -> AdversarialSchedule:
    """The schedule of the current iteration; the original recipe (update
    every iteration, full weight) when no hook published one for it."""
    hub = MessageHub.get_current_instance()
    info = hub.get_info(SCHEDULE_KEY)
    if not info or info.get('iter') != hub.get_info('iter'):
        return AdversarialSchedule()
    return AdversarialSchedule(
        update_discriminator=bool(info['update_discriminator']),
        adversarial_weight=float(info['adversarial_weight']))
