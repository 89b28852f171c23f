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
from .errors import (
    ClipkitError,
    FontError,
    MediaError,
    ParameterError,
    Interrupted,
    PluginError,
    RenderCancelled,
    ResourceError,
    TemplateError,
)

__all__ = [
    "__version__",
    "audio",
    "ClipkitError",
    "FontError",
    "Interrupted",
    "MediaError",
    "ParameterError",
    "PluginError",
    "RenderCancelled",
    "ResourceError",
    "TemplateError",
]

# Every name but the errors loads on first use, so ``import clipkit`` costs no PyAV,
# numpy or numba (a CLI's --help, a worker that only validates templates): names below
# resolve from their module when first asked for (``ck.open``, ``ck.Text``, ``ck.duet``).
_LAZY: dict[str, str] = {
    # sources, clips and edits
    "AudioClip": "clipkit.audio.tracks",
    "AudioTrack": "clipkit.audio.tracks",
    "Canvas": "clipkit.edit.clip",
    "Clip": "clipkit.edit.clip",
    "color": "clipkit.edit.clip",
    "image": "clipkit.edit.clip",
    "open": "clipkit.edit.clip",
    "Edit": "clipkit.edit.edit",
    "Overlay": "clipkit.edit.edit",
    "Shot": "clipkit.edit.edit",
    "sequence": "clipkit.edit.edit",
    "Frame": "clipkit.frame",
    "MediaInfo": "clipkit.media.probe",
    "probe": "clipkit.media.probe",
    # extension protocols
    "FrameNode": "clipkit.nodes",
    "FrameTime": "clipkit.nodes",
    "RenderContext": "clipkit.nodes",
    "TransitionNode": "clipkit.nodes",
    # rendering
    "RenderProgress": "clipkit.render.executor",
    "RenderResult": "clipkit.render.executor",
    "PROFILES": "clipkit.render.profiles",
    "Profile": "clipkit.render.profiles",
    "get_profile": "clipkit.render.profiles",
    "Crossfade": "clipkit.transitions",
    "crossfade": "clipkit.transitions",
    # batch and distributed rendering
    "batch": "clipkit.batch",
    "batch_iter": "clipkit.batch",
    "Job": "clipkit.batch",
    "JobResult": "clipkit.batch",
    "LocalPool": "clipkit.batch",
    "BatchProgress": "clipkit.batch",
    # music analysis and beat-synced montages
    "analyze": "clipkit.music",
    "montage": "clipkit.music",
    # effects and looks
    "effect": "clipkit.effects",
    "look": "clipkit.effects",
    "look_names": "clipkit.effects",
    "effect_ids": "clipkit.effects",
    # stickers, text and captions
    "Sticker": "clipkit.overlays",
    "FaceSticker": "clipkit.overlays",
    "Text": "clipkit.overlays",
    "TextStyle": "clipkit.overlays",
    "text_style": "clipkit.overlays",
    "Captions": "clipkit.overlays",
    "Cue": "clipkit.overlays",
    "Animation": "clipkit.overlays",
    "SafeArea": "clipkit.overlays",
    "SAFE_AREA": "clipkit.overlays",
    "sticker_pack": "clipkit.overlays",
    "VectorImage": "clipkit.overlays",
    "with_strict_fonts": "clipkit.overlays",
    # faces and framing
    "CNNFaceDetector": "clipkit.vision",
    "HaarFaceDetector": "clipkit.vision",
    "detect_faces": "clipkit.vision",
    "FaceTracker": "clipkit.vision.tracking",
    "crop_path": "clipkit.vision.framing",
    "find_scene_cuts": "clipkit.vision.scenecut",
    # layouts
    "duet": "clipkit.layouts",
    "grid": "clipkit.layouts",
    "pip": "clipkit.layouts",
    "green_screen": "clipkit.layouts",
    "layout": "clipkit.layouts",
    # transitions by name
    "transition": "clipkit.transitions",
    "transition_names": "clipkit.transitions",
}
_ALIASES = {"effect": "create"}
_SUBMODULES = ("effects", "overlays", "layouts", "timefx", "music", "reframe", "interop", "library", "testing", "vision", "batch", "registry", "template", "edit", "render", "audio", "media")

__all__ += sorted(_LAZY)


def __getattr__(name: str) -> object:
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), _ALIASES.get(name, name))
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"clipkit.{name}")
    raise AttributeError(f"module 'clipkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
