"""The bundled template library: every template validates, renders from the CLI with
the sample media, has a preview image made by its script, and previews with placeholders."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import av
import pytest

import clipkit as ck
from clipkit.cli.main import main
from clipkit.library import PlaceholderSource, list_templates, placeholder_clip, sample_clips
from clipkit.resources import samples_dir, templates_dir
from clipkit.template import load_template

LIBRARY = [
    "beat_montage",
    "duet",
    "grid_challenge",
    "before_after",
    "slowmo_hero",
    "captioned_story",
    "festival_greeting",
    "travel_recap",
    "product_showcase",
]


def _probe(path: Path) -> tuple[int, int, int, bool, float]:
    with av.open(str(path)) as container:
        v = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        duration = float(container.duration or 0) / 1_000_000
        return v.width, v.height, frames, bool(container.streams.audio), duration


def test_the_library_is_complete_and_every_template_validates() -> None:
    ids = {info.id for info in list_templates()}
    assert set(LIBRARY) <= ids
    for name in LIBRARY:
        template = load_template(templates_dir() / f"{name}.yaml")
        assert template.slots and template.document.get("description"), name


@pytest.mark.parametrize("name", LIBRARY)
def test_every_template_renders_from_the_cli_with_the_samples(tmp_path: Path, name: str, capsys) -> None:
    path = templates_dir() / f"{name}.yaml"
    template = load_template(path)
    clips = sample_clips(template)
    out = tmp_path / f"{name}.mp4"
    argv = ["render", str(path), "-o", str(out), "--quiet", "--music", str(samples_dir() / "song.m4a")]
    argv += [arg for slot, file in clips.items() for arg in ("--clip", f"{slot}={file}")]
    argv += ["--set", "canvas.width=144", "--set", "canvas.height=256", "--profile", "preview"]
    assert main(argv) == 0, capsys.readouterr().err
    width, height, frames, has_audio, duration = _probe(out)
    edit = load_template(path, overrides={"canvas.width": 144, "canvas.height": 256}).build(clips, music=str(samples_dir() / "song.m4a"))
    assert (width, height) == (72, 128)
    assert frames == int(round(edit.duration * 30)) or abs(frames - edit.duration * 30) <= 1
    assert has_audio and duration == pytest.approx(frames / 30, abs=0.1)


@pytest.mark.parametrize("name", LIBRARY)
def test_every_template_has_a_preview_image(name: str) -> None:
    png = templates_dir() / f"{name}.png"
    assert png.is_file() and png.stat().st_size < 400_000
    with av.open(str(png)) as container:
        frame = next(container.decode(video=0))
    assert frame.height == 320 and frame.width > 3 * 160  # a strip of four vertical frames


def test_the_preview_script_regenerates_an_image(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_previews", templates_dir() / "make_previews.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    copy = tmp_path / "before_after.yaml"
    shutil.copy(templates_dir() / "before_after.yaml", copy)
    out = module.make_preview(copy, width=72, height=128)
    assert out == tmp_path / "before_after.png" and out.stat().st_size > 1000


def test_templates_that_need_music_say_so(tmp_path: Path, capsys) -> None:
    path = templates_dir() / "beat_montage.yaml"
    clips = sample_clips(load_template(path))
    argv = ["render", str(path), "-o", str(tmp_path / "x.mp4"), "--quiet"]
    argv += [arg for slot, file in clips.items() for arg in ("--clip", f"{slot}={file}")]
    assert main(argv) == 2
    assert "needs music" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()


def test_templates_list_shows_every_template(capsys) -> None:
    assert main(["templates", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_id = {d["id"]: d for d in data}
    assert set(LIBRARY) <= set(by_id)
    assert by_id["beat_montage"]["needs_music"] and not by_id["duet"]["needs_music"]
    assert by_id["festival_greeting"]["slots"] == ["main", "extra?"]
    assert all(by_id[name]["preview"] for name in LIBRARY)
    assert main(["templates", "list"]) == 0
    assert "grid_challenge" in capsys.readouterr().out


def test_template_preview_uses_placeholders_when_no_clips_are_given(tmp_path: Path, capsys) -> None:
    out, image = tmp_path / "p.mp4", tmp_path / "p.png"
    assert main(["template", "preview", "travel_recap", "-o", str(out), "--width", "72", "--image", str(image), "--set", "place=Porto"]) == 0
    assert "wrote" in capsys.readouterr().out
    width, height, frames, has_audio, _ = _probe(out)
    assert (width, height) == (72, 128) and frames > 30 and has_audio
    assert image.is_file()
    assert main(["template", "preview", "no_such_template", "-o", str(out)]) == 2
    assert "bundled template" in capsys.readouterr().err


def test_a_bundled_template_is_named_by_its_id(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    # `clipkit render duet ...`: an installed clipkit's templates are in site-packages, so
    # the id is how a user reaches them (as `clipkit templates list` shows them)
    clips = sample_clips(load_template(templates_dir() / "duet.yaml"))
    out = tmp_path / "duet.mp4"
    argv = ["render", "duet", "-o", str(out), "--quiet", "--set", "canvas.width=144", "--set", "canvas.height=256", "--profile", "preview"]
    argv += [arg for slot, file in clips.items() for arg in ("--clip", f"{slot}={file}")]
    assert main(argv) == 0, capsys.readouterr().err
    assert _probe(out)[:2] == (72, 128)
    assert main(["template", "validate", "grid_challenge"]) == 0
    assert "grid_challenge: ok" in capsys.readouterr().out
    assert load_template("duet").path == templates_dir() / "duet.yaml"
    # a misspelt id: one line, the closest ids, nothing written
    missing = tmp_path / "no.mp4"
    assert main(["render", "dute", "-o", str(missing), "--clip", f"me={next(iter(clips.values()))}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'dute'" in err and "did you mean 'duet'?" in err and "beat_montage" in err
    assert not missing.exists()
    assert main(["render", "duet", "-o", str(missing), "--clip", f"partnr={next(iter(clips.values()))}"]) == 2
    assert "no slot named 'partnr'; did you mean 'partner'? (slots: me, partner)" in capsys.readouterr().err
    # a file of that name in the working folder wins; a name with an ending is always a file
    monkeypatch.chdir(tmp_path)
    document = load_template(templates_dir() / "slowmo_hero.yaml").document
    (tmp_path / "duet").write_text(json.dumps({**document, "name": "My own duet"}), encoding="utf-8")
    assert load_template("duet").name == "My own duet"
    assert main(["template", "validate", "duet.yaml"]) == 2
    assert "duet.yaml: file not found" in capsys.readouterr().err


def test_placeholders_and_samples_respect_slot_constraints() -> None:
    landscape = placeholder_clip({"id": "wide", "orientation": "landscape", "min_duration": 40})
    assert isinstance(landscape.source, PlaceholderSource)
    assert landscape.source.display_size == (960, 540) and landscape.duration >= 40
    assert placeholder_clip({"id": "p"}).source.display_size == (540, 960)
    doc = {
        "version": 1,
        "slots": [{"id": "a", "orientation": "landscape"}, {"id": "b", "orientation": "portrait"}, {"id": "c", "optional": True}],
        "shots": [{"slot": "a"}, {"slot": "b"}],
    }
    template = load_template(doc)
    picked = sample_clips(template)
    assert Path(picked["a"]).name == "landscape.mp4" and Path(picked["b"]).name == "portrait.mp4" and "c" in picked
    assert "c" not in sample_clips(template, include_optional=False)
    frames = list(ck.sequence([placeholder_clip({"id": "x"})], canvas=ck.Canvas(54, 96, 30)).frames(stop=2))
    assert frames[0].size == (54, 96) and not (frames[0].y == frames[1].y).all()  # it moves
