"""Upload profiles: output size, rate and the H.264/AAC settings for each destination.

The x264 presets were chosen from the curve measured by ``bench/bench_presets.py``
(encode time and file size from ``ultrafast`` to ``medium`` at equal SSIM); see
``docs/profiles.md`` for the figures behind the choice.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from fractions import Fraction
from typing import Any

from ..errors import ParameterError

__all__ = ["Profile", "PROFILES", "get_profile", "X264_PRESETS"]

X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")


@dataclass(frozen=True, slots=True)
class Profile:
    """How an upload-ready file is encoded.

    Attributes
    ----------
    name : str
        Profile id.
    width, height : int
        Canvas size used when the edit has no canvas of its own.
    fps : Fraction
        Frame rate used when the edit has no canvas of its own.
    scale : float in (0, 1]
        Render at this fraction of the canvas size (``preview`` renders at half size).
    preset : str
        x264 preset.
    crf : float in [0, 51]
        Constant rate factor (lower is better quality, bigger files).
    maxrate_kbps, bufsize_kbps : int
        VBV cap so bitrate peaks stay uploadable.
    gop_seconds : float
        Keyframe interval.
    audio_bitrate_kbps : int
        AAC-LC bitrate.
    sample_rate : int
        Audio sample rate.
    h264_profile : str
        H.264 profile (``high``).
    encoder : str
        Video encoder. ``libx264`` (default); a hardware H.264 encoder such as
        ``h264_nvenc``, ``h264_qsv``, ``h264_vaapi`` or ``h264_videotoolbox`` is used
        only when asked for and present in this FFmpeg build, else libx264 is used.
    threads : int in [0, 64]
        x264 threads; 0 lets x264 choose (about 1.5 per core, all cores). A batch of
        renders running side by side gives each a share of the cores instead (see
        ``docs/batch.md`` for the measured curve). The output depends on it slightly.
    """

    name: str
    width: int = 1080
    height: int = 1920
    fps: Fraction = Fraction(30)
    scale: float = 1.0
    preset: str = "veryfast"
    crf: float = 23.0
    maxrate_kbps: int = 8000
    bufsize_kbps: int = 16000
    gop_seconds: float = 2.0
    audio_bitrate_kbps: int = 128
    sample_rate: int = 48000
    h264_profile: str = "high"
    encoder: str = "libx264"
    threads: int = 0

    def with_options(self, **options: Any) -> Profile:
        """A copy with some settings changed (validated)."""
        known = {f.name for f in fields(self)}
        for key in options:
            if key not in known:
                raise ParameterError(f"profile option {key!r} is unknown; known options: {', '.join(sorted(known))}")
        updated = replace(self, **options)
        updated.validate()
        return updated

    def validate(self) -> None:
        """Raise :class:`ParameterError` naming the first invalid setting."""
        if self.preset not in X264_PRESETS:
            raise ParameterError(f"profile.preset: {self.preset!r} is not an x264 preset ({', '.join(X264_PRESETS)})")
        if not 0 <= float(self.crf) <= 51:
            raise ParameterError(f"profile.crf: {self.crf!r} is outside 0..51")
        if not 0 < float(self.scale) <= 1:
            raise ParameterError(f"profile.scale: {self.scale!r} must be in (0, 1]")
        if self.maxrate_kbps <= 0 or self.bufsize_kbps <= 0:
            raise ParameterError("profile.maxrate_kbps and bufsize_kbps must be above 0")
        if not 0.1 <= self.gop_seconds <= 20:
            raise ParameterError(f"profile.gop_seconds: {self.gop_seconds!r} is outside 0.1..20")
        if self.sample_rate not in (22050, 32000, 44100, 48000):
            raise ParameterError(f"profile.sample_rate: {self.sample_rate!r} is not one of 22050, 32000, 44100, 48000")
        if not 32 <= self.audio_bitrate_kbps <= 512:
            raise ParameterError(f"profile.audio_bitrate_kbps: {self.audio_bitrate_kbps!r} is outside 32..512")
        if self.encoder != "libx264" and not self.encoder.startswith("h264_"):
            raise ParameterError(f"profile.encoder: {self.encoder!r} is not an H.264 encoder (libx264 or h264_*)")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or not 0 <= self.threads <= 64:
            raise ParameterError(f"profile.threads: {self.threads!r} is not a whole number in 0..64 (0 = automatic)")
        if self.h264_profile not in ("baseline", "main", "high"):
            raise ParameterError(f"profile.h264_profile: {self.h264_profile!r} is not baseline, main or high")


PROFILES: dict[str, Profile] = {
    "tiktok": Profile("tiktok"),
    "reels": Profile("reels", maxrate_kbps=8000, bufsize_kbps=16000),
    "shorts": Profile("shorts", maxrate_kbps=10000, bufsize_kbps=20000),
    "square": Profile("square", width=1080, height=1080),
    "landscape": Profile("landscape", width=1920, height=1080),
    "preview": Profile(
        "preview", scale=0.5, preset="ultrafast", crf=28.0, maxrate_kbps=2500, bufsize_kbps=5000, audio_bitrate_kbps=96
    ),
}


def get_profile(profile: str | Profile) -> Profile:
    """Look a profile up by name (or pass a :class:`Profile` through)."""
    if isinstance(profile, Profile):
        profile.validate()
        return profile
    if isinstance(profile, str) and profile in PROFILES:
        return PROFILES[profile]
    raise ParameterError(f"profile: {profile!r} is not a profile; use one of {', '.join(PROFILES)}")
