"""Sticker layers: images, animations, SVG and library stickers, alpha video on the canvas."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import KW_ONLY, dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..errors import MediaError, ParameterError, describe_value
from ..nodes import FrameTime, RenderContext
from .animation import LayerState
from .composite import Sprite
from .layer import Content, Layer, reference_scale
from .library import VectorImage, entry_for_emoji, find_entry
from .sources import StickerMedia, load_sticker_media

__all__ = ["Sticker", "sprite_from_rgba", "SpriteCache"]

SPRITE_CACHE_BYTES = 160 * 2**20
"""Per-layer budget for converted sticker frames (an animation's frames are reused every loop)."""

SHARED_STICKER_BYTES = 64 * 2**20
"""Process-wide budget for sticker files decoded and converted in earlier renders.

A worker rendering job after job with the same sticker files (a template's) decodes
each file and converts it to a sprite once, not once per render: about 8 ms per
270-pixel PNG sticker. Keyed by the file's path, size and modification time and the
drawn size, so a changed file is read again.
"""


def sprite_from_rgba(rgba: np.ndarray, width: int, height: int) -> Sprite:
    """A :class:`Sprite` of a straight-alpha RGBA image resampled to ``width`` x ``height``.

    Resampling works on premultiplied values (no dark fringes); shrinking uses an area
    filter.
    """
    if width < 1 or height < 1:
        raise ParameterError(f"sticker size: {width}x{height} pixels is below 1 pixel")
    maxval = 65535.0 if rgba.dtype == np.uint16 else 255.0
    f = rgba.astype(np.float32) * np.float32(1.0 / maxval)
    f[:, :, :3] *= f[:, :, 3:4]
    h, w = f.shape[:2]
    if (w, h) != (width, height):
        interp = cv2.INTER_AREA if width < w or height < h else cv2.INTER_LINEAR
        f = cv2.resize(f, (width, height), interpolation=interp)
        np.clip(f, 0.0, 1.0, out=f)
    return Sprite.from_rgba(np.ascontiguousarray(f, np.float32), premultiplied=True)


class SpriteCache:
    """Converted frames of one layer, least recently used first out, within a byte budget."""

    def __init__(self, budget: int = SPRITE_CACHE_BYTES) -> None:
        self.budget = budget
        self.used = 0
        self._items: OrderedDict[Any, Sprite] = OrderedDict()

    def get(self, key: Any) -> Sprite | None:
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key: Any, sprite: Sprite) -> None:
        self._items[key] = sprite
        self.used += sprite.nbytes
        while self.used > self.budget and len(self._items) > 1:
            _, old = self._items.popitem(last=False)
            self.used -= old.nbytes

    def clear(self) -> None:
        self._items.clear()
        self.used = 0


def _media_size(ctx: RenderContext, media_size: tuple[int, int], width: float | None, height: float | None) -> tuple[int, int]:
    mw, mh = media_size
    if width is not None:
        tw = max(1.0, width * ctx.width)
        th = tw * mh / mw
    elif height is not None:
        th = max(1.0, height * ctx.height)
        tw = th * mw / mh
    else:  # natural size, in pixels of a 1080x1920 frame
        k = reference_scale(ctx)
        tw, th = mw * k, mh * k
    return max(1, int(round(tw))), max(1, int(round(th)))


