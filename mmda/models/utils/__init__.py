from .adversarial_schedule import (AdversarialSchedule,
                                   current_adversarial_schedule,
                                   publish_adversarial_schedule)
from .batch_norm_recalibration import (batch_norm_layers,
                                       recalibrate_batch_norm)
from .flip_averaging import without_test_flip
from .frozen import frozen, unwrap
from .logits_at_input import (losses_at_label_size, main_logits_at_input,
                              resize_to_input)
from .loss_gradients import gradient_cosine, loss_gradients
from .optim_wrapper_check import check_optim_wrapper_dict
from .streams import check_streams
from .target_losses import TargetLosses
from .teacher_mode import TEACHER_MODES, set_teacher_mode
from .wrapper_free_state_dict import register_wrapper_free_state_dict

__all__ = [
    'AdversarialSchedule', 'current_adversarial_schedule',
    'publish_adversarial_schedule', 'batch_norm_layers',
    'recalibrate_batch_norm', 'frozen', 'unwrap',
    'losses_at_label_size', 'main_logits_at_input', 'resize_to_input',
    'check_optim_wrapper_dict',
    'check_streams',
    'TargetLosses', 'register_wrapper_free_state_dict', 'TEACHER_MODES',
    'set_teacher_mode', 'without_test_flip', 'loss_gradients',
    'gradient_cosine'
]
