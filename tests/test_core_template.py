"""Template files: validation messages with field paths, safe asset paths, slots,
``--set`` overrides, JSON and YAML, the exported JSON Schema, and building an edit."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import clipkit as ck
from clipkit.template import TemplateContext, apply_overrides, load_template, parse_set_options, template_schema
from mediagen import decode_output, read_index

BASE: dict[str, Any] = {
    "version": 1,
    "name": "Test",
    "canvas": {"width": 64, "height": 64, "fps": 30, "background": "#101018"},
    "slots": [{"id": "intro", "min_duration": 1}, {"id": "outro", "optional": True}],
    "vars": {"title": "Hello"},
    "shots": [
        {"slot": "intro", "start": 0.5, "duration": 1.0},
        {"color": "red", "duration": 0.5},
        {"slot": "outro", "duration": 0.5, "transition": {"type": "crossfade", "duration": 0.2}},
    ],
    "output": {"profile": "tiktok", "preset": "ultrafast"},
}


def doc(**changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(BASE)
    d.update(changes)
    return d


def error_of(document: Any, **kwargs: Any) -> ck.TemplateError:
    with pytest.raises(ck.TemplateError) as info:
        load_template(document, **kwargs)
    return info.value


@pytest.fixture()
def tdir(tmp_path: Path, portrait: str, landscape: str, song: str) -> Path:
    """A template folder with its own assets."""
    folder = tmp_path / "tpl"
    (folder / "assets").mkdir(parents=True)
    shutil.copy(portrait, folder / "assets" / "clip.mp4")
    shutil.copy(landscape, folder / "assets" / "wide.mp4")
    shutil.copy(song, folder / "assets" / "song.m4a")
    shutil.copy(portrait, tmp_path / "outside.mp4")
    return folder


def write(folder: Path, name: str, document: Any) -> Path:
    path = folder / name
    if name.endswith(".json"):
        path.write_text(json.dumps(document))
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


# -- validation messages ------------------------------------------------------------------------
def test_valid_template_loads() -> None:
    t = load_template(doc())
    assert t.name == "Test"
    assert [s["id"] for s in t.slots] == ["intro", "outro"]
    assert t.canvas() == ck.Canvas(64, 64, 30, background="#101018")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (lambda d: d["shots"][1].update(start=-1), "shots[1].start", "-1 is below 0"),
        (lambda d: d["shots"][0].update(duration=0), "shots[0].duration", "0 must be above 0"),
        (lambda d: d["canvas"].update(width="wide"), "canvas.width", "'wide' is not an integer"),
        (lambda d: d["canvas"].update(width=161), "canvas.width", "161 is not a multiple of 2"),
        (lambda d: d["canvas"].update(height=99999), "canvas.height", "99999 is above the maximum 4096"),
        (lambda d: d.update(version=2), "version", "2 is not supported (expected 1)"),
        (lambda d: d.update(shots=[]), "shots", "needs at least 1 item"),
        (lambda d: d.pop("shots"), "shots", "is required but missing"),
        (lambda d: d["shots"][1].update(volume=9), "shots[1].volume", "9 is above the maximum 4"),
        (lambda d: d["shots"][1].update(mute="yes"), "shots[1].mute", "'yes' is not a boolean"),
        (lambda d: d["slots"][0].update(orientation="diagonal"), "slots[0].orientation", "'diagonal' is not one of: any, portrait, landscape, square"),
        (lambda d: d["output"].update(profile="tiktokk"), "output.profile", "'tiktokk' is not one of: tiktok, reels"),
        (lambda d: d["shots"].append({"duration": 1}), "shots[3]", "has none of slot, video, image, color; give exactly one"),
        (lambda d: d["shots"].append({"color": "red", "slot": "intro", "duration": 1}), "shots[3]", "has more than one of"),
        (lambda d: d["shots"][0].update(slot="nope"), "shots[0].slot", "'nope' is not a declared slot (slots: intro, outro)"),
        (lambda d: d["slots"].append({"id": "intro"}), "slots[2].id", "'intro' is already used by slots[0]"),
        (lambda d: d["shots"][0].update(transition={"type": "crossfade"}), "shots[0].transition", "the first shot has nothing to transition from"),
        (lambda d: d["shots"][1].update(end=1.0), "shots[1]", "has both end and duration"),
        (lambda d: d["shots"][1].update(color="nocolour"), "shots[1].color", "'nocolour' is not a colour"),
        (lambda d: d["canvas"].update(fps="30/0"), "canvas.fps", "'30/0' is not a frame rate"),
        (lambda d: d["canvas"].update(fps="1000"), "canvas.fps", "'1000' is outside 1..240"),
        (lambda d: d["canvas"].update(background="blurple"), "canvas.background", "'blurple' is not a colour"),
    ],
)
def test_field_messages(change: Any, field: str, message: str) -> None:
    d = doc()
    change(d)
    err = error_of(d)
    assert err.field == field
    assert str(err).startswith(f"{field}: ")
    assert message in str(err)
    assert isinstance(err, ValueError)


def test_unknown_field_lists_known_fields() -> None:
    d = doc()
    d["shots"][0]["strat"] = 1
    err = error_of(d)
    assert err.field == "shots[0].strat"
    assert "unknown field; known fields here:" in str(err)
    for known in ("duration", "end", "fit", "slot", "start", "volume"):
        assert known in str(err).split("known fields here:")[1]
    top = error_of(doc(extra_section={}))
    assert top.field == "extra_section" and "shots" in str(top) and "canvas" in str(top)


def test_bad_enum_lists_choices() -> None:
    err = error_of(doc(fit="zoom"))
    assert err.field == "fit"
    assert "'zoom' is not one of: cover, contain, blur, stretch" in str(err)


def test_several_problems_are_counted() -> None:
    d = doc()
    d["shots"][1]["start"] = -1
    d["canvas"]["width"] = "wide"
    err = error_of(d)
    assert "(and 1 more problem)" in str(err)
    assert len(err.errors) == 2  # type: ignore[attr-defined]
    assert {f for f, _ in err.errors} == {"shots[1].start", "canvas.width"}  # type: ignore[attr-defined]


def test_file_name_leads_the_message(tmp_path: Path) -> None:
    d = doc()
    d["shots"][1]["start"] = -1
    path = write(tmp_path, "t.yaml", d)
    err = error_of(path)
    assert str(err) == f"{path}: shots[1].start: -1 is below 0"


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: 1\nshots:\n  - {slot: a, duration: 1\n")
    err = error_of(path)
    assert str(path) in str(err) and "is not valid YAML (line" in str(err)


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 1,, "shots": []}')
    err = error_of(path)
    assert "is not valid JSON (line 1, column 15" in str(err)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    assert "top level must be a mapping, found list" in str(error_of(path))


def test_missing_template_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.yaml")
    assert "nope.yaml: file not found" in str(err)


# -- asset paths --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("../outside.mp4", "is outside the template's folder"),
        ("assets/../../outside.mp4", "is outside the template's folder"),
        ("https://example.com/clip.mp4", "is a URL; templates take local files only"),
        ("file:///etc/passwd", "is a URL"),
        ("/etc/passwd", "is outside the template's folder"),
        ("assets/missing.mp4", "does not exist"),
    ],
)
def test_asset_paths_refused(tdir: Path, value: str, words: str) -> None:
    d = doc(slots=[])
    d["shots"] = [{"video": value, "duration": 1.0}]
    err = error_of(write(tdir, "t.yaml", d))
    assert err.field == "shots[0].video"
    assert repr(value) in str(err) and words in str(err)


def test_symlink_escaping_the_folder_is_refused(tdir: Path) -> None:
    os.symlink(tdir.parent / "outside.mp4", tdir / "assets" / "link.mp4")
    d = doc(slots=[])
    d["shots"] = [{"video": "assets/link.mp4", "duration": 1.0}]
    err = error_of(write(tdir, "t.yaml", d))
    assert "is outside the template's folder" in str(err)


def test_music_path_checked(tdir: Path) -> None:
    err = error_of(write(tdir, "t.yaml", doc(music={"file": "../song.m4a"})))
    assert err.field == "music.file" and "outside" in str(err)


def test_asset_paths_resolve_relative_to_the_template(tdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = doc(slots=[], music={"file": "assets/song.m4a"})
    d["shots"] = [{"video": "assets/clip.mp4", "start": 1.0, "duration": 0.5}]
    path = write(tdir, "t.yaml", d)
    monkeypatch.chdir(tmp_path)  # somewhere else entirely
    edit = load_template(path).build()
    assert Path(edit.clips[0].source.path) == (tdir / "assets" / "clip.mp4").resolve()
    assert [read_index(f.y) for f in edit.frames()] == list(range(30, 45))
    assert len(edit.music) == 1


def test_allowed_roots(tdir: Path) -> None:
    d = doc(slots=[])
    d["shots"] = [{"video": "../outside.mp4", "duration": 0.5}]
    path = write(tdir, "t.yaml", d)
    with pytest.raises(ck.TemplateError):
        load_template(path)
    edit = load_template(path, allowed_roots=(tdir.parent,)).build()
    assert edit.duration == 0.5


# -- slots ------------------------------------------------------------------------------------------
def test_build_with_clips(portrait: str, portrait_b: str, out_dir: Path) -> None:
    t = load_template(doc())
    edit = t.build({"intro": portrait, "outro": portrait_b})
    assert edit.canvas == ck.Canvas(64, 64, 30, background="#101018")
    assert edit.duration == pytest.approx(1.0 + 0.5 + 0.5 - 0.2)
    out = out_dir / "o.mp4"
    edit.render(out, profile=t.profile())
    lumas, _, _ = decode_output(str(out))
    assert len(lumas) == 54
    assert [read_index(y) for y in lumas[:30]] == list(range(15, 45))  # intro from 0.5 s


def test_optional_slot_left_empty(portrait: str) -> None:
    edit = load_template(doc()).build({"intro": portrait})
    assert len(edit.shots) == 2
    assert edit.duration == pytest.approx(1.5)


def test_missing_clip_for_slot(portrait_b: str) -> None:
    with pytest.raises(ck.TemplateError, match=r"slot 'intro' has no clip; pass --clip intro=FILE"):
        load_template(doc()).build({"outro": portrait_b})


def test_unknown_slot_given(portrait: str) -> None:
    with pytest.raises(ck.TemplateError, match=r"no slot named 'middle' \(slots: intro, outro\)"):
        load_template(doc()).build({"intro": portrait, "middle": portrait})


def test_slot_min_duration(portrait: str) -> None:
    d = doc()
    d["slots"][0]["min_duration"] = 5
    with pytest.raises(ck.TemplateError) as info:
        load_template(d).build({"intro": portrait})
    assert "slot 'intro' needs a clip of at least 5 s" in str(info.value)
    assert portrait in str(info.value) and "3.00 s" in str(info.value)


@pytest.mark.parametrize(("orientation", "ok"), [("portrait", True), ("landscape", False), ("square", False), ("any", True)])
def test_slot_orientation(portrait: str, orientation: str, ok: bool) -> None:
    d = doc()
    d["slots"][0]["orientation"] = orientation
    t = load_template(d)
    if ok:
        t.build({"intro": portrait})
    else:
        with pytest.raises(ck.TemplateError, match=f"slot 'intro' takes a {orientation} clip; .* is portrait \\(160x284\\)"):
            t.build({"intro": portrait})


def test_slot_orientation_uses_the_upright_size(rotated: tuple[str, int]) -> None:
    path, _ = rotated  # stored sideways, shown portrait
    d = doc()
    d["slots"][0]["orientation"] = "portrait"
    d["slots"][0]["min_duration"] = 0.5
    d["shots"][0] = {"slot": "intro", "duration": 0.5}
    load_template(d).build({"intro": path})


def test_slot_kind(portrait: str, index_png: str) -> None:
    d = doc()
    d["slots"][0]["kind"] = "image"
    with pytest.raises(ck.TemplateError, match="slot 'intro' takes an image, got video"):
        load_template(d).build({"intro": portrait})
    d["slots"][0].pop("min_duration")
    load_template(d).build({"intro": index_png})


def test_shot_trim_past_the_clip(portrait: str) -> None:
    d = doc()
    d["shots"][0] = {"slot": "intro", "start": 2.5, "duration": 2.0}
    with pytest.raises(ck.TemplateError) as info:
        load_template(d).build({"intro": portrait})
    assert "shots[0]" in str(info.value) and "past the end" in str(info.value)


def test_bad_media_in_a_slot_is_a_media_error(broken: dict[str, str]) -> None:
    with pytest.raises(ck.MediaError) as info:
        load_template(doc()).build({"intro": broken["garbage"]})
    assert broken["garbage"] in str(info.value)


def test_music_required(portrait: str, song: str) -> None:
    t = load_template(doc(music={"required": True}))
    with pytest.raises(ck.TemplateError, match="needs music; pass --music FILE"):
        t.build({"intro": portrait})
    edit = t.build({"intro": portrait}, music=song)
    assert len(edit.music) == 1


# -- --set -----------------------------------------------------------------------------------------
def test_parse_set_options() -> None:
    assert parse_set_options(["a=2", "b=1.5", "c=text", "d=true", "e=", "f=[1, 2]", "g=x=y"]) == {
        "a": 2, "b": 1.5, "c": "text", "d": True, "e": "", "f": "[1, 2]", "g": "x=y",
    }
    with pytest.raises(ck.ParameterError, match="expected KEY=VALUE"):
        parse_set_options(["novalue"])
    with pytest.raises(ck.ParameterError, match="the key is empty"):
        parse_set_options(["=3"])


def test_set_variable() -> None:
    t = load_template(doc(), overrides={"title": "Bonjour"})
    assert t.variables == {"title": "Bonjour"}
    assert BASE["vars"]["title"] == "Hello"  # the document given is not modified
    ctx = TemplateContext(template_path=None, base_dir=Path.cwd(), allowed_roots=(Path.cwd(),), variables=t.variables)
    assert ctx.substitute("{{ title }}, world", "text") == "Bonjour, world"
    with pytest.raises(ck.TemplateError, match=r"text: placeholder \{\{name\}\} has no value; set it with --set name=\.\.\. \(known: title\)"):
        ctx.substitute("{{name}}", "text")


def test_set_dotted_paths(portrait: str) -> None:
    t = load_template(doc(), overrides=parse_set_options(["shots[1].duration=1.5", "canvas.fps=25", "shots[0].start=0", "music.start=1"]))
    assert t.document["shots"][1]["duration"] == 1.5
    assert t.document["music"] == {"start": 1}
    assert t.canvas().fps == 25
    edit = t.build({"intro": portrait})
    assert edit.duration == pytest.approx(2.5)
    assert edit.clips[0].start == 0


def test_set_is_validated_like_the_file() -> None:
    err = error_of(doc(), overrides={"shots[1].start": -1})
    assert err.field == "shots[1].start" and "-1 is below 0" in str(err)
    err = error_of(doc(), overrides={"shots[7].duration": 1})
    assert "shots[7] does not exist" in str(err)
    err = error_of(doc(), overrides={"name.first": "x"})
    assert "name is not a section" in str(err)


def test_apply_overrides_copies() -> None:
    d = doc()
    out = apply_overrides(d, {"canvas.width": 128})
    assert out["canvas"]["width"] == 128 and d["canvas"]["width"] == 64


# -- JSON and YAML -----------------------------------------------------------------------------------
def test_json_and_yaml_are_the_same(tmp_path: Path, portrait: str) -> None:
    y = load_template(write(tmp_path, "t.yaml", doc()))
    j = load_template(write(tmp_path, "t.json", doc()))
    assert y.document == j.document
    a, b = y.build({"intro": portrait}), j.build({"intro": portrait})
    assert a.duration == b.duration and a.canvas == b.canvas


def test_yaml_with_comments_and_anchors(tmp_path: Path, portrait: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "# a comment\n"
        "version: 1\n"
        "canvas: {width: 64, height: 64, fps: 30}\n"
        "slots: [{id: a}]\n"
        "shots:\n"
        "  - &s {slot: a, duration: 0.5}\n"
        "  - *s\n"
    )
    assert load_template(path).build({"a": portrait}).duration == 1.0


# -- JSON Schema ---------------------------------------------------------------------------------------
def test_schema_is_valid_json_schema() -> None:
    schema = template_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    json.loads(json.dumps(schema))  # plain JSON
    assert schema["$schema"].endswith("2020-12/schema")


def test_schema_accepts_the_bundled_demo() -> None:
    from clipkit.resources import templates_dir

    demo = yaml.safe_load((templates_dir() / "demo.yaml").read_text())
    jsonschema.Draft202012Validator(template_schema()).validate(demo)
    assert load_template(templates_dir() / "demo.yaml").slots


def test_schema_describes_fields() -> None:
    shot = template_schema()["properties"]["shots"]["items"]
    for key in ("slot", "start", "duration", "fit", "transition"):
        assert key in shot["properties"]
    assert shot["properties"]["start"]["minimum"] == 0
    assert set(("cover", "contain", "blur", "stretch")) <= set(shot["properties"]["fit"]["enum"])


def test_schema_errors_come_in_document_order() -> None:
    from clipkit.template.schema import schema_errors

    doc = {
        "version": 1,
        "output": {"profile": "nope"},  # written first, reported first
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "slots": [{"id": "a"}],
        "shots": [{"slot": "a", "start": -1}] + [{"slot": "a"}] * 9 + [{"slot": "a", "start": -2}],
    }
    paths = [path for path, _ in schema_errors(doc)]
    assert paths == ["output.profile", "shots[0].start", "shots[10].start"]


def test_a_wrong_container_type_is_named_briefly_with_the_fields_expected() -> None:
    from clipkit.template.schema import schema_errors

    doc = {
        "version": 1,
        "canvas": {"width": 1080, "height": 1920, "fps": 30},
        "slots": [{"id": "a"}],
        "shots": [{"slot": "a"}],
        "overlays": [{"text": "hi"}] * 3,
    }
    ((path, message),) = schema_errors(doc)
    assert path == "overlays"
    assert message == "is a list of 3 item(s), expected an object with the fields captions, stickers, text"
