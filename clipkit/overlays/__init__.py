"""Overlays: stickers, text and captions drawn over the video.

Every layer is an immutable :class:`~clipkit.nodes.FrameNode`; add it with
``edit.with_overlay(layer, start=..., end=...)``::

    import clipkit as ck
    edit = edit.with_overlay(ck.Sticker("heart.png", width=0.25, position=(0.8, 0.2), enter="pop"), start=1)
    edit = edit.with_overlay(ck.Text("สวัสดี 你好 مرحبا", style="bold_outline", position=(0.5, 0.3)))
    edit = edit.with_overlay(ck.Captions.from_file("talk.srt", highlight="words"))

- :class:`Sticker`: PNG/WebP/GIF/APNG, SVG, image sequences, VP9 WebM with alpha; keyframed
  placement, enter/exit animations, beat bounce; ``Sticker.emoji("🔥")`` and
  ``Sticker.from_library("openmoji/fire")`` take one of the OpenMoji library's 4,000+
  stickers (:mod:`clipkit.overlays.library`), rasterized at the drawn size.
- :class:`FaceSticker`: a sticker pinned to a tracked face.
- :class:`Text`: shaped text in any script with per-script fonts and colour emoji, styles, animations.
- :class:`Captions`: timed text from SRT/WebVTT/ASS or the API.

See ``docs/overlays.md``.
"""

from .animation import ANIMATIONS, EASES, Animation, Track, ease
from .composite import Sprite, affine
from .fonts import FONT_PACKAGES, SCRIPT_PACKAGES, FontFace, MissingGlyph, char_script, face_for_script
from .layer import SAFE_AREA, BeatBounce, Layer, SafeArea
from .library import LibraryEntry, VectorImage, entry_for_emoji, find_entry, library_entries, search
from .packs import StickerEntry, StickerPack, find_sticker, sticker_pack, sticker_packs
from .sources import StickerMedia, load_sticker_media
from .sticker import Sticker
from .styles import TextStyle, text_style, text_style_names
from .text import Text, TextLayout, layout_text, with_strict_fonts

__all__ = [
    "ANIMATIONS",
    "EASES",
    "FONT_PACKAGES",
    "SAFE_AREA",
    "SCRIPT_PACKAGES",
    "Animation",
    "BeatBounce",
    "Captions",
    "Cue",
    "FaceBox",
    "FaceSticker",
    "FaceTracker",
    "FontFace",
    "HaarFaceDetector",
    "Layer",
    "LibraryEntry",
    "MissingGlyph",
    "SafeArea",
    "Sprite",
    "Sticker",
    "StickerEntry",
    "StickerMedia",
    "StickerPack",
    "Text",
    "TextLayout",
    "TextStyle",
    "Track",
    "VectorImage",
    "YuNetFaceDetector",
    "affine",
    "char_script",
    "default_face_detector",
    "ease",
    "entry_for_emoji",
    "find_entry",
    "face_for_script",
    "find_sticker",
    "layout_text",
    "library_entries",
    "load_cues",
    "load_sticker_media",
    "search",
    "sticker_pack",
    "sticker_packs",
    "text_style",
    "text_style_names",
    "with_strict_fonts",
]

# captions (pysubs2) and face stickers (the vision package) load when first named: a
# render with text and stickers does not pay their ~120 ms of imports
_LAZY = {
    **dict.fromkeys(("Captions", "Cue", "load_cues"), "captions"),
    **dict.fromkeys(("FaceBox", "FaceSticker", "FaceTracker", "HaarFaceDetector", "YuNetFaceDetector", "default_face_detector"), "faces"),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'clipkit.overlays' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

