"""A config whose text is formatted once, not at every use.

mmengine formats ``Config.pretty_text`` with yapf (about 0.3 s for a
segmentor config) each time it is read, and one training run reads it at
least four times: the runner logs it and dumps it to the work dir, the
``RuntimeInfoHook`` stores it in the message hub, and every saved checkpoint
stores it in its meta (the vis backends' ``add_config`` dumps it again).
"""
from mmengine.config import Config


class FormatOnceConfig(Config):
    """mmengine's :class:`~mmengine.config.Config` that keeps its formatted
    ``pretty_text`` while the unformatted text stays the same.

    The text is exactly mmengine's: the cache is keyed by the unformatted
    text (cheap to build), so a changed config is formatted again.
    """

    @property
    def pretty_text(self) -> str:
        if not self._format_python_code:
            return super().pretty_text
        object.__setattr__(self, '_format_python_code', False)
        try:
            unformatted = super().pretty_text
        finally:
            object.__setattr__(self, '_format_python_code', True)
        cached = self.__dict__.get('_formatted_text')
        if cached is None or cached[0] != unformatted:
            cached = (unformatted, super().pretty_text)
            object.__setattr__(self, '_formatted_text', cached)
        return cached[1]


def format_once(cfg: Config) -> FormatOnceConfig:
    """``cfg`` as a :class:`FormatOnceConfig` (not a copy: the two share
    their attributes and options)."""
    if isinstance(cfg, FormatOnceConfig):
        return cfg
    other = FormatOnceConfig.__new__(FormatOnceConfig)
    other.__dict__.update(cfg.__dict__)
    return other
