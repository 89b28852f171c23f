"""Moved to :mod:`clipkit.audio.finishing` (audio finishing is sound processing, not
music analysis); this name stays importable for one release."""

from ..audio.finishing import *  # noqa: F401,F403
from ..audio.finishing import __all__  # noqa: F401