@dataclass(frozen=True)
class Sticker(Layer):
    """An image, animated image, image sequence or alpha video placed on the canvas.

    Parameters
    ----------
    source : path, glob pattern, list of paths, np.ndarray or VectorImage
        A PNG/WebP/GIF/APNG file, an SVG file (rasterized at the drawn size), a folder
        or glob of images, a VP8/VP9 WebM with alpha, an RGBA array (H, W, 4)
        uint8/uint16, or a library sticker's artwork (see :meth:`emoji` and
        :meth:`from_library`).
    width : float in (0, 4], optional
        Width as a fraction of the canvas width (the height follows the aspect ratio).
        ``None`` uses ``height``, or the image's own pixel size on a 1080x1920 frame.
    height : float in (0, 4], optional
        Height as a fraction of the canvas height, when ``width`` is ``None``.
    loop : bool
        Loop an animation; otherwise it plays once and holds its last frame.
    speed : float in (0, 16]
        Playback rate of an animation.
    fps : float > 0
        Rate of an image sequence.
    **placement
        ``position``, ``anchor``, ``scale``, ``rotation``, ``opacity``, ``enter``,
        ``exit``, ``beat_bounce`` (see :class:`~clipkit.overlays.layer.Layer`).

    Examples
    --------
    >>> import clipkit as ck
    >>> heart = ck.Sticker("heart.png", width=0.25, position=(0.8, 0.2), enter="pop", beat_bounce=0.1)  # doctest: +SKIP
    >>> fire = ck.Sticker.emoji("🔥", width=0.2, position=(0.2, 0.3), enter="pop")
    >>> edit = edit.with_overlay(fire, start=1.0, end=4.0)  # doctest: +SKIP
    """

    source: Any = None
    _: KW_ONLY
    width: float | None = 0.3
    height: float | None = None
    loop: bool = True
    speed: float = 1.0
    fps: float = 12.0

    def __post_init__(self) -> None:
        super().__post_init__()
        src = self.source
        if isinstance(src, np.ndarray):
            if src.ndim != 3 or src.shape[2] != 4 or src.dtype not in (np.uint8, np.uint16) or 0 in src.shape:
                raise ParameterError(f"Sticker.source: an array must be (H, W, 4) uint8 or uint16 RGBA, got {src.dtype} {src.shape}")
        elif isinstance(src, VectorImage):
            pass
        elif isinstance(src, (list, tuple)):
            if not src:
                raise ParameterError("Sticker.source: the list of images is empty")
        elif isinstance(src, (str, os.PathLike)):
            text = os.fspath(src)
            if not any(ch in text for ch in "*?[") and not Path(text).exists():
                raise MediaError(text, "sticker file does not exist")
            if text.lower().endswith(".svg"):
                vector = VectorImage(Path(text))
                vector.size  # checks the SVG now (a hostile one is refused here, naming the file)
                object.__setattr__(self, "source", vector)
        else:
            raise ParameterError(f"Sticker.source: {describe_value(src)} is not a path, list of paths, RGBA array or VectorImage")
        for name in ("width", "height"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 4):
                raise ParameterError(f"Sticker.{name}: {v!r} is outside (0, 4] (a fraction of the canvas)")
        if not isinstance(self.speed, (int, float)) or not 0 < self.speed <= 16:
            raise ParameterError(f"Sticker.speed: {self.speed!r} is outside (0, 16]")
        if not isinstance(self.fps, (int, float)) or self.fps <= 0:
            raise ParameterError(f"Sticker.fps: {self.fps!r} must be above 0")

    @classmethod
    def from_pack(cls, name: str, **options: Any) -> Sticker:
        """A sticker from a bundled pack, with the manifest's size and anchor as defaults.

        Parameters
        ----------
        name : str
            ``"pack/sticker"``, e.g. ``"hearts/heart_red"`` (see ``clipkit.overlays.packs``).
        **options
            Any :class:`Sticker` option; overrides the manifest's defaults.
        """
        from .packs import find_sticker

        entry = find_sticker(name)
        options.setdefault("width", entry.width)
        options.setdefault("anchor", entry.anchor)
        return cls(entry.source(), **options)

    @classmethod
    def emoji(cls, emoji: str, **options: Any) -> Sticker:
        """The library sticker of one emoji: ``Sticker.emoji("🔥")``, ``Sticker.emoji("👍🏽")``.

        Parameters
        ----------
        emoji : str
            One emoji (a ZWJ sequence, flag, keycap or skin-tone variant counts as one;
            U+FE0F is optional).
        **options
            Any :class:`Sticker` option (``width`` defaults to 0.3 of the canvas width).

        Raises
        ------
        ParameterError
            When ``emoji`` is not one emoji of the library (naming the closest stickers).
        """
        return cls(entry_for_emoji(emoji).vector(), **options)

    @classmethod
    def from_library(cls, name: str, **options: Any) -> Sticker:
        """A library sticker by name: ``Sticker.from_library("openmoji/fire")`` (``"fire"`` also works).

        ``clipkit stickers list`` and ``clipkit stickers search WORD`` show the names.

        Raises
        ------
        ParameterError
            For an unknown name (naming the closest ones).
        """
        return cls(find_entry(name).vector(), **options)

    def load(self, *, width_px: int | None = None) -> StickerMedia:
        """Decode the source (done once per render in :meth:`bind`).

        Parameters
        ----------
        width_px : int, optional
            The drawn width in pixels: an SVG source is rasterized at this width (at
            512 pixels when not given).
        """
        if isinstance(self.source, np.ndarray):
            return StickerMedia((self.source,), (1.0,), "<array>")
        if isinstance(self.source, VectorImage):
            w, h = self.source.pixel_size(width=width_px or 512)
            media = load_sticker_media(self.source.raster_path(w, h))
            return StickerMedia(media.frames, media.durations, self.source.label)
        return load_sticker_media(self.source, fps=self.fps)

    def with_options(self, **changes: Any) -> Sticker:
        """A copy with some options changed."""
        return replace(self, **changes)

    def _bind_content(self, ctx: RenderContext) -> Content:
        if isinstance(self.source, VectorImage):
            # rasterize at the drawn size, so the sticker is sharp at any size
            vw, vh = self.source.size
            size = _media_size(ctx, (max(1, round(vw)), max(1, round(vh))), self.width, self.height)
            media = self.load(width_px=size[0])
            key = None
        else:
            key = _SHARED.file_key(self.source, self.fps)
            media = self.load() if key is None else _SHARED.media(key, self.load)
            size = _media_size(ctx, media.size, self.width, self.height)
            if media.animated:
                key = None  # an animation's frames stay in its own render's cache (their budget is large)
        return MediaContent(media, size, loop=self.loop, speed=self.speed, anchor=self.anchor, shared_key=key)


