"""Draw the bundled sticker packs procedurally (no artwork is copied).

Run ``python presets/stickers/make_stickers.py`` to regenerate every pack folder here:
``shapes``, ``hearts``, ``sparkles`` and ``festival``, each with its PNG/APNG files and a
``manifest.yaml``. Shapes are drawn as coverage masks at 4x size, reduced with an area
filter and composited in premultiplied float, so their soft edges carry no dark fringe.
The output is deterministic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
SIZE = 256
SS = 4  # supersampling
LICENSE = "CC0-1.0"
AUTHOR = "clipkit contributors (drawn procedurally by presets/stickers/make_stickers.py)"


class Canvas:
    """Premultiplied RGBA float canvas; layers are painted with coverage masks."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self.rgba = np.zeros((size, size, 4), np.float64)

    def mask(self) -> tuple[Image.Image, ImageDraw.ImageDraw]:
        im = Image.new("L", (self.size * SS, self.size * SS), 0)
        return im, ImageDraw.Draw(im)

    def paint(self, im: Image.Image, color: tuple[int, int, int], opacity: float = 1.0) -> None:
        cov = np.asarray(im, np.float64).reshape(self.size, SS, self.size, SS).mean(axis=(1, 3)) / 255.0 * opacity
        rgb = np.asarray(color, np.float64) / 255.0
        inv = 1.0 - cov
        for k in range(3):
            self.rgba[:, :, k] = rgb[k] * cov + self.rgba[:, :, k] * inv
        self.rgba[:, :, 3] = cov + self.rgba[:, :, 3] * inv

    def image(self) -> Image.Image:
        a = self.rgba[:, :, 3:4]
        rgb = np.where(a > 0, self.rgba[:, :, :3] / np.maximum(a, 1e-9), 0.0)
        out = np.concatenate([rgb, a], axis=2)
        return Image.fromarray(np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8))


def s(v: float) -> float:
    """Canvas units (0..SIZE) to supersampled pixels."""
    return v * SS


def star_points(cx: float, cy: float, r_out: float, r_in: float, n: int, rot: float = -90.0) -> list[tuple[float, float]]:
    pts = []
    for i in range(2 * n):
        r = r_out if i % 2 == 0 else r_in
        a = math.radians(rot + i * 180.0 / n)
        pts.append((s(cx + r * math.cos(a)), s(cy + r * math.sin(a))))
    return pts


def heart_points(cx: float, cy: float, scale: float, n: int = 200) -> list[tuple[float, float]]:
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        x = 16 * math.sin(t) ** 3
        y = -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t))
        pts.append((s(cx + x * scale), s(cy + y * scale)))
    return pts


def heart(color: tuple[int, int, int], *, scale: float = 6.6, outline: bool = False, shine: bool = True) -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.polygon(heart_points(128, 124, scale), fill=255)
    if outline:
        c.paint(im, color)
        im2, d2 = c.mask()
        d2.polygon(heart_points(128, 124, scale * 0.78), fill=255)
        # cut the inside: paint transparent by rebuilding alpha
        inner = np.asarray(im2, np.float64).reshape(SIZE, SS, SIZE, SS).mean(axis=(1, 3)) / 255.0
        c.rgba *= (1.0 - inner)[:, :, None]
        return c.image()
    c.paint(im, color)
    if shine:
        im, d = c.mask()
        d.ellipse([s(70), s(62), s(104), s(88)], fill=255)
        c.paint(im, (255, 255, 255), 0.55)
    return c.image()


def sparkle(color: tuple[int, int, int], *, glow: bool = True, k: float = 1.0) -> Image.Image:
    c = Canvas()
    if glow:
        im, d = c.mask()
        d.ellipse([s(128 - 70 * k), s(128 - 70 * k), s(128 + 70 * k), s(128 + 70 * k)], fill=255)
        c.paint(im, color, 0.18)
    im, d = c.mask()
    d.polygon(star_points(128, 128, 118 * k, 22 * k, 4), fill=255)
    c.paint(im, color)
    im, d = c.mask()
    d.polygon(star_points(128, 128, 60 * k, 10 * k, 4), fill=255)
    c.paint(im, (255, 255, 255), 0.8)
    return c.image()


