"""The ``clipkit`` command: exit codes, one-line errors, probe, render, demo, templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import jsonschema
import pytest
import yaml

import clipkit as ck
from clipkit.cli.main import main
from mediagen import decode_output, read_index

TEMPLATE = {
    "version": 1,
    "canvas": {"width": 64, "height": 64, "fps": 30},
    "slots": [{"id": "intro"}, {"id": "outro", "orientation": "portrait"}],
    "vars": {"title": "Hi"},
    "shots": [
        {"slot": "intro", "start": 1.0, "duration": 0.5},
        {"color": "blue", "duration": 0.5},
        {"slot": "outro", "duration": 0.5},
    ],
    "output": {"preset": "ultrafast"},
}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture()
def template_file(tmp_path: Path) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(TEMPLATE, sort_keys=False))
    return path


# -- basics -----------------------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"clipkit {ck.__version__}"


def test_no_command_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "usage: clipkit" in err and "render" in err and "probe" in err


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explode")
    assert code == 2
    assert "invalid choice: 'explode'" in one_error_line(err)


def test_missing_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "render")
    assert code == 2
    assert "required: template, -o/--output" in one_error_line(err)


# -- probe ---------------------------------------------------------------------------------------
def test_probe_text(capsys: pytest.CaptureFixture[str], rotated: tuple[str, int]) -> None:
    path, rotation = rotated
    code, out, err = run(capsys, "probe", path)
    assert code == 0 and err == ""
    assert "video: h264" in out
    assert f"shown as 160x284, rotation {rotation}°" in out
    assert "30.000 fps CFR" in out and "20 frames" in out
    assert "audio: aac 48000 Hz, 2 ch (stereo)" in out


def test_probe_text_vfr_surround_no_audio(capsys: pytest.CaptureFixture[str], vfr: str, surround: str, no_audio: str, anamorphic: str) -> None:
    assert "VFR" in run(capsys, "probe", vfr)[1]
    assert "6 ch (5.1)" in run(capsys, "probe", surround)[1]
    assert "audio: none" in run(capsys, "probe", no_audio)[1]
    assert "pixel aspect 2" in run(capsys, "probe", anamorphic)[1]


def test_probe_text_still_has_no_rate_or_length(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from PIL import Image

    Image.new("RGB", (64, 48), (200, 0, 0)).save(tmp_path / "still.png")
    code, out, _ = run(capsys, "probe", str(tmp_path / "still.png"))
    assert code == 0 and "still image" in out and "image: png 64x48" in out
    assert "fps" not in out and "frames" not in out


def test_probe_late_start(capsys: pytest.CaptureFixture[str], late_video: str) -> None:
    out = run(capsys, "probe", late_video)[1]
    assert "starting at 0.500 s" in out


def test_probe_json(capsys: pytest.CaptureFixture[str], rotated: tuple[str, int], song: str) -> None:
    path, rotation = rotated
    code, out, _ = run(capsys, "probe", "--json", path)
    assert code == 0
    data = json.loads(out)
    assert data["video"]["rotation"] == rotation
    assert (data["video"]["display_width"], data["video"]["display_height"]) == (160, 284)
    assert data["video"]["fps"] == "30" and data["video"]["vfr"] is False
    assert data["audio"]["layout"] == "stereo"
    audio_only = json.loads(run(capsys, "probe", "--json", song)[1])
    assert audio_only["video"] is None and audio_only["audio"]["sample_rate"] == 44100


def test_probe_count_frames(capsys: pytest.CaptureFixture[str], vfr: str) -> None:
    data = json.loads(run(capsys, "probe", "--json", "--count-frames", vfr)[1])
    assert data["video"]["frames"] == 40


@pytest.mark.parametrize("kind", ["empty", "garbage", "truncated_data"])
def test_probe_bad_file(capsys: pytest.CaptureFixture[str], broken: dict[str, str], kind: str) -> None:
    code, out, err = run(capsys, "probe", broken[kind])
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert line.startswith("clipkit: error: ") and broken[kind] in line


def test_probe_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "probe", str(tmp_path / "nope.mp4"))
    assert code == 2
    assert one_error_line(err) == f"clipkit: error: {tmp_path / 'nope.mp4'}: file not found"


def test_debug_raises_with_traceback(tmp_path: Path) -> None:
    with pytest.raises(ck.MediaError, match="file not found"):
        main(["--debug", "probe", str(tmp_path / "nope.mp4")])


# -- render -----------------------------------------------------------------------------------------
def test_render(capsys: pytest.CaptureFixture[str], template_file: Path, portrait: str, portrait_b: str, song: str, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, err = run(
        capsys, "render", str(template_file), "--clip", f"intro={portrait}", "--clip", f"outro={portrait_b}",
        "--music", song, "--set", "shots[1].duration=1.0", "-o", str(out),
    )
    assert code == 0, err
    assert "Traceback" not in err
    assert stdout.startswith(f"wrote {out}: 64x64, 2.00 s, 60 frames")
    lumas, audio, _ = decode_output(str(out))
    assert len(lumas) == 60
    assert [read_index(y) for y in lumas[:15]] == list(range(30, 45))
    assert float(abs(audio).max()) > 0.1  # the song's clicks
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4", "t.yaml"]


def test_render_profile_option(capsys: pytest.CaptureFixture[str], template_file: Path, portrait: str, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    code, stdout, _ = run(capsys, "render", str(template_file), "--clip", f"intro={portrait}", "--clip", f"outro={portrait}", "--profile", "preview", "-o", str(out), "--quiet")
    assert code == 0
    with av.open(str(out)) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (32, 32)  # half of 64x64


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--clip", "intro={portrait}"], "slot 'outro' has no clip; pass --clip outro=FILE"),
        (["--clip", "intro={portrait}", "--clip", "outro={portrait}", "--clip", "extra={portrait}"], "no slot named 'extra'"),
        (["--clip", "intro", "--clip", "outro={portrait}"], "--clip 'intro': expected SLOT=FILE"),
        (["--clip", "intro={portrait}", "--clip", "intro={portrait}"], "slot given twice"),
        (["--clip", "intro={portrait}", "--clip", "outro={landscape}"], "slot 'outro' takes a portrait clip"),
        (["--clip", "intro={portrait}", "--clip", "outro={portrait}", "--set", "shots[0].start=-1"], "shots[0].start: -1 is below 0"),
        (["--clip", "intro={portrait}", "--clip", "outro={portrait}", "--set", "bogus"], "--set 'bogus': expected KEY=VALUE"),
        (["--clip", "intro={missing}", "--clip", "outro={portrait}"], "file not found"),
        (["--clip", "intro={portrait}", "--clip", "outro={portrait}", "--set", "shots[0].start=2.9"], "past the end"),
    ],
)
def test_render_bad_input(
    capsys: pytest.CaptureFixture[str], template_file: Path, portrait: str, landscape: str, tmp_path: Path, args: list[str], words: str
) -> None:
    out = tmp_path / "out.mp4"
    filled = [a.format(portrait=portrait, landscape=landscape, missing=tmp_path / "missing.mp4") for a in args]
    code, stdout, err = run(capsys, "render", str(template_file), *filled, "-o", str(out))
    assert code == 2
    line = one_error_line(err)
    assert line.startswith("clipkit: error: ") and words in line
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.yaml"]


def test_render_bad_template(capsys: pytest.CaptureFixture[str], tmp_path: Path, portrait: str) -> None:
    bad = dict(TEMPLATE, shots=[{"slot": "intro", "strat": 1}])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    code, _, err = run(capsys, "render", str(path), "--clip", f"intro={portrait}", "-o", str(tmp_path / "o.mp4"))
    assert code == 2
    line = one_error_line(err)
    assert f"{path}: shots[0].strat: unknown field; known fields here:" in line


def test_render_bad_output(capsys: pytest.CaptureFixture[str], template_file: Path, portrait: str, tmp_path: Path) -> None:
    code, _, err = run(capsys, "render", str(template_file), "--clip", f"intro={portrait}", "--clip", f"outro={portrait}", "-o", str(tmp_path / "o.avi"))
    assert code == 2
    assert "must end in .mp4" in one_error_line(err)


# -- template -----------------------------------------------------------------------------------------
def test_template_schema(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "template", "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(TEMPLATE)
    target = tmp_path / "schema.json"
    assert run(capsys, "template", "schema", "-o", str(target))[0] == 0
    assert json.loads(target.read_text()) == schema


def test_template_schema_to_a_bad_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "folder" / "schema.json"
    code, out, err = run(capsys, "template", "schema", "-o", str(target))
    assert code == 2 and out == ""
    assert one_error_line(err) == f"clipkit: error: --output '{target}' cannot be written (No such file or directory)"


def test_internal_error_is_one_line_with_exit_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, portrait: str) -> None:
    """The last line of defence: an unexpected exception is still one readable line."""
    import clipkit.media.probe as probe_module  # the command imports it when it runs

    def broken_probe(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something\nunexpected")

    monkeypatch.setattr(probe_module, "probe", broken_probe)
    code, _, err = run(capsys, "probe", portrait)
    assert code == 1
    line = one_error_line(err)
    assert line == "clipkit: internal error: RuntimeError: something unexpected (run with --debug for details)"
    with pytest.raises(RuntimeError):
        main(["--debug", "probe", portrait])


def test_template_validate(capsys: pytest.CaptureFixture[str], template_file: Path) -> None:
    code, out, _ = run(capsys, "template", "validate", str(template_file))
    assert code == 0
    assert out.strip() == f"{template_file}: ok (t; slots: intro, outro; 3 shots)"


def test_template_validate_with_set(capsys: pytest.CaptureFixture[str], template_file: Path) -> None:
    assert run(capsys, "template", "validate", str(template_file), "--set", "title=Yo", "--set", "canvas.width=128")[0] == 0
    code, _, err = run(capsys, "template", "validate", str(template_file), "--set", "canvas.width=15")
    assert code == 2
    # validate lists every problem, one line each, then how many there were
    lines = err.strip().splitlines()
    assert "canvas.width: 15 is below 16" in lines[0]
    assert "canvas.width: 15 is not a multiple of 2" in lines[1]
    assert lines[2] == f"clipkit: 2 problems in {template_file}"


def test_template_validate_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = dict(TEMPLATE, shots=[{"slot": "intro", "duration": 1}, {"color": "red", "start": -1, "duration": 1}])
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    code, out, err = run(capsys, "template", "validate", str(path))
    assert code == 2 and out == ""
    assert one_error_line(err) == f"clipkit: error: {path}: shots[1].start: -1 is below 0"


def test_template_validate_lists_every_problem_in_document_order(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Schema problems all at once; then, for a schema-valid file, every problem of meaning."""
    bad = dict(
        TEMPLATE,
        shots=[{"slot": "intro", "duration": -2}, {"color": "red", "start": -1, "duration": 1}, {"slot": "outro", "volume": 9}],
    )
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    code, out, err = run(capsys, "template", "validate", str(path))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert [line.split(": ")[3] for line in lines[:-1]] == ["shots[0].duration", "shots[1].start", "shots[2].volume"]
    assert lines[-1] == f"clipkit: 3 problems in {path}"
    meaning = dict(
        TEMPLATE,
        slots=[{"id": "intro"}, {"id": "intro"}],
        shots=[{"slot": "intro", "duration": 1, "transition": {"type": "crossfade"}}, {"slot": "nope", "duration": 1}, {"color": "red"}],
    )
    path.write_text(yaml.safe_dump(meaning))
    code, out, err = run(capsys, "template", "validate", str(path))
    lines = err.strip().splitlines()
    assert code == 2 and [line.split(": ")[3] for line in lines[:-1]] == [
        "slots[1].id",
        "shots[0].transition",
        "shots[1].slot",
        "shots[2].duration",
    ]
    # the API carries the same problems, each with its field
    from clipkit.template import load_template

    with pytest.raises(ck.TemplateError) as caught:
        load_template(path)
    assert [p.field for p in caught.value.problems] == ["slots[1].id", "shots[0].transition", "shots[1].slot", "shots[2].duration"]
    assert "(and 3 more problems)" in str(caught.value)


