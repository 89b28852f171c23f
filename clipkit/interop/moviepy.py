"""moviepy interop, for teams migrating from moviepy (install ``clipkit[interop]``).

- :func:`from_moviepy` wraps any moviepy clip (a ``VideoFileClip``, a composite, a
  ``TextClip``...) as a clipkit clip: frames come from ``clip.get_frame(t)`` on the
  output grid, its mask becomes the alpha plane, and its sound is rendered into the
  mix.
- :func:`to_moviepy` exposes a clipkit edit as a moviepy ``VideoClip`` (with its
  mixed sound as an ``AudioArrayClip``), so existing moviepy code can keep compositing
  or writing it.

moviepy is imported only when one of these functions runs. Frames cross the bridge as
RGB, so each costs a colour conversion (about 1-3 ms at 1080x1920 through OpenCV); keep
the bridge at the edges of a pipeline, not inside it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from ..audio.mix import Mixer, Segment
from ..edit.sources import Source
from ..errors import ClipkitError, ParameterError
from ..frame import Frame
from ..nodes import RenderContext

if TYPE_CHECKING:
    from ..edit.clip import Clip
    from ..edit.edit import Edit

__all__ = ["MoviepySource", "from_moviepy", "to_moviepy"]


def _moviepy() -> Any:
    try:
        return importlib.import_module("moviepy")
    except ImportError:
        raise ClipkitError("moviepy is not installed; install it with pip install 'clipkit[interop]'") from None


def _even_rgb(rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    rgb = rgb[: h - h % 2, : w - w % 2]
    if rgb.dtype != np.uint8:
        rgb = np.clip(rgb, 0, 255).astype(np.uint8)
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb[:, :, :3])


class MoviepySource(Source):
    """Frames and sound of a moviepy clip.

    Parameters
    ----------
    clip : moviepy.Clip
        Any moviepy video clip with a duration.
    """

    kind = "moviepy"

    def __init__(self, clip: Any) -> None:
        if not hasattr(clip, "get_frame"):
            raise ParameterError(f"from_moviepy: {clip!r} is not a moviepy video clip (it has no get_frame)")
        if clip.duration is None:
            raise ParameterError("from_moviepy: the moviepy clip has no duration; give it one with with_duration()")
        self.clip = clip
        w, h = clip.size
        self._size = (max(2, int(w) // 2 * 2), max(2, int(h) // 2 * 2))

    @property
    def duration(self) -> float:  # type: ignore[override]
        return float(self.clip.duration)

    @property
    def display_size(self) -> tuple[int, int]:  # type: ignore[override]
        return self._size

    @property
    def has_audio(self) -> bool:  # type: ignore[override]
        return getattr(self.clip, "audio", None) is not None

    def describe(self) -> str:
        return f"moviepy {type(self.clip).__name__}"

    def frames(
        self, *, ctx: RenderContext, start: float, count: int, fps: Fraction, width: int, height: int, speed: float = 1.0
    ) -> Iterator[tuple[Frame, float]]:
        step = float(speed) / float(fps)
        end = max(0.0, self.duration - 1e-6)
        mask = getattr(self.clip, "mask", None)
        for k in range(count):
            t = min(end, start + k * step)
            rgb = _even_rgb(np.asarray(self.clip.get_frame(t)))
            alpha = None
            if mask is not None:
                m = np.asarray(mask.get_frame(t), np.float32)
                m = m[: rgb.shape[0], : rgb.shape[1]]
                alpha = np.clip(m * 255.0 + 0.5, 0, 255).astype(np.uint8)
                if alpha.min() == 255:
                    alpha = None
            yield Frame.from_rgb(rgb, alpha), t

    def audio_segments(self, clip: Clip, *, out_start: int, length: int, sr: int, gain: float, **_: Any) -> list[Segment]:
        """The moviepy clip's sound for ``clip``'s span, rendered into memory."""
        audio = getattr(self.clip, "audio", None)
        if audio is None or length <= 0 or gain <= 0:
            return []
        t0 = clip.start
        t = t0 + np.arange(length, dtype=np.float64) * (clip.speed / sr)
        t = np.clip(t, 0.0, max(0.0, float(audio.duration) - 1.0 / sr))
        samples = np.asarray(audio.to_soundarray(tt=t, fps=sr, quantize=False), np.float32)
        if samples.ndim == 1:
            samples = samples[:, None]
        if samples.shape[1] == 1:
            samples = np.repeat(samples, 2, axis=1)
        samples = np.ascontiguousarray(samples[:, :2].T)
        return [Segment(path=None, source_start=0.0, out_start=out_start, length=length, gain=gain, role="original", samples=samples)]


def from_moviepy(clip: Any) -> Clip:
    """Wrap a moviepy clip as a clipkit clip.

    Parameters
    ----------
    clip : moviepy.VideoClip
        Any moviepy video clip with a duration (its mask becomes transparency).

    Returns
    -------
    Clip
        Lasting the moviepy clip's duration; trim, fit and add effects as usual.
    """
    from ..edit.clip import Clip

    source = MoviepySource(clip)
    return Clip(source=source, start=0.0, end=source.duration)


class _FrameServer:
    """Random access to a streamed edit: sequential reads stream; a jump restarts."""

    def __init__(self, edit: Edit, profile: Any) -> None:
        from ..render.plan import plan_edit
        from ..render.profiles import get_profile

        self.edit = edit
        self.profile = get_profile(profile)
        self.plan = plan_edit(edit, self.profile)
        self.stream: Iterator[Frame] | None = None
        self.next_index = 0
        self.last: tuple[int, np.ndarray] | None = None

    def rgb(self, t: float) -> np.ndarray:
        from ..render.stream import frame_stream

        index = min(self.plan.total_frames - 1, max(0, int(np.floor(t * float(self.plan.fps) + 1e-6))))
        if self.last is not None and self.last[0] == index:
            return self.last[1]
        if self.stream is None or index < self.next_index:
            if self.stream is not None:
                self.stream.close()  # type: ignore[attr-defined]
            self.stream = frame_stream(self.plan, start=index)
            self.next_index = index
        frame = None
        while self.next_index <= index:
            frame = next(self.stream)
            self.next_index += 1
        rgb = frame.to_rgb()  # type: ignore[union-attr]
        self.last = (index, rgb)
        return rgb

    def sound(self) -> np.ndarray:
        plan = self.plan
        with Mixer(plan.segments, sr=plan.sr, total=plan.total_samples) as mixer:
            from ..render.stream import install_audio_processors

            install_audio_processors(mixer, plan)
            return mixer.read(plan.total_samples)


def to_moviepy(edit: Edit, *, profile: Any = "tiktok", audio: bool = True) -> Any:
    """Expose a clipkit edit as a moviepy ``VideoClip``.

    Frames are produced by clipkit's pipeline on demand: reading forward streams (each
    source decodes once), seeking backward restarts the stream. The sound is mixed once,
    in memory, when ``audio`` is true.

    Parameters
    ----------
    edit : Edit
        The edit.
    profile : str or Profile
        Sets the size and rate when the edit has no canvas (``preview`` is half size).
    audio : bool
        Attach the mixed sound as an ``AudioArrayClip``.

    Returns
    -------
    moviepy.VideoClip
        With ``fps`` and ``duration`` set.
    """
    mp = _moviepy()
    server = _FrameServer(edit, profile)
    clip = mp.VideoClip(frame_function=server.rgb, duration=server.plan.duration)
    clip = clip.with_fps(float(server.plan.fps))
    if audio:
        sound = server.sound()
        track = mp.AudioArrayClip(np.ascontiguousarray(sound.T.astype(np.float64)), fps=server.plan.sr)
        # AudioArrayClip sets no end, and moviepy's composites need one to know their length
        clip = clip.with_audio(track.with_duration(sound.shape[1] / server.plan.sr))
    return clip