def shape_circle() -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.ellipse([s(16), s(16), s(240), s(240)], fill=255)
    c.paint(im, (255, 196, 0))
    return c.image()


def shape_star() -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.polygon(star_points(128, 134, 120, 50, 5), fill=255)
    c.paint(im, (255, 214, 10))
    im, d = c.mask()
    d.polygon(star_points(128, 134, 80, 33, 5), fill=255)
    c.paint(im, (255, 240, 140), 0.6)
    return c.image()


def shape_arrow() -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.polygon([(s(20), s(100)), (s(150), s(100)), (s(150), s(40)), (s(240), s(128)), (s(150), s(216)), (s(150), s(156)), (s(20), s(156))], fill=255)
    c.paint(im, (0, 200, 255))
    return c.image()


def shape_bubble() -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.rounded_rectangle([s(14), s(30), s(242), s(190)], radius=s(40), fill=255)
    d.polygon([(s(60), s(180)), (s(110), s(180)), (s(50), s(240))], fill=255)
    c.paint(im, (255, 255, 255))
    for x in (78, 128, 178):
        im, d = c.mask()
        d.ellipse([s(x - 14), s(96), s(x + 14), s(124)], fill=255)
        c.paint(im, (60, 60, 70))
    return c.image()


def lantern() -> Image.Image:
    c = Canvas()
    im, d = c.mask()
    d.rectangle([s(124), s(4), s(132), s(40)], fill=255)
    c.paint(im, (120, 80, 20))
    im, d = c.mask()
    d.rounded_rectangle([s(92), s(34), s(164), s(52)], radius=s(6), fill=255)
    d.rounded_rectangle([s(92), s(196), s(164), s(214)], radius=s(6), fill=255)
    c.paint(im, (230, 170, 30))
    im, d = c.mask()
    d.ellipse([s(48), s(46), s(208), s(204)], fill=255)
    c.paint(im, (220, 30, 40))
    for x0 in (88, 128, 168):
        im, d = c.mask()
        d.arc([s(x0 - 40), s(48), s(x0 + 40), s(202)], 250, 290, fill=255, width=s(3))
        d.arc([s(x0 - 40), s(48), s(x0 + 40), s(202)], 70, 110, fill=255, width=s(3))
        c.paint(im, (160, 10, 20))
    im, d = c.mask()
    for x in range(112, 148, 8):
        d.rectangle([s(x), s(214), s(x + 3), s(250)], fill=255)
    c.paint(im, (240, 190, 40))
    return c.image()


def firework(phase: float = 1.0) -> Image.Image:
    c = Canvas()
    colors = [(255, 80, 80), (255, 210, 60), (90, 220, 255), (200, 120, 255)]
    for i in range(16):
        a = 2 * math.pi * i / 16
        r0, r1 = 20 * phase, 112 * phase
        im, d = c.mask()
        d.line([(s(128 + r0 * math.cos(a)), s(128 + r0 * math.sin(a))), (s(128 + r1 * math.cos(a)), s(128 + r1 * math.sin(a)))], fill=255, width=s(6))
        d.ellipse([s(128 + r1 * math.cos(a) - 7), s(128 + r1 * math.sin(a) - 7), s(128 + r1 * math.cos(a) + 7), s(128 + r1 * math.sin(a) + 7)], fill=255)
        c.paint(im, colors[i % 4], max(0.0, min(1.0, 2.0 - phase)))
    return c.image()