def test_parameter_errors_carry_field_value_and_allowed() -> None:
    clip = ck.color("red", duration=2.0)
    with pytest.raises(ck.ParameterError) as caught:
        clip.trim(-1)
    assert (caught.value.field, caught.value.value, caught.value.allowed) == ("trim.start", -1, ">= 0")
    with pytest.raises(ck.ParameterError) as caught:
        ck.Canvas(100, 15)
    assert (caught.value.field, caught.value.value) == ("canvas.height", 15)
    from clipkit.template import load_template

    with pytest.raises(ck.TemplateError) as caught:
        load_template({"version": 1, "canvas": {"fps": 500}, "slots": [{"id": "a"}], "shots": [{"slot": "a"}]})
    assert caught.value.field == "canvas.fps"


def test_template_validate_runs_the_sections_own_checks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An unknown look or sticker passes the schema (names are open-ended) but not the build."""
    for shot_key, value, expected in (
        ("look", "vintagee", "shots[0].look: 'vintagee' is not a look; did you mean vintage?"),
        ("effects", [{"id": "contrast", "amount": 9}], "shots[0].effects[0].amount: 9 is above the maximum 2"),
    ):
        bad = dict(TEMPLATE, shots=[{"slot": "intro", "duration": 1, shot_key: value}])
        path = tmp_path / f"bad_{shot_key}.yaml"
        path.write_text(yaml.safe_dump(bad))
        code, out, err = run(capsys, "template", "validate", str(path))
        assert code == 2 and out == ""
        assert one_error_line(err).startswith(f"clipkit: error: {path}: {expected}")


def test_template_without_action(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "template")
    assert code == 2 and "schema" in err and "validate" in err


# -- a real process ------------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "clipkit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_a_reader_that_stops_early_is_not_an_error(tmp_path: Path) -> None:
    """``clipkit effects list | head -1``: a reader that has gone away ends the command
    quietly (here the reading end is closed before the command writes anything)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "clipkit", "effects", "list"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert b"error" not in err.lower()


