"""``clipkit probe FILE``: what clipkit sees in a media file."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


_COLOUR_NAMES = {"pq": "HDR PQ (HDR10)", "hlg": "HDR HLG", "bt2020": "BT.2020 wide gamut", "bt601": "BT.601 colours"}


def register(sub: Any) -> None:
    p = sub.add_parser("probe", help="show what clipkit sees in a media file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--count-frames", action="store_true", help="read the whole file for exact frame count and duration")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ...media.probe import probe

    info = probe(args.file, count_frames=args.count_frames)
    if args.json:
        json.dump(info.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    v = info.video
    if info.is_image:  # a still has no rate or length of its own: it is held as long as a clip asks
        lines = [f"{info.path}", f"  container: {info.format}", "  still image (held for the clip's duration)"]
    else:
        lines = [f"{info.path}", f"  container: {info.format}, {info.duration:.3f} s"]
    sar = f", pixel aspect {v.sample_aspect}" if v is not None and v.sample_aspect != 1 else ""
    if v is not None and info.is_image:
        lines.append(f"  image: {v.codec} {v.width}x{v.height} {v.pix_fmt}{' full range' if v.full_range else ''}{sar}")
        lines.append(f"         shown as {v.display_width}x{v.display_height}, rotation {v.rotation}°")
    elif v is not None:
        lines.append(
            f"  video: {v.codec} {v.width}x{v.height} {v.pix_fmt}{' full range' if v.full_range else ''}{sar}"
            + (f", {_COLOUR_NAMES[v.colour]} (converted to BT.709)" if v.colour else "")
        )
        lines.append(
            f"         shown as {v.display_width}x{v.display_height}, rotation {v.rotation}°, "
            f"{float(v.fps or 0):.3f} fps {'VFR' if v.vfr else 'CFR'}, {v.frames} frames, "
            f"{v.duration:.3f} s starting at {v.start:.3f} s"
        )
    else:
        lines.append("  video: none")
    a = info.audio
    if a is not None:
        lines.append(
            f"  audio: {a.codec} {a.sample_rate} Hz, {a.channels} ch ({a.layout or 'unknown layout'}), "
            f"{a.duration:.3f} s starting at {a.start:.3f} s"
        )
    else:
        lines.append("  audio: none")
    other = [s for s in info.streams if not s.startswith(("video", "audio"))]
    if other:
        lines.append(f"  other streams: {', '.join(other)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0
