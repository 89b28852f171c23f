"""Writing upload-ready MP4: H.264 (libx264) + AAC-LC, faststart, atomic rename."""

from __future__ import annotations

import ctypes
import glob
import logging
import os
from fractions import Fraction

import av
import numpy as np

from ..errors import MediaError
from ..frame import Frame
from . import safety
from .profiles import Profile

__all__ = ["Mp4Writer"]

log = logging.getLogger(__name__)

# tags that describe the source file's own container, not its content: never copied
_CONTAINER_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands", "encoder"})


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


class _X264CpuName(ctypes.Structure):
    # x264.h: typedef struct { const char *name; uint32_t flags; } x264_cpu_name_t;
    _fields_ = [("name", ctypes.c_char_p), ("flags", ctypes.c_uint32)]


def _x264_library_paths() -> list[str]:
    """Candidate paths of the libx264 PyAV is linked with (bundled in its wheel, else already mapped)."""
    here = os.path.dirname(av.__file__)
    found: list[str] = []
    for folder in (os.path.join(here, os.pardir, "av.libs"), os.path.join(here, ".dylibs"), here):
        found += sorted(glob.glob(os.path.join(folder, "libx264*")))
    if not found and os.path.exists("/proc/self/maps"):
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
                found = sorted({line.split()[-1] for line in maps if "libx264" in line.rsplit("/", 1)[-1]})
        except OSError:  # out of file handles, say: the writer reports that itself when it opens
            raise _NotNow from None
    return found


class _NotNow(Exception):
    """The library could not be looked for now (no file handles): try again next time."""


_CPU_FLAGS: list[int | None] = []  # the answer, once found


def x264_cpu_flags() -> int | None:
    """The CPU flags to give x264: what it detects, minus AVX-512; None to let x264 decide.

    x264's AVX-512 routines (in the libx264 that PyAV's wheels bundle) read
    uninitialised memory in the lookahead, so on an AVX-512 machine the same frames
    gave slightly different streams from one encoder to the next, within one
    process or across processes, depending on what the heap held before. With
    AVX-512 off, every encode of the same frames is byte-identical, and the stream
    is the one the AVX2 routines give (measured: no slower here). Returns None,
    which leaves x264's own detection, when the library cannot be inspected or the
    CPU has no AVX-512.
    """
    if _CPU_FLAGS:
        return _CPU_FLAGS[0]
    try:
        flags = _x264_cpu_flags(_x264_library_paths())
    except _NotNow:
        return None
    _CPU_FLAGS.append(flags)
    return flags


def _x264_cpu_flags(paths: list[str]) -> int | None:
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            raise _NotNow from None  # PyAV has it loaded: only a lack of resources fails here
        try:
            detect = lib.x264_cpu_detect
            names = (_X264CpuName * 128).in_dll(lib, "x264_cpu_names")
        except (AttributeError, ValueError):
            continue
        detect.restype = ctypes.c_uint32
        table = {}
        for entry in names:
            if not entry.flags or entry.name is None:
                break
            table[entry.name.decode("ascii", "replace")] = entry.flags
        if "AVX512" not in table or "AVX2" not in table:
            return None  # not an x86 build, or a table this code does not know
        avx512_bit = table["AVX512"] & ~table["AVX2"]  # the table's entries are cumulative
        flags = int(detect())
        if not flags & avx512_bit:
            return None
        return flags & ~avx512_bit
    return None


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
        self.width, self.height, self.fps = width, height, fps
        self.profile = profile
        self._closed = True
        self._lock_fd: int | None = None
        self.folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(self.folder):
            raise MediaError(self.path, f"output folder {self.folder} does not exist")
        safety.remove_stale_parts(self.folder)  # what renders killed with kill -9 left
        self.tmp_path = ""
        metadata = {k: v for k, v in (metadata or {}).items() if k.lower() not in _CONTAINER_TAGS}
        # without use_metadata_tags the MP4 muxer drops every tag outside its short
        # iTunes list (device make/model among them), so kept metadata needs it
        movflags = "+faststart+use_metadata_tags" if metadata else "+faststart"
        try:
            # a signal while the temporary file is made waits until its name is kept here,
            # then unwinds through the handlers below (which remove it): the constructor
            # has not returned, so nobody else could
            with safety.critical_section():
                self.tmp_path, self._lock_fd = safety.claim_temporary(self.path)
            self.container = av.open(self.tmp_path, "w", format="mp4", options={"movflags": movflags})
        except (av.error.FFmpegError, OSError) as exc:
            self.abort()
            raise self._write_error(exc, "cannot be written") from None
        except BaseException:
            self.abort()
            raise
        self._closed = False
        try:
            self._setup(audio, metadata)
        except BaseException:
            self.abort()
            raise
        self.frames_written = 0
        self.samples_written = 0

    def _write_error(self, exc: BaseException, doing: str = "cannot be written") -> BaseException:
        """The user-facing error for a failed write: the machine's (disk full, read-only,
        a vanished folder...) as a ResourceError, anything else as a MediaError."""
        if not os.path.isdir(self.folder):
            return safety.vanished_folder_error(self.path, self.folder)
        err = safety.resource_error(self.path, exc, doing=doing)
        if err is not None:
            return err
        if isinstance(exc, (av.error.FFmpegError, OSError)):
            return MediaError(self.path, f"{doing} ({getattr(exc, 'strerror', None) or exc})")
        return exc

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
        if codec == "libx264" and (cpu_flags := x264_cpu_flags()) is not None:
            x264_params.append(f"asm={cpu_flags}")  # repeatable output: see x264_cpu_flags
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
        try:
            self.container.mux(self.video.encode(av_frame))
        except (av.error.FFmpegError, OSError) as exc:
            raise self._write_error(exc) from None
        self.frames_written += 1

    def write_audio(self, block: np.ndarray) -> None:
        """Encode the next audio block, float32 of shape (2, n)."""
        if self.audio is None or block.shape[1] == 0:
            return
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(block, dtype=np.float32), format="fltp", layout="stereo")
        af.sample_rate = self.profile.sample_rate
        af.pts = self.samples_written
        af.time_base = Fraction(1, self.profile.sample_rate)
        try:
            self.container.mux(self.audio.encode(af))
        except (av.error.FFmpegError, OSError) as exc:
            raise self._write_error(exc) from None
        self.samples_written += block.shape[1]

    def finish(self) -> None:
        """Flush the encoders, close the file and rename it into place."""
        try:
            try:
                self.container.mux(self.video.encode(None))
                if self.audio is not None:
                    self.container.mux(self.audio.encode(None))
                self.container.close()  # writes the index (and moves it first: faststart)
                self._closed = True
                with safety.critical_section():
                    os.replace(self.tmp_path, self.path)
                    self._release_lock()
            except (av.error.FFmpegError, OSError) as exc:
                raise self._write_error(exc) from None
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Close without keeping anything (idempotent, never raises an OSError)."""
        with safety.critical_section():
            if not getattr(self, "_closed", True):
                self._closed = True
                try:
                    self.container.close()
                except Exception:  # noqa: BLE001 - the file is being thrown away anyway
                    pass
            try:
                if self.tmp_path:
                    os.unlink(self.tmp_path)
            except FileNotFoundError:
                pass
            except OSError:  # a vanished or read-only mount: nothing more can be done here
                pass
            self._release_lock()

    def _release_lock(self) -> None:
        fd, self._lock_fd = getattr(self, "_lock_fd", None), None
        if fd is not None:
            os.close(fd)
