"""Writing upload-ready MP4: H.264 (libx264) + AAC-LC, faststart, atomic rename."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
from fractions import Fraction

import av
import numpy as np

from ..errors import MediaError
from ..frame import Frame
from .profiles import Profile

__all__ = ["Mp4Writer", "temporary_path", "remove_stale_parts"]

log = logging.getLogger(__name__)

# tags that describe the source file's own container, not its content: never copied
_CONTAINER_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})


def _host_tag() -> str:
    """Six hex digits naming this machine: a pid means nothing on another node sharing the folder."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


# .NAME.PID.HOST.TOKEN.part: the owner is in the name, so a later render can tell a
# killed process's leftover from another live render's file
_PART_NAME = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<host>[0-9a-f]{6})\.[0-9a-f]{8}\.part$")


def temporary_path(path: str) -> str:
    """A hidden temporary name next to ``path`` (same folder, so the rename is atomic),
    naming the owner process and machine."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}.{_host_tag()}.{secrets.token_hex(4)}.part")


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def remove_stale_parts(folder: str) -> list[str]:
    """Delete the temporary files in ``folder`` left by killed renders on this machine.

    A ``.part`` file whose owner process is gone (SIGKILL, OOM kill, power loss) is
    never renamed into place; files of live processes and of other machines are kept.

    Returns
    -------
    list of str
        The paths removed.
    """
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    host, me = _host_tag(), os.getpid()
    for entry in names:
        match = _PART_NAME.match(entry)
        if match is None or match["host"] != host:
            continue
        pid = int(match["pid"])
        if pid == me or _process_exists(pid):
            continue
        try:
            os.unlink(os.path.join(folder, entry))
            removed.append(os.path.join(folder, entry))
        except OSError:
            pass
    if removed:
        log.info("removed %d temporary file(s) left by killed renders in %s", len(removed), folder)
    return removed


def _hardware_encoder_works(codec: str, width: int, height: int, fps: Fraction) -> bool:
    """True when ``codec`` is built into this FFmpeg and opens (its device is present)."""
    if codec not in av.codecs_available:
        return False
    try:
        ctx = av.CodecContext.create(codec, "w")
        ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
        ctx.time_base = Fraction(1) / fps
        ctx.open()
        ctx.close()
    except (av.error.FFmpegError, ValueError, OSError):
        return False
    return True


class Mp4Writer:
    """Encode frames and audio blocks into an MP4 at a temporary path.

    Call :meth:`finish` to flush, close and rename into place, or :meth:`abort`
    to close and delete the temporary file. Nothing is written at ``path`` before
    :meth:`finish` succeeds.

    Parameters
    ----------
    path : str
        Final output path.
    width, height : int
        Frame size (even).
    fps : Fraction
        Frame rate; frame ``k`` gets ``pts = k`` in a ``1/fps`` time base.
    profile : Profile
        Encoder settings.
    audio : bool
        Whether to add an AAC stream.
    metadata : dict, optional
        Container metadata to write (only when the caller asks to keep it).
    """

    def __init__(
        self,
        path: str,
        *,
        width: int,
        height: int,
        fps: Fraction,
        profile: Profile,
        audio: bool = True,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.tmp_path = temporary_path(self.path)
        self.width, self.height, self.fps = width, height, fps
        self.profile = profile
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise MediaError(self.path, f"output folder {folder} does not exist")
        remove_stale_parts(folder)
        metadata = {k: v for k, v in (metadata or {}).items() if k.lower() not in _CONTAINER_TAGS}
        # without use_metadata_tags the MP4 muxer drops every tag outside its short
        # iTunes list (device make/model among them), so kept metadata needs it
        movflags = "+faststart+use_metadata_tags" if metadata else "+faststart"
        try:
            self.container = av.open(self.tmp_path, "w", format="mp4", options={"movflags": movflags})
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(self.path, f"cannot be written ({getattr(exc, 'strerror', None) or exc})") from None
        try:
            self._setup(audio, metadata)
        except BaseException:
            self.abort()
            raise
        self.frames_written = 0
        self.samples_written = 0
        self._closed = False

    def _setup(self, audio: bool, metadata: dict[str, str] | None) -> None:
        p = self.profile
        fps = self.fps
        codec = p.encoder
        if codec != "libx264" and not _hardware_encoder_works(codec, self.width, self.height, fps):
            log.warning("encoder %s is not usable here (not built in, or no device); using libx264", codec)
            codec = "libx264"
        self.codec = codec
        vs = self.container.add_stream(codec, rate=fps)
        vs.width, vs.height = self.width, self.height
        vs.pix_fmt = "yuv420p"
        vs.time_base = Fraction(1) / fps
        cc = vs.codec_context
        cc.time_base = Fraction(1) / fps
        cc.thread_type = "FRAME"
        cc.thread_count = p.threads  # 0: x264 picks (all cores); batches give each render a share
        cc.gop_size = max(1, int(round(float(fps) * p.gop_seconds)))
        cc.color_range = 1  # limited ("TV") range
        cc.colorspace = 1  # BT.709
        cc.color_primaries = 1
        cc.color_trc = 1
        x264_params = [f"min-keyint={max(1, cc.gop_size // 2)}"]
        # x264's profile option is only a ceiling: ultrafast turns CABAC and the 8x8
        # transform off and writes Constrained Baseline. Ask for the tools the profile
        # needs (no-ops for every other preset) so the stream is the profile promised.
        if p.h264_profile in ("main", "high"):
            x264_params.append("cabac=1")
        if p.h264_profile == "high":
            x264_params.append("8x8dct=1")
        if codec == "libx264":
            vs.options = {
                "preset": p.preset,
                "crf": f"{p.crf:g}",
                "maxrate": f"{p.maxrate_kbps}k",
                "bufsize": f"{p.bufsize_kbps}k",
                "profile": p.h264_profile,
                "x264-params": ":".join(x264_params),
            }
        else:  # a hardware encoder: capped VBR near the rate x264's CRF lands on
            cc.bit_rate = p.maxrate_kbps * 1000 * 6 // 10
            vs.options = {"maxrate": f"{p.maxrate_kbps}k", "bufsize": f"{p.bufsize_kbps}k", "profile": p.h264_profile}
        self.video = vs
        self.audio = None
        if audio:
            aus = self.container.add_stream("aac", rate=p.sample_rate)
            aus.layout = "stereo"
            aus.bit_rate = p.audio_bitrate_kbps * 1000
            aus.time_base = Fraction(1, p.sample_rate)
            self.audio = aus
        if metadata:
            for key, value in metadata.items():
                self.container.metadata[key] = value

    def write_video(self, frame: Frame) -> None:
        """Encode the next frame (its pts is the count of frames written so far)."""
        if frame.width != self.width or frame.height != self.height:
            raise MediaError(self.path, f"frame of {frame.width}x{frame.height} given to a {self.width}x{self.height} stream")
        av_frame = frame.av_frame
        if av_frame is None or av_frame.width != self.width or av_frame.height != self.height:
            av_frame = av.VideoFrame.from_numpy_buffer(frame.to_i420(), format="yuv420p")
        else:
            # an untouched decoded frame: encode it as it is, but let x264 choose the
            # frame types (the source's would leak through and bloat the file)
            av_frame.pict_type = av.video.frame.PictureType.NONE
        av_frame.pts = self.frames_written
        av_frame.time_base = self.video.codec_context.time_base
        av_frame.color_range = 1
        self.container.mux(self.video.encode(av_frame))
        self.frames_written += 1

    def write_audio(self, block: np.ndarray) -> None:
        """Encode the next audio block, float32 of shape (2, n)."""
        if self.audio is None or block.shape[1] == 0:
            return
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(block, dtype=np.float32), format="fltp", layout="stereo")
        af.sample_rate = self.profile.sample_rate
        af.pts = self.samples_written
        af.time_base = Fraction(1, self.profile.sample_rate)
        self.container.mux(self.audio.encode(af))
        self.samples_written += block.shape[1]

    def finish(self) -> None:
        """Flush the encoders, close the file and rename it into place."""
        try:
            self.container.mux(self.video.encode(None))
            if self.audio is not None:
                self.container.mux(self.audio.encode(None))
            self.container.close()
            self._closed = True
            os.replace(self.tmp_path, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Close without keeping anything (idempotent)."""
        if not getattr(self, "_closed", False):
            self._closed = True
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 - the file is being thrown away anyway
                pass
        try:
            os.unlink(self.tmp_path)
        except FileNotFoundError:
            pass
