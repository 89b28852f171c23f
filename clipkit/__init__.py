"""clipkit: on-device short-video editing and effects.

Clips and a song in, an upload-ready vertical MP4 out::

    import clipkit as ck
    a = ck.open("a.mp4").trim(1.0, 4.5)
    b = ck.open("b.mov").trim(0, 3)
    edit = ck.sequence([a, b], canvas=ck.Canvas(1080, 1920, fps=30), fit="cover")
    edit = edit.with_music(ck.audio("song.mp3"), start=12.0, fade_out=1.0)
    edit.render("out.mp4", profile="tiktok", progress=print)
"""

from ._version import __version__
from .audio.tracks import AudioClip, AudioTrack, audio
from .edit.clip import Canvas, Clip, color, image, open
from .edit.edit import Edit, Overlay, Shot, sequence
from .errors import (
    ClipkitError,
    FontError,
    MediaError,
    ParameterError,
    PluginError,
    RenderCancelled,
    TemplateError,
)
from .frame import Frame
from .media.probe import MediaInfo, probe
from .nodes import FrameNode, FrameTime, RenderContext, TransitionNode
from .render.executor import RenderProgress, RenderResult
from .render.profiles import PROFILES, Profile, get_profile
from .transitions import Crossfade, crossfade

__all__ = [
    "__version__",
    "AudioClip",
    "AudioTrack",
    "Canvas",
    "Clip",
    "ClipkitError",
    "Crossfade",
    "Edit",
    "FontError",
    "Frame",
    "FrameNode",
    "FrameTime",
    "MediaError",
    "MediaInfo",
    "Overlay",
    "PROFILES",
    "ParameterError",
    "PluginError",
    "Profile",
    "RenderCancelled",
    "RenderContext",
    "RenderProgress",
    "RenderResult",
    "Shot",
    "TemplateError",
    "TransitionNode",
    "audio",
    "color",
    "crossfade",
    "get_profile",
    "image",
    "open",
    "probe",
    "sequence",
    "analyze",
    "montage",
]

# music analysis and beat-synced montages (clipkit.music), imported on first use
_LAZY = {"analyze": "clipkit.music", "montage": "clipkit.music"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'clipkit' has no attribute {name!r}")
