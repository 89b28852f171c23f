"""Edits: shots on a canvas, with music, effects and overlays; rendered on demand."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..audio.settings import DuckingSettings, LoudnessSettings
from ..audio.tracks import AudioClip, AudioTrack
from ..errors import ParameterError
from ..frame import Frame
from ..nodes import FrameNode, TransitionNode
from .clip import Canvas, Clip, _resolve_effect, check_fit

if TYPE_CHECKING:
    from ..render.executor import RenderProgress, RenderResult

__all__ = ["Shot", "Overlay", "Edit", "sequence"]


@dataclass(frozen=True, slots=True)
class Shot:
    """A clip in the sequence, with the transition that brings it in.

    Attributes
    ----------
    clip : Clip
        What plays.
    transition : TransitionNode or None
        How the previous shot hands over to this one; ``None`` is a hard cut.
    """

    clip: Clip
    transition: TransitionNode | None = None


@dataclass(frozen=True, slots=True)
class Overlay:
    """A layer drawn over the whole frame from ``start`` to ``end`` output seconds."""

    node: FrameNode
    start: float = 0.0
    end: float | None = None


@dataclass(frozen=True, slots=True)
class Edit:
    """A whole video: shots in order on a canvas, plus sound and layers.

    Build one with :func:`sequence`; change it with the ``with_*`` methods, which
    return new edits. Nothing is decoded until :meth:`render` or :meth:`frames`.

    Attributes
    ----------
    shots : tuple of Shot
        The shots, in order.
    canvas : Canvas or None
        Output size and rate; ``None`` takes the render profile's.
    fit : str
        Default fit for clips that have none.
    effects : tuple of FrameNode
        Effects on the whole frame, after the shots are composed.
    overlays : tuple of Overlay
        Layers drawn last, in order.
    tracks : tuple of AudioTrack
        Music, voice-over and other sound placed on the timeline.
    original_volume : float
        Gain of the clips' own sound in the mix.
    seed : int
        Seed for effects with randomness (grain, shake).
    ducking : DuckingSettings or None
        How the music dips under the clips' sound or a voice-over; ``None`` is off.
    loudness : LoudnessSettings or None
        Loudness target of the final mix; ``None`` turns normalization off.
    cut_plan : object or None
        How beat-synced cuts placed the shots (a :class:`clipkit.music.CutPlan`), set by
        ``montage`` and template ``cuts:``, for reports (``clipkit montage --plan``).
    """

    shots: tuple[Shot, ...]
    canvas: Canvas | None = None
    fit: str = "cover"
    effects: tuple[FrameNode, ...] = field(default_factory=tuple)
    overlays: tuple[Overlay, ...] = field(default_factory=tuple)
    tracks: tuple[AudioTrack, ...] = field(default_factory=tuple)
    original_volume: float = 1.0
    seed: int = 0
    ducking: DuckingSettings | None = DuckingSettings()
    loudness: LoudnessSettings | None = LoudnessSettings()
    cut_plan: Any = None

    # -- structure -----------------------------------------------------------------------
    @property
    def clips(self) -> tuple[Clip, ...]:
        """The clips of the shots, in order."""
        return tuple(s.clip for s in self.shots)

    @property
    def duration(self) -> float:
        """Output seconds (shots minus transition overlaps), before rounding to frames."""
        total = 0.0
        for i, shot in enumerate(self.shots):
            total += shot.clip.duration
            if i and shot.transition is not None:
                total -= shot.transition.duration
        return total

    @property
    def music(self) -> tuple[AudioTrack, ...]:
        """The tracks whose role is music."""
        return tuple(t for t in self.tracks if t.role == "music")

    def with_canvas(self, canvas: Canvas) -> Edit:
        """Render on ``canvas`` (size, rate, background)."""
        if not isinstance(canvas, Canvas):
            raise ParameterError(f"canvas: {canvas!r} is not a clipkit.Canvas")
        return replace(self, canvas=canvas)

    def then(self, clip: Clip, *, transition: TransitionNode | None = None) -> Edit:
        """Append a shot, optionally brought in by ``transition``."""
        _check_clip(clip, len(self.shots))
        return replace(self, shots=self.shots + (Shot(clip, transition),))

    def with_transition(self, index: int, transition: TransitionNode | None) -> Edit:
        """Set the transition into shot ``index`` (1..len-1); ``None`` makes a hard cut."""
        if not 1 <= index < len(self.shots):
            raise ParameterError(f"transition index: {index} is outside 1..{len(self.shots) - 1}")
        if transition is not None:
            longest = min(self.shots[index - 1].clip.duration, self.shots[index].clip.duration)
            if not 0 < transition.duration <= longest:
                raise ParameterError(
                    f"shots[{index}].transition.duration: {transition.duration!r} s must be above 0 and at most "
                    f"the shorter of the two shots ({longest:.3f} s)"
                )
        shots = list(self.shots)
        shots[index] = replace(shots[index], transition=transition)
        return replace(self, shots=tuple(shots))

    # -- processing -----------------------------------------------------------------------
    def with_effect(self, effect: FrameNode | str, /, **params: Any) -> Edit:
        """Add an effect on the whole frame (after the shots are composed)."""
        return replace(self, effects=self.effects + (_resolve_effect(effect, params),))

    def with_look(self, name: str, *, strength: float = 1.0, intensity: float | None = None) -> Edit:
        """Apply a named look to the whole edit at ``strength`` in [0, 1] (``intensity``
        is its old name, deprecated)."""
        from ..effects import look

        return replace(self, effects=self.effects + (look(name, strength=strength, intensity=intensity),))

    def with_overlay(self, node: FrameNode, *, start: float = 0.0, end: float | None = None) -> Edit:
        """Draw a layer (sticker, text, captions) from ``start`` to ``end`` output seconds.

        Parameters
        ----------
        node : FrameNode
            The layer.
        start : float >= 0
            When it appears.
        end : float > start, optional
            When it goes; ``None`` keeps it to the end.
        """
        if not hasattr(node, "bind"):
            raise ParameterError(f"with_overlay: {node!r} is not a layer (it has no bind())")
        if start < 0:
            raise ParameterError(f"overlay start: {start!r} is below 0")
        if end is not None and end <= start:
            raise ParameterError(f"overlay end: {end!r} is not after start {start!r}")
        return replace(self, overlays=self.overlays + (Overlay(node, float(start), None if end is None else float(end)),))

    # -- sound ----------------------------------------------------------------------------
    def with_music(
        self,
        music: AudioClip,
        *,
        start: float = 0.0,
        at: float = 0.0,
        volume: float = 1.0,
        fade_in: float = 0.0,
        fade_out: float = 0.0,
        loop: bool = False,
    ) -> Edit:
        """Add a music track.

        Parameters
        ----------
        music : AudioClip
            From :func:`clipkit.audio`.
        start : float >= 0
            Second of the song heard first (skip an intro).
        at : float >= 0
            Output second where the music begins.
        volume : float in [0, 4]
            Linear gain.
        fade_in, fade_out : float >= 0
            Fades in seconds; the fade out ends with the edit (or the song).
        loop : bool
            Repeat the song when it is shorter than the edit.
        """
        if not isinstance(music, AudioClip):
            raise ParameterError(f"music: {music!r} is not an AudioClip (use clipkit.audio(path))")
        clip = music.trim(start) if start else music
        track = AudioTrack(clip, at=at, volume=volume, fade_in=fade_in, fade_out=fade_out, role="music", loop=loop)
        return replace(self, tracks=self.tracks + (track,))

    def with_audio(self, track: AudioTrack) -> Edit:
        """Add any audio track (voice-over, sound effect, a second song)."""
        if not isinstance(track, AudioTrack):
            raise ParameterError(f"with_audio: {track!r} is not an AudioTrack")
        return replace(self, tracks=self.tracks + (track,))

    def with_original_volume(self, volume: float) -> Edit:
        """Set the gain of all the clips' own sound in the mix (0 mutes it), in [0, 4]."""
        if isinstance(volume, bool) or not isinstance(volume, (int, float)) or not 0 <= volume <= 4:
            raise ParameterError(f"original_volume: {volume!r} is outside 0..4")
        return replace(self, original_volume=float(volume))

    def with_ducking(self, *, enabled: bool = True, **settings: Any) -> Edit:
        """Change how the music dips under the clips' sound or a voice-over.

        Ducking is on by default (-10 dB under ``voice`` and ``original``); keywords
        ``depth``, ``threshold`` (dB), ``attack``, ``release``, ``hold`` (seconds) and
        ``under`` (roles) as in :class:`clipkit.audio.settings.DuckingSettings`;
        ``enabled=False`` turns it off.
        """
        if not enabled:
            return replace(self, ducking=None)
        return replace(self, ducking=DuckingSettings(**{k: tuple(v) if k == "under" else v for k, v in settings.items()}))

    def with_loudness(self, target: float | None = -14.0, *, true_peak: float = -1.0, max_gain: float = 20.0) -> Edit:
        """Normalize the final mix to ``target`` LUFS with a ``true_peak`` dBTP ceiling.

        Parameters
        ----------
        target : float in [-40, -5] or None
            Integrated loudness (default -14 LUFS, the short-video norm); ``None`` turns
            normalization off (the mix is then only kept from clipping).
        true_peak : float in [-9, 0]
            Ceiling in dBTP.
        max_gain : float in [0, 40]
            Most the mix is raised, in dB.
        """
        if target is None:
            return replace(self, loudness=None)
        return replace(self, loudness=LoudnessSettings(target, true_peak, max_gain))

    # -- output ---------------------------------------------------------------------------
    def render(
        self,
        path: str | os.PathLike[str],
        *,
        profile: str | Any = "tiktok",
        progress: Callable[[RenderProgress], None] | None = None,
        cancel: threading.Event | None = None,
        keep_metadata: bool = False,
        overwrite: bool = True,
        profile_stages: bool = False,
        **encoder_options: Any,
    ) -> RenderResult:
        """Render to an MP4 file.

        The file is written under a temporary name in the same folder and renamed
        when complete; on any error or cancellation nothing is left at ``path``.

        Parameters
        ----------
        path : str or os.PathLike
            Output file.
        profile : str or Profile
            Upload profile (``tiktok``, ``reels``, ``shorts``, ``square``,
            ``landscape``, ``preview``) or a :class:`clipkit.Profile`.
        progress : callable, optional
            Called with a :class:`RenderProgress` (frames done, total, ETA) a few
            times per second, from the rendering thread.
        cancel : threading.Event, optional
            Set it from any thread to stop; the render raises :class:`RenderCancelled`.
        keep_metadata : bool
            Copy the first clip's container metadata (creation time, location, device).
        overwrite : bool
            Replace an existing file at ``path``.
        profile_stages : bool
            Time every stage (decode per source, fit, each effect, transitions, each
            overlay, audio, encode, queue waits) and return the figures in
            ``RenderResult.stages`` (a :class:`clipkit.render.profile.StageProfile`);
            ``clipkit render --stats`` prints them.
        **encoder_options
            Profile overrides, e.g. ``crf=20``, ``preset="fast"``.

        Returns
        -------
        RenderResult
            The path, frame count, duration and timings.
        """
        from ..render.executor import render_edit

        return render_edit(
            self,
            path,
            profile=profile,
            progress=progress,
            cancel=cancel,
            keep_metadata=keep_metadata,
            overwrite=overwrite,
            profile_stages=profile_stages,
            **encoder_options,
        )

    def frames(self, *, profile: str | Any = "tiktok", start: int = 0, stop: int | None = None) -> Iterator[Frame]:
        """Iterate the output frames without encoding (previews, tests, interop).

        Parameters
        ----------
        profile : str or Profile
            Gives the size when the edit has no canvas.
        start, stop : int
            Output frame range.
        """
        from ..render.executor import iter_edit_frames

        return iter_edit_frames(self, profile=profile, start=start, stop=stop)