def test_subprocess_demo(tmp_path: Path) -> None:
    out = tmp_path / "demo.mp4"
    proc = _cli("demo", "-o", str(out), "--profile", "preview", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.startswith(f"wrote {out}: 540x960")
    with av.open(str(out)) as c:
        v = c.streams.video[0]
        assert (v.codec_context.name, v.width, v.height) == ("h264", 540, 960)
        assert c.streams.audio[0].codec_context.name == "aac"
        assert float(c.duration / av.time_base) == pytest.approx(8.0, abs=0.1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.mp4"]


def test_subprocess_errors_and_debug(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.mp4")
    proc = _cli("probe", missing, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [f"clipkit: error: {missing}: file not found"]
    proc = _cli("--debug", "probe", missing, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr and "MediaError" in proc.stderr
    proc = _cli("--version", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == f"clipkit {ck.__version__}"


def test_render_stats_prints_the_stage_profile(capsys: pytest.CaptureFixture[str], template_file: Path, tmp_path: Path, portrait: str) -> None:
    out = tmp_path / "stats.mp4"
    code, stdout, _ = run(capsys, "render", str(template_file), "--clip", f"intro={portrait}", "--clip", f"outro={portrait}",
                          "--profile", "preview", "--quiet", "--stats", "-o", str(out))
    assert code == 0 and out.is_file()
    lines = stdout.splitlines()
    assert lines[0].startswith(f"wrote {out}")
    assert "CPU ms/frame" in lines[2] and any(line.startswith("encode (frames handed to x264)") for line in lines)
    assert any(line.startswith(f"decode {portrait}") for line in lines)
