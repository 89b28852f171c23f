"""Overlay compositing: the YUV kernels against float references, edges without fringes."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from clipkit.frame import Frame, rgb_to_yuv
from clipkit.nodes import FrameTime, RenderContext
from clipkit.overlays.composite import Sprite, affine, ref_composite_rgba, ref_warp_blend
from clipkit.overlays.layer import own_frame
from clipkit.overlays.sticker import Sticker


def _frame(seed: int = 0, w: int = 64, h: int = 48) -> Frame:
    rng = np.random.default_rng(seed)
    return Frame.from_rgb(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def _soft_rgba(seed: int = 1, w: int = 19, h: int = 13, dtype: type = np.uint8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = 65535 if dtype == np.uint16 else 255
    return rng.integers(0, top + 1, (h, w, 4)).astype(dtype)


def _diff(a: Frame, b: Frame) -> tuple[int, int, int]:
    return (
        int(np.abs(a.y.astype(int) - b.y).max()),
        int(np.abs(a.u.astype(int) - b.u).max()),
        int(np.abs(a.v.astype(int) - b.v).max()),
    )


@pytest.mark.parametrize("pos", [(4, 6), (3, 5), (0, 0), (-5, -3), (55, 40), (60, 47)])
@pytest.mark.parametrize("opacity", [1.0, 0.65])
def test_placed_blend_matches_float_reference(pos: tuple[int, int], opacity: float) -> None:
    frame = _frame()
    rgba = _soft_rgba()
    out = frame.copy()
    Sprite.from_rgba(rgba).draw(out, affine(position=pos, anchor=(0, 0), size=(19, 13)), opacity=opacity)
    ref = ref_composite_rgba(frame, rgba, *pos, opacity=opacity)
    assert max(_diff(out, ref)) <= 1
    # nothing changes outside the bounding box (chroma: the 2x2 blocks it touches)
    x, y = pos
    mask = np.ones(frame.y.shape, bool)
    mask[max(y, 0) : max(y + 13, 0), max(x, 0) : max(x + 19, 0)] = False
    assert np.array_equal(out.y[mask], frame.y[mask])


def test_a_sprite_that_moves_to_the_other_parity_still_matches_the_reference() -> None:
    """After its first chroma planes a sprite keeps full-size chroma as float16: smaller,
    and the planes of a later parity stay within a tenth of a level."""
    frame = _frame(5)
    rgba = _soft_rgba(6)
    sprite = Sprite.from_rgba(rgba)
    exact = Sprite.from_rgba(rgba).halves(1, 1)
    before = sprite.nbytes
    for pos in ((4, 6), (3, 5), (5, 4)):
        out = frame.copy()
        sprite.draw(out, affine(position=pos, anchor=(0, 0), size=(19, 13)))
        assert max(_diff(out, ref_composite_rgba(frame, rgba, *pos))) <= 1, pos
    later = sprite.halves(1, 1)
    assert all(np.abs(a - b).max() < 0.1 for a, b in zip(later, exact))
    assert sprite.up.dtype == np.float32 and sprite.nbytes < before + sum(h.nbytes for h in later) * 3


def test_sixteen_bit_overlay_matches_reference() -> None:
    frame = _frame(3)
    rgba = _soft_rgba(4, dtype=np.uint16)
    out = frame.copy()
    Sprite.from_rgba(rgba).draw(out, affine(position=(7, 9), anchor=(0, 0), size=(19, 13)))
    assert max(_diff(out, ref_composite_rgba(frame, rgba, 7, 9))) <= 1


def test_opaque_rectangle_is_pixel_exact() -> None:
    red = np.zeros((10, 20, 4), np.uint8)
    red[:, :] = (230, 20, 40, 255)
    frame = Frame.solid(64, 48, (30, 30, 30))
    out = frame.copy()
    Sprite.from_rgba(red).draw(out, affine(position=(8, 12), anchor=(0, 0), size=(20, 10)))
    # expected image: the background with the rectangle's own YUV values written in
    expected = frame.copy()
    ry, ru, rv = rgb_to_yuv(np.full((10, 20, 3), (230, 20, 40), np.uint8))
    expected.y[12:22, 8:28] = ry
    expected.u[6:11, 4:14] = ru
    expected.v[6:11, 4:14] = rv
    assert np.array_equal(out.y, expected.y)
    assert np.array_equal(out.u, expected.u)
    assert np.array_equal(out.v, expected.v)


@pytest.mark.parametrize(
    "placement",
    [
        dict(position=(30.0, 22.0), anchor=(0.5, 0.5), scale=1.7, rotation=30.0),
        dict(position=(31.3, 20.6), anchor=(0.5, 0.5), scale=0.8, rotation=-70.0),
        dict(position=(2.0, 3.0), anchor=(0.5, 0.5), scale=1.2, rotation=200.0),
    ],
)
def test_warped_blend_matches_reference(placement: dict) -> None:
    frame = _frame(5)
    sprite = Sprite.from_rgba(_soft_rgba(6))
    m = affine(size=(19, 13), **placement)
    out = frame.copy()
    assert sprite.draw(out, m, opacity=0.9)
    assert max(_diff(out, ref_warp_blend(frame, sprite, m, opacity=0.9))) <= 1


def _white_disc(size: int = 40) -> np.ndarray:
    """White disc with a soft edge; transparent pixels are black (the fringe trap)."""
    yy, xx = np.mgrid[:size, :size] + 0.5
    d = np.hypot(xx - size / 2, yy - size / 2)
    a = np.clip(size / 2 - 2 - d, 0, 1)
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = np.where(a[..., None] > 0, 255, 0)
    rgba[..., 3] = np.round(a * 255).astype(np.uint8)
    return rgba


@pytest.mark.parametrize(
    "placement",
    [
        dict(scale=1.0, rotation=0.0),
        dict(scale=0.37, rotation=0.0),
        dict(scale=1.9, rotation=0.0),
        dict(scale=1.3, rotation=33.0),
        dict(scale=0.3, rotation=-20.0),
    ],
)
def test_no_dark_fringe_when_resampled(placement: dict) -> None:
    bg = Frame.solid(96, 96, (255, 255, 255))
    out = bg.copy()
    Sprite.from_rgba(_white_disc()).draw(out, affine(position=(48.3, 47.6), anchor=(0.5, 0.5), size=(40, 40), **placement))
    # white over white stays white everywhere, edges included
    assert out.y.min() >= int(bg.y[0, 0]) - 1
    assert np.abs(out.u.astype(int) - 128).max() <= 1
    assert np.abs(out.v.astype(int) - 128).max() <= 1


def test_frame_with_alpha_is_composited_over() -> None:
    sprite = Sprite.from_rgba(_soft_rgba(7))
    for m in (affine(position=(5, 7), anchor=(0, 0), size=(19, 13)), affine(position=(30, 20), anchor=(0.5, 0.5), size=(19, 13), rotation=25)):
        plain = _frame(8)
        opaque = plain.copy()
        opaque.alpha = np.full(plain.y.shape, 255, np.uint8)
        sprite.draw(plain, m)
        sprite.draw(opaque, m)
        assert max(_diff(plain, opaque)) <= 1
        clear = _frame(8)
        clear.alpha = np.zeros(clear.y.shape, np.uint8)
        sprite.draw(clear, m)
        # over a transparent destination the result is the overlay itself
        covered = clear.alpha > 0
        assert covered.any()
        assert clear.alpha.max() <= 255


def test_sprite_outside_frame_draws_nothing() -> None:
    frame = _frame(9)
    out = frame.copy()
    sprite = Sprite.from_rgba(_soft_rgba())
    assert not sprite.draw(out, affine(position=(500, 500), anchor=(0, 0), size=(19, 13)))
    assert not sprite.draw(out, affine(position=(500, 500), anchor=(0.5, 0.5), size=(19, 13), rotation=10))
    assert np.array_equal(out.y, frame.y)


def test_layers_copy_shared_frames_before_drawing() -> None:
    """A source may hand the same owned planes to many frames; overlays must not write into them."""
    shared = Frame.solid(64, 48, (0, 0, 0))
    before = shared.y.copy()
    rgba = np.full((8, 8, 4), 255, np.uint8)
    ctx = RenderContext(width=64, height=48, fps=Fraction(30))
    draw = Sticker(rgba, width=0.25, position=(0.5, 0.5)).bind(ctx)
    first = draw(shared, FrameTime(0, 0.0, 0, 0.0, 1.0))
    assert np.array_equal(shared.y, before)
    assert first.y.max() > before.max()
    # a second layer on the frame the first one made draws in place
    again = own_frame(first)
    assert again is first
    # the copy is one yuv420p buffer: the encoder takes it as it is (no second copy)
    packed = first.to_i420()
    assert np.shares_memory(packed, first.y) and np.shares_memory(packed, first.v)
    assert np.array_equal(packed[:48], first.y)


def test_a_render_with_text_and_a_resting_sticker_loads_no_numba(tmp_path: Path, portrait: str) -> None:
    """Resting overlays blend with numpy: numba and LLVM (~130 MB of RSS) stay out."""
    import subprocess
    import sys

    sticker = Path(__file__).resolve().parent.parent / "presets" / "stickers" / "shapes" / "star.png"
    code = (
        "import sys, clipkit as ck\n"
        f"edit = ck.sequence([ck.open({portrait!r}).trim(0, 0.5)], canvas=ck.Canvas(160, 284, 30))\n"
        "edit = edit.with_overlay(ck.Text('Hello 👋', position=(0.5, 0.3)))\n"
        f"edit = edit.with_overlay(ck.Sticker({str(sticker)!r}, position=(0.5, 0.6), width=0.3))\n"
        f"edit.render({str(tmp_path / 'out.mp4')!r})\n"
        "print(sorted(m for m in ('numba', 'llvmlite') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_sprite_drawn_at_its_own_size_does_not_cache_itself() -> None:
    """A bouncing sticker passes through its own size: caching the sprite in itself made a
    reference cycle that only a full collection frees (a warm worker's RSS crept by jobs)."""
    planes = [np.ones((8, 8), np.float32) for _ in range(4)]
    sprite = Sprite(*planes)
    assert sprite.sized(8, 8) is sprite and sprite.sized(4, 4) is not sprite
    assert list(sprite._sizes) == [(4, 4)] and all(v is not sprite for v in sprite._sizes.values())


def test_a_sprites_resized_copies_stay_within_their_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pop entrance draws a sprite at a new size every frame and never again: the copies
    kept are bounded in bytes (and counted in the sprite's nbytes, which caches budget by)."""
    import clipkit.overlays.composite as composite

    monkeypatch.setattr(composite, "_SIZE_BYTES", 200_000)
    sprite = Sprite(*[np.ones((100, 100), np.float32) for _ in range(4)])
    own = sprite.nbytes
    for k in range(20):
        sprite.sized(60 + k, 60 + k)
    held = sum(s.nbytes for s in sprite._sizes.values())
    assert 1 <= len(sprite._sizes) < 20 and held <= 200_000
    assert sprite.nbytes == own + held
    assert (79, 79) in sprite._sizes  # the newest stays
