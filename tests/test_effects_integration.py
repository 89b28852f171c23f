"""Effects inside the real pipeline, templates and the CLI; the authoring guide's example."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import clipkit as ck
import clipkit.effects as fx
from clipkit.cli.main import main
from clipkit.template import load_template, template_schema
from clipkit.testing import check_effect

ROOT = Path(__file__).resolve().parent.parent


def _frames(edit: ck.Edit) -> list[ck.Frame]:
    return list(edit.frames(profile="tiktok"))


def test_clip_effects_and_looks_change_rendered_frames(portrait: str) -> None:
    clip = ck.open(portrait).trim(0, 0.3)
    canvas = ck.Canvas(160, 284, 30)
    plain = _frames(ck.sequence([clip], canvas=canvas))
    contrast = _frames(ck.sequence([clip.with_effect("contrast", amount=1.6)], canvas=canvas))
    noir = _frames(ck.sequence([clip], canvas=canvas).with_look("noir"))
    assert len(plain) == len(contrast) == len(noir) == 9
    assert contrast[0].y.std() > plain[0].y.std() * 1.3
    assert np.abs(noir[0].u.astype(int) - 128).max() <= 3  # black and white
    assert np.abs(plain[0].u.astype(int) - 128).max() > 10
    faded = _frames(ck.sequence([clip.with_look("faded", strength=0.0)], canvas=canvas))
    assert all(np.array_equal(a.y, b.y) for a, b in zip(plain, faded))


def test_a_looks_colour_effects_run_before_an_upscale_and_match_running_them_after(landscape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from clipkit.effects import kernels
    from clipkit.effects.base import BoundChain

    canvas = ck.Canvas(360, 640, 30)  # a 284x160 clip: a 90x160 crop scaled up 4x
    plain = ck.sequence([ck.open(landscape).trim(0, 0.5)], canvas=canvas, fit="center")
    graded = plain.with_look("teal_orange")
    cube_inputs: list[tuple[int, int]] = []
    real_apply = kernels.apply_cube

    def recording(y, u, v, cube, strength, luma_strength=-1.0):  # noqa: ANN001, ANN202
        cube_inputs.append(y.shape)
        return real_apply(y, u, v, cube, strength, luma_strength)

    monkeypatch.setattr(kernels, "apply_cube", recording)
    hoisted = list(graded.frames())
    assert cube_inputs and set(cube_inputs) == {(160, 90)}  # the LUT ran on the source's pixels
    # the same look run after the fit, on every output pixel, as the chain is written
    look = BoundChain([b for node in graded.effects for b in node.bind(_ctx_of(canvas)).bound])
    after = [look(frame, _time(i)) for i, frame in enumerate(plain.frames())]
    assert len(hoisted) == len(after) == 15
    for a, b in zip(hoisted, after):
        diff = np.abs(a.y.astype(int) - b.y.astype(int))
        # the same picture but where interpolation mixes colours across an edge: these
        # generated shapes have hard edges scaled up 4x (real footage: p99 1-3 levels)
        assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 8
        assert np.abs(a.u.astype(int) - b.u.astype(int)).mean() < 1.0
        assert np.abs(a.v.astype(int) - b.v.astype(int)).mean() < 1.0


def test_a_blur_runs_on_the_source_before_an_upscale_at_its_scaled_size(landscape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A size-only filter (``before_scaling``) leads a chain: on a source scaled up 4x it
    runs on the source's pixels with its sigma divided by 4, and gives within rounding
    what blurring the scaled picture gives; after a positional effect, or when the fit
    scales down, it stays at the output size. A sharpen never runs before the scaling."""
    from clipkit.effects.base import BoundChain

    seen: list[tuple[str, tuple[int, int], float]] = []
    for effect_id in ("blur", "sharpen"):
        kind = type(fx.get(effect_id))
        real_apply = kind.apply

        def recording(self, frame, p, state, time, _real=real_apply, _id=effect_id):  # noqa: ANN001, ANN202
            seen.append((_id, frame.y.shape, p["sigma"]))
            return _real(self, frame, p, state, time)

        monkeypatch.setattr(kind, "apply", recording)
    canvas = ck.Canvas(360, 640, 30)  # a 284x160 clip: a 90x160 crop scaled up 4x
    plain = ck.sequence([ck.open(landscape).trim(0, 0.5)], canvas=canvas, fit="center")
    blurred = plain.with_effect("blur", sigma=24.0)
    hoisted = list(blurred.frames())
    px = 360 / 1080 * 24.0  # the sigma in pixels of the 360x640 output (px units follow its short side)
    assert {(i, shape) for i, shape, _ in seen} == {("blur", (160, 90))}
    assert all(sigma == pytest.approx(px / 4) for _, _, sigma in seen)
    seen.clear()
    chain = BoundChain([node.bind(_ctx_of(canvas)) for node in blurred.effects])
    after = [chain(frame, _time(i)) for i, frame in enumerate(plain.frames())]
    assert {shape for _, shape, _ in seen} == {(640, 360)} and all(sigma == pytest.approx(px) for _, _, sigma in seen)
    assert len(hoisted) == len(after) == 15
    for a, b in zip(hoisted, after):
        for plane in ("y", "u", "v"):
            assert np.abs(getattr(a, plane).astype(int) - getattr(b, plane).astype(int)).mean() < 1.0
    # behind a positional effect the order matters: the blur stays at the output size
    seen.clear()
    list(plain.with_effect("vignette", strength=0.5).with_effect("blur", sigma=24.0).frames())
    assert {(i, shape) for i, shape, _ in seen} == {("blur", (640, 360))}
    # scaling down, the source has more pixels: it runs on the fitted picture
    seen.clear()
    small = ck.sequence([ck.open(landscape).trim(0, 0.2)], canvas=ck.Canvas(64, 112, 30), fit="center")
    list(small.with_effect("blur", sigma=24.0).frames())
    assert {(i, shape) for i, shape, _ in seen} == {("blur", (112, 64))} and all(sigma == pytest.approx(64 / 1080 * 24.0) for _, _, sigma in seen)
    # a sharpen before the upscale would sharpen the source's pixels, not the picture's
    seen.clear()
    list(plain.with_effect("sharpen", amount=0.8, sigma=2.0).frames())
    assert {(i, shape) for i, shape, _ in seen} == {("sharpen", (640, 360))}


