"""The same edit renders to the same bytes, however many renders ran in the process before it.

Warm workers (batch pools, Ray actors, servers) render job after job in one process, so a
job's output must not depend on what the heap held before. libx264's AVX-512 routines
read uninitialised memory; the writer turns them off (``x264_cpu_flags``). These tests
fill freed heap blocks with different bytes between renders, which is what made the
streams differ before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
from pathlib import Path

import pytest

import clipkit as ck
from clipkit.render.encoder import x264_cpu_flags


def _dirty_the_heap(fill: int) -> None:
    """Allocate, fill and free blocks of the sizes an encoder allocates, leaving ``fill`` behind."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = []
    for size in (64, 256, 1024, 4096, 16384, 65536, 100_000):
        for _ in range(20):
            block = libc.malloc(size)
            ctypes.memset(block, fill, size)
            blocks.append(block)
    for block in blocks:
        libc.free(block)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.skipif(ctypes.util.find_library("c") is None, reason="needs the C library to fill the heap")
def test_one_edit_renders_to_the_same_bytes_whatever_the_heap_held(tmp_path: Path, portrait: str, landscape: str) -> None:
    edit = ck.sequence(
        [ck.open(landscape).trim(0, 0.5), ck.open(portrait).trim(0, 0.5)],
        canvas=ck.Canvas(160, 284, 30),
        transitions=[ck.crossfade(0.2)],
    ).with_look("film")
    digests = []
    for k, fill in enumerate((0, 77, 200)):
        _dirty_the_heap(fill)
        out = tmp_path / f"render{k}.mp4"
        edit.render(str(out))
        digests.append(_sha256(out))
    assert digests[0] == digests[1] == digests[2]


def test_the_cpu_flags_given_to_x264_never_include_avx512() -> None:
    flags = x264_cpu_flags()
    if flags is None:
        pytest.skip("this CPU or x264 build has no AVX-512 routines to turn off")
    from clipkit.render.encoder import _X264CpuName, _x264_library_paths

    lib = ctypes.CDLL(_x264_library_paths()[0])
    names = (_X264CpuName * 128).in_dll(lib, "x264_cpu_names")
    table = {}
    for entry in names:
        if not entry.flags:
            break
        table[entry.name.decode()] = entry.flags
    lib.x264_cpu_detect.restype = ctypes.c_uint32
    detected = int(lib.x264_cpu_detect())
    avx512 = table["AVX512"] & ~table["AVX2"]
    assert flags & avx512 == 0
    assert flags == detected & ~avx512  # every other routine x264 found stays on


def test_a_packed_frame_reaches_the_encoder_without_a_copy_and_others_are_packed() -> None:
    import numpy as np

    from clipkit.frame import Frame

    frame = Frame.packed(64, 32)
    frame.y[:] = 100
    frame.u[:] = 90
    frame.v[:] = 160
    buf = frame.to_i420()
    assert buf.shape == (48, 64) and np.shares_memory(buf, frame.y) and np.shares_memory(buf, frame.v)
    assert (buf[:32] == 100).all() and (buf[32:40] == 90).all() and (buf[40:] == 160).all()
    # planes that are not consecutive views of one buffer are copied into the layout
    other = Frame(frame.y.copy(), frame.v, frame.u)  # chroma swapped: not the packed order
    stacked = other.to_i420()
    assert not np.shares_memory(stacked, frame.y)
    assert (stacked[32:40] == 160).all() and (stacked[40:] == 90).all()
