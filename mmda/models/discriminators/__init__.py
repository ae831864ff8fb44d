from .fc_discriminator import FCDiscriminator
from .multi_level_discriminator import MultiLevelDiscriminator

__all__ = ['FCDiscriminator', 'MultiLevelDiscriminator']