def test_per_pixel_colour_effects_run_on_the_source_before_an_upscale(landscape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Temperature and saturation (per-pixel maps, ``before_scaling``) lead the ``cool``
    look: with the contrast table between them, all three run on the source's pixels."""
    seen: dict[str, set[tuple[int, int]]] = {}
    for effect_id in ("temperature", "saturation"):
        kind = type(fx.get(effect_id))
        real_apply = kind.apply

        def recording(self, frame, p, state, time, _real=real_apply, _id=effect_id):  # noqa: ANN001, ANN202
            seen.setdefault(_id, set()).add(frame.y.shape)
            return _real(self, frame, p, state, time)

        monkeypatch.setattr(kind, "apply", recording)
    canvas = ck.Canvas(360, 640, 30)  # a 284x160 clip: a 90x160 crop scaled up 4x
    list(ck.sequence([ck.open(landscape).trim(0, 0.2)], canvas=canvas, fit="center").with_look("cool").frames())
    assert seen == {"temperature": {(160, 90)}, "saturation": {(160, 90)}}


def _ctx_of(canvas: ck.Canvas) -> object:
    from clipkit.nodes import RenderContext

    return RenderContext(width=canvas.width, height=canvas.height, fps=canvas.fps, scale=canvas.height / 1920, total_frames=15, seed=0)


def _time(index: int) -> object:
    from clipkit.nodes import FrameTime

    return FrameTime(index=index, t=index / 30, local_index=index, local_t=index / 30, duration=0.5)


def test_keyframes_follow_clip_time_in_a_sequence(portrait: str, portrait_b: str) -> None:
    canvas = ck.Canvas(160, 284, 30)
    fade = {"keyframes": [[0.0, 1.0], [0.2, 0.0]]}
    a = ck.open(portrait).trim(0, 0.3)
    b = ck.open(portrait_b).trim(0, 0.3).with_effect("flash", strength=fade, color="white")
    out = _frames(ck.sequence([a, b], canvas=canvas))
    assert out[9].y.min() >= 230  # the second clip's own t = 0: fully white
    assert out[9 + 7].y.min() < 200  # 0.23 s into it: back to the picture


def test_beat_envelope_from_the_music_drives_a_parameter(portrait: str, song: str) -> None:
    canvas = ck.Canvas(160, 284, 30)
    flash = {"envelope": "beats", "from": 0.0, "to": 1.0, "attack": 0.0, "decay": 0.05}
    clip = ck.open(portrait).trim(0, 2.0).with_effect("flash", strength=flash, color="white")
    edit = ck.sequence([clip], canvas=canvas).with_music(ck.audio(song))
    analysis = edit_analysis(edit)
    out = _frames(edit)
    brightness = np.array([f.y.mean() for f in out])
    beats = [b for b in analysis.beats if b < 1.9]
    assert beats, "the click track has beats"
    for b in beats:
        on = int(round(b * 30))
        assert brightness[on] > brightness[min(len(out) - 1, on + 8)] + 20


def edit_analysis(edit: ck.Edit):  # noqa: ANN201
    from clipkit.render.plan import music_analysis as analysis_for_edit

    return analysis_for_edit(edit)


def test_template_effects_and_look_keys(tmp_path: Path, portrait: str) -> None:
    schema = template_schema()
    shot = schema["properties"]["shots"]["items"]["properties"]
    assert "effects" in shot and "look" in shot and "look" in schema["properties"]
    contrast_branch = [b for b in shot["effects"]["items"]["allOf"] if b["if"]["anyOf"][0]["properties"]["id"]["const"] == "contrast"][0]
    assert contrast_branch["then"]["properties"]["amount"]["then"] == {"minimum": 0.0, "maximum": 2.0}
    lut = tmp_path / "mine.cube"
    fx.write_cube(lut, fx.lut.identity_table(17) * 0.5)
    doc = {
        "version": 1,
        "canvas": {"width": 160, "height": 284, "fps": 30},
        "slots": [{"id": "a"}],
        "shots": [
            {"slot": "a", "start": 0, "duration": 0.3,
             "effects": [{"id": "contrast", "amount": 1.2}, {"id": "lut", "file": "mine.cube"}],
             "look": {"name": "warm", "strength": 0.5}},
        ],
        "look": "vivid",
    }
    path = tmp_path / "t.yaml"
    import yaml

    path.write_text(yaml.safe_dump(doc))
    edit = load_template(path).build({"a": portrait})
    nodes = edit.clips[0].effects
    assert [getattr(n, "id", getattr(n, "name", None)) for n in nodes] == ["contrast", "lut", "warm"]
    assert len(_frames(edit)) == 9
    bad = dict(doc, shots=[dict(doc["shots"][0], effects=[{"id": "contrast", "amount": 3.5}])])
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.effects\[0\]\.amount: 3\.5 is above the maximum 2"):
        load_template(bad)
    bad = dict(doc, shots=[dict(doc["shots"][0], effects=[{"id": "lut", "file": "../outside.cube"}])])
    with pytest.raises(ck.TemplateError, match=r"shots\[0\]\.effects\[0\]\.file: .* outside the template's folder"):
        load_template(bad, allowed_roots=()).build({"a": portrait})
    path.write_text(yaml.safe_dump(dict(doc, look="vintge")))
    with pytest.raises(ck.TemplateError, match=r"t\.yaml: look: .*'vintge' is not a look; did you mean vintage"):
        load_template(path).build({"a": portrait})


def test_cli_list_show_test_docs_and_warmup(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["effects", "list"]) == 0
    out = capsys.readouterr().out
    assert "contrast" in out and "looks:" in out and "vintage" in out and "failed to load" not in out
    assert main(["effects", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {e["id"] for e in data["effects"]} == set(fx.effect_ids()) and data["failed"] == []
    assert main(["effects", "show", "vignette"]) == 0
    out = capsys.readouterr().out
    assert "strength" in out and "0 .. 1" in out and "neutral 0" in out and "{id: vignette" in out
    assert main(["effects", "show", "noir"]) == 0
    assert "black_white" in capsys.readouterr().out
    assert main(["effects", "show", "nope"]) == 2
    assert "not registered" in capsys.readouterr().err
    assert main(["effects", "test", "contrast"]) == 0
    assert "contrast: ok (9/9 checks)" in capsys.readouterr().out
    assert main(["effects", "docs", "-o", str(tmp_path / "fx.md")]) == 0
    assert (tmp_path / "fx.md").read_text() == (ROOT / "docs" / "effects.md").read_text()
    assert main(["warmup", "contrast", "saturation"]) == 0
    assert "warmed 2 effects" in capsys.readouterr().out


def test_cli_preview_writes_a_contact_sheet_gif_and_mp4(tmp_path: Path, portrait: str, capsys: pytest.CaptureFixture[str]) -> None:
    png, gif, mp4 = tmp_path / "p.png", tmp_path / "p.gif", tmp_path / "p.mp4"
    code = main(["preview", "contrast", "--set", "amount=1.5", "--input", portrait, "--duration", "0.3", "--frames", "3",
                 "-o", str(png), "--gif", str(gif), "--mp4", str(mp4)])
    assert code == 0, capsys.readouterr().err
    sheet = np.asarray(Image.open(png))
    assert sheet.shape[1] == 3 * 270 and sheet.shape[0] > 2 * 400
    half = sheet.shape[0] // 2
    luma = sheet.astype(float) @ np.array([0.2126, 0.7152, 0.0722])
    before, after = luma[22:half], luma[half + 22 :]  # below each row's label bar
    # the after row has more contrast: the same pixels, the dark ones darker and the
    # bright ones brighter (the clip is dark: contrast 1.5 takes most of it to black)
    dark, bright = (before > 30) & (before < 90), before > 160
    assert dark.mean() > 0.2 and bright.sum() > 1000
    assert after[dark].mean() < before[dark].mean() - 15
    assert after[bright].mean() > before[bright].mean() + 8
    assert Image.open(gif).n_frames == 9
    assert ck.probe(str(mp4)).video is not None
    assert main(["preview", "warm", "--intensity", "0.5", "--input", portrait, "--duration", "0.2", "--frames", "2", "-o", str(tmp_path / "w.png")]) == 0
    assert main(["preview", "nothing_like_this", "-o", str(tmp_path / "x.png")]) == 2
    assert main(["preview", "contrast", "--set", "amount=9", "-o", str(tmp_path / "x.png")]) == 2
    assert "contrast.amount: 9 is above the maximum 2" in capsys.readouterr().err


def test_the_authoring_guide_example_works_as_a_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "authoring.md").read_text()
    code = re.search(r"Save this as `~/clipkit-fx/posterize_luma.py`:\n\n```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "posterize_luma.py").write_text(code)
    monkeypatch.setenv("CLIPKIT_EFFECTS_PATH", str(tmp_path))
    try:
        fx.reload()
        assert fx.plugin_errors() == []
        results = check_effect("posterize_luma")
        assert all(v is None for v in results.values()), results
    finally:
        monkeypatch.delenv("CLIPKIT_EFFECTS_PATH")
        fx.reload()


def test_sharpen_in_bands_of_rows_gives_the_whole_planes_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import cv2

    module = sys.modules[type(fx.registry.get("sharpen")).__module__]
    rng = np.random.default_rng(8)
    y = cv2.resize(rng.integers(0, 256, (96, 54), dtype=np.uint8), (108, 192), interpolation=cv2.INTER_CUBIC)
    for sigma, amount, threshold in ((1.5, 0.8, 2.0), (3.0, 1.4, 0.5), (0.5, 0.3, 0.0)):
        taps = module.gaussian_taps(sigma)
        whole = module._kernel(y, module.gaussian_blur(y, taps, dtype=np.uint8), amount, threshold)
        for rows in (1, 7, 64):  # bands thinner than the blur's radius, and a last short band
            monkeypatch.setattr(module, "BAND_PIXELS", rows * y.shape[1])
            assert np.array_equal(module._banded(y, taps, amount, threshold), whole), (sigma, rows)
