from .adversarial_schedule import (AdversarialSchedule,
                                   current_adversarial_schedule,
                                   publish_adversarial_schedule)
from .frozen import frozen, unwrap

__all__ = [
    'AdversarialSchedule', 'current_adversarial_schedule',
    'publish_adversarial_schedule', 'frozen', 'unwrap'
]
