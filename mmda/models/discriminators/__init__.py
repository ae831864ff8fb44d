from .fc_discriminator import FCDiscriminator
from .multi_level_discriminator import MultiLevelDiscriminator
from .patch_discriminator import PatchDiscriminator

__all__ = ['FCDiscriminator', 'MultiLevelDiscriminator', 'PatchDiscriminator']
