from .fc_discriminator import FCDiscriminator
from .multi_level_discriminator import MultiLevelDiscriminator
from .patch_discriminator import PatchDiscriminator
from .patchgan_discriminator import MultiScalePatchDiscriminator

__all__ = [
    'FCDiscriminator', 'MultiLevelDiscriminator',
    'MultiScalePatchDiscriminator', 'PatchDiscriminator'
]