def _check_clip(clip: Any, index: int) -> None:
    if not isinstance(clip, Clip):
        raise ParameterError(f"clips[{index}]: {clip!r} is not a clip (use clipkit.open, image or color)")
    if clip.duration <= 0:
        raise ParameterError(f"clips[{index}]: {clip.describe()} lasts {clip.duration!r} s; it must be above 0")


def sequence(
    clips: Iterable[Clip],
    *,
    canvas: Canvas | None = None,
    fit: str = "cover",
    transitions: Sequence[TransitionNode | None] | TransitionNode | None = None,
) -> Edit:
    """Play clips one after another with hard cuts (or transitions).

    Parameters
    ----------
    clips : iterable of Clip
        At least one.
    canvas : Canvas, optional
        Output size and rate; omitted, the render profile decides.
    fit : {'cover', 'contain', 'blur', 'stretch'}
        How clips without their own fit fill the canvas.
    transitions : TransitionNode, or sequence of (TransitionNode or None), optional
        One transition for every cut, or one per cut (``len(clips) - 1``).
    """
    shots = []
    for i, clip in enumerate(clips):
        _check_clip(clip, i)
        shots.append(Shot(clip))
    if not shots:
        raise ParameterError("clips: an edit needs at least one clip")
    check_fit(fit)
    if canvas is not None and not isinstance(canvas, Canvas):
        raise ParameterError(f"canvas: {canvas!r} is not a clipkit.Canvas")
    edit = Edit(shots=tuple(shots), canvas=canvas, fit=fit)
    if transitions is not None:
        cuts = len(shots) - 1
        items = [transitions] * cuts if hasattr(transitions, "bind") else list(transitions)  # type: ignore[arg-type]
        if len(items) != cuts:
            raise ParameterError(f"transitions: {len(items)} given for {cuts} cuts")
        for i, tr in enumerate(items, start=1):
            edit = edit.with_transition(i, tr)
    return edit