def confetti(frame: int, frames: int) -> Image.Image:
    rng = np.random.default_rng(7)
    c = Canvas()
    colors = [(255, 70, 110), (255, 200, 40), (60, 200, 120), (70, 150, 255), (190, 90, 255)]
    for i in range(26):
        x = rng.uniform(20, 236)
        y0 = rng.uniform(-40, 256)
        speed = rng.uniform(0.6, 1.2)
        y = (y0 + 256 * speed * frame / frames) % 296 - 20
        ang = rng.uniform(0, 180) + 360 * frame / frames * speed
        w, h = rng.uniform(8, 14), rng.uniform(16, 26)
        pts = []
        for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
            a = math.radians(ang)
            pts.append((s(x + dx * math.cos(a) - dy * math.sin(a)), s(y + dx * math.sin(a) + dy * math.cos(a))))
        im, d = c.mask()
        d.polygon(pts, fill=255)
        c.paint(im, colors[i % len(colors)])
    return c.image()


def save_animation(path: Path, frames: list[Image.Image], ms: int) -> None:
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms, loop=0, disposal=1, blend=0, optimize=True)


def write_pack(pack: str, name: str, stickers: dict[str, tuple[Image.Image | list[Image.Image], float, list[float], str]]) -> None:
    folder = HERE / pack
    folder.mkdir(exist_ok=True)
    manifest: dict = {"name": name, "license": LICENSE, "author": AUTHOR, "stickers": {}}
    for sid, (img, width, anchor, desc) in stickers.items():
        path = folder / f"{sid}.png"
        if isinstance(img, list):
            save_animation(path, img, 90)
        else:
            img.save(path, optimize=True)
        entry = {"file": path.name, "width": width, "anchor": anchor}
        if desc:
            entry["description"] = desc
        manifest["stickers"][sid] = entry
    with open(folder / "manifest.yaml", "w", encoding="utf-8") as fh:
        fh.write(f"# Generated by presets/stickers/make_stickers.py; edit that script, not this file.\n")
        yaml.safe_dump(manifest, fh, sort_keys=False, allow_unicode=True)


def main() -> None:
    write_pack(
        "shapes",
        "Shapes",
        {
            "circle": (shape_circle(), 0.2, [0.5, 0.5], "a yellow dot"),
            "star": (shape_star(), 0.22, [0.5, 0.5], "a five-pointed star"),
            "arrow": (shape_arrow(), 0.25, [0.0, 0.5], "points right; anchored at its tail"),
            "speech_bubble": (shape_bubble(), 0.35, [0.2, 1.0], "anchored at the tip of its tail"),
        },
    )
    beat = [heart((235, 30, 70), scale=6.6 * (0.86 + 0.14 * math.sin(math.pi * i / 8) ** 2)) for i in range(8)]
    write_pack(
        "hearts",
        "Hearts",
        {
            "heart_red": (heart((235, 30, 70)), 0.25, [0.5, 0.5], ""),
            "heart_pink": (heart((255, 120, 170)), 0.25, [0.5, 0.5], ""),
            "heart_outline": (heart((255, 255, 255), outline=True), 0.25, [0.5, 0.5], "white outline"),
            "heart_beat": (beat, 0.28, [0.5, 0.5], "animated: beats"),
        },
    )
    twinkle = [sparkle((255, 215, 80), k=0.55 + 0.45 * abs(math.sin(math.pi * i / 8))) for i in range(8)]
    write_pack(
        "sparkles",
        "Sparkles",
        {
            "sparkle_white": (sparkle((235, 245, 255)), 0.15, [0.5, 0.5], ""),
            "sparkle_gold": (sparkle((255, 205, 60)), 0.15, [0.5, 0.5], ""),
            "twinkle": (twinkle, 0.18, [0.5, 0.5], "animated: twinkles"),
        },
    )
    write_pack(
        "festival",
        "Festival",
        {
            "lantern": (lantern(), 0.22, [0.5, 0.0], "hangs from its top"),
            "firework": (firework(), 0.4, [0.5, 0.5], ""),
            "confetti": ([confetti(i, 8) for i in range(8)], 0.5, [0.5, 0.5], "animated: falling confetti"),
        },
    )


if __name__ == "__main__":
    main()
