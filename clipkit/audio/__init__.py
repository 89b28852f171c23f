"""Sound: audio clips, tracks placed on the timeline, the streaming mixer and finishing.

``clipkit.audio`` is also the function that opens a file's sound: ``ck.audio("song.mp3")``
calls :func:`clipkit.audio.tracks.audio` (the package and the function share the name
users know, so the package is callable). Its names load on first use.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

__all__ = ["AudioClip", "AudioTrack", "Mixer", "Segment", "TRACK_ROLES", "audio", "soft_limit"]

_LAZY = {
    "AudioClip": "tracks",
    "AudioTrack": "tracks",
    "TRACK_ROLES": "tracks",
    "audio": "tracks",
    "Mixer": "mix",
    "Segment": "mix",
    "soft_limit": "mix",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _AudioPackage(types.ModuleType):
    """The ``clipkit.audio`` package, callable as :func:`clipkit.audio.tracks.audio`."""

    def __call__(self, path: Any) -> Any:
        from .tracks import audio

        return audio(path)


sys.modules[__name__].__class__ = _AudioPackage