class _SharedStickers:
    """Decoded sticker files and their converted frames, shared by the renders of a process."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._media: OrderedDict[Any, StickerMedia] = OrderedDict()
        self._sprites = SpriteCache(budget)

    @staticmethod
    def file_key(source: Any, fps: float) -> Any:
        """The cache key of a single sticker file, or None for anything else (folders, arrays, patterns)."""
        if not isinstance(source, (str, os.PathLike)):
            return None
        try:
            st = os.stat(source)
        except OSError:
            return None  # load_sticker_media explains (missing file, pattern)
        if not os.path.isfile(source):
            return None
        return (os.path.abspath(os.fspath(source)), st.st_size, st.st_mtime_ns, fps)

    def media(self, key: Any, load: Any) -> StickerMedia:
        with self._lock:
            hit = self._media.get(key)
            if hit is not None:
                self._media.move_to_end(key)
                return hit
        media = load()
        if media.animated:
            return media  # animations can be large: only still files are kept
        with self._lock:
            self._media[key] = media
            while len(self._media) > 1 and sum(m.frames[0].nbytes for m in self._media.values()) > self.budget:
                self._media.popitem(last=False)
        return media

    def sprite(self, key: Any) -> Sprite | None:
        with self._lock:
            return self._sprites.get(key)

    def keep(self, key: Any, sprite: Sprite) -> None:
        with self._lock:
            self._sprites.put(key, sprite)


_SHARED = _SharedStickers(SHARED_STICKER_BYTES)


class MediaContent:
    """Per-render content of a sticker: the frame showing at each time, converted once.

    Parameters
    ----------
    media : StickerMedia
        Decoded frames.
    size : (int, int)
        Drawn size in render pixels.
    loop : bool
        Loop the animation (else hold the last frame).
    speed : float
        Playback rate.
    anchor : (float, float)
        The layer's anchor.
    """

    def __init__(
        self, media: StickerMedia, size: tuple[int, int], *, loop: bool, speed: float, anchor: tuple[float, float], shared_key: Any = None
    ) -> None:
        self.media = media
        self.size = size
        self.loop = loop
        self.speed = speed
        self.anchor = anchor
        self.shared_key = shared_key  # a still file's key: its sprite is shared across renders
        self.cache = SpriteCache()

    def sprite_at(self, t: float) -> Sprite:
        """The converted frame showing ``t`` layer seconds in."""
        index = self.media.index_at(t * self.speed, loop=self.loop)
        hit = self.cache.get(index)
        if hit is None:
            shared = None if self.shared_key is None else (self.shared_key, index, self.size)
            hit = None if shared is None else _SHARED.sprite(shared)
            if hit is None:
                hit = sprite_from_rgba(self.media.frames[index], *self.size)
                if shared is not None:
                    _SHARED.keep(shared, hit)
            self.cache.put(index, hit)
        return hit

    def __call__(self, time: FrameTime, state: LayerState) -> tuple[Sprite, tuple[float, float]] | None:
        return self.sprite_at(time.local_t), self.anchor

    def close(self) -> None:
        """Drop the converted frames."""
        self.cache.clear()
