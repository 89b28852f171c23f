"""Batch files, variants, ids, output naming and validation (no renders here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from clipkit.batch import Job, expand_job, load_jobs, prepare_jobs, read_manifest
from clipkit.batch.results import JobResult, Manifest
from clipkit.cli.main import main
from clipkit.errors import BatchError

TEMPLATE = """\
version: 1
canvas: {width: 160, height: 284, fps: 30}
slots:
  - {id: intro, min_duration: 0.5}
  - {id: outro, optional: true}
vars: {name: Sam}
shots:
  - {slot: intro, duration: 0.5}
  - {slot: outro, duration: 0.5}
look: {name: vivid, strength: 0.5}
music: {start: 0}
"""


@pytest.fixture()
def folder(tmp_path: Path, portrait: str, portrait_b: str, song: str) -> Path:
    (tmp_path / "story.yaml").write_text(TEMPLATE)
    for name, src in (("a.mp4", portrait), ("b.mp4", portrait_b), ("song.m4a", song)):
        os.symlink(src, tmp_path / name)
    return tmp_path


def write_jsonl(path: Path, jobs: list[object]) -> Path:
    path.write_text("".join((j if isinstance(j, str) else json.dumps(j)) + "\n" for j in jobs))
    return path


def errors_of(prepared: list[Job]) -> dict[str, str | None]:
    return {j.id: j.error for j in prepared}


def test_jsonl_jobs_resolve_paths_against_the_batch_file_and_outputs_against_the_output_dir(folder: Path, tmp_path: Path) -> None:
    batch = write_jsonl(folder / "jobs.jsonl", [{"id": "one", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "music": "song.m4a"}])
    (job,) = prepare_jobs(load_jobs(batch), output_dir=tmp_path / "out")
    assert job.error is None
    assert job.template == str(folder / "story.yaml")
    assert job.clips == {"intro": str(folder / "a.mp4")}
    assert job.music == str(folder / "song.m4a")
    assert job.output == str((tmp_path / "out" / "one.mp4").resolve())
    assert job.origin == f"{batch}:1"


def test_validation_messages_name_the_line_the_field_and_the_value(folder: Path) -> None:
    batch = write_jsonl(
        folder / "jobs.jsonl",
        [
            {"id": "good", "template": "story.yaml", "clips": {"intro": "a.mp4"}},
            {"id": "v", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "variants": {"look.name": ["vivid", "flim"]}},
            "# a comment line is skipped, and so are blank lines",
            "",
            {"id": "noclip", "template": "story.yaml", "clips": {"intro": "/data/a.mp4"}},
            {"id": "slot", "template": "story.yaml", "clips": {"intro": "a.mp4", "middle": "b.mp4"}},
            {"id": "missing", "template": "story.yaml", "clips": {"outro": "b.mp4"}},
            {"id": "typo", "tempate": "story.yaml"},
            {"id": "prof", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "profile": "tiktk"},
            {"id": "notpl", "template": "nope.yaml", "clips": {"intro": "a.mp4"}},
            "{not json",
            {"id": "badset", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "set": {"look.strength": 7}},
            {"id": "nomusic", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "music": "gone.m4a"},
        ],
    )
    errors = errors_of(prepare_jobs(load_jobs(batch), output_dir=folder / "out"))
    b = str(batch)
    assert errors["good"] is None and errors["v-vivid"] is None
    assert errors["v-flim"].startswith(f"{b}:2: variants.look.name[1]: 'flim' is not a look; did you mean film?")
    assert errors["noclip"] == f"{b}:5: clips.intro: /data/a.mp4: file not found"
    assert errors["slot"] == f"{b}:6: clips.middle: no slot named 'middle' (slots: intro, outro)"
    assert errors["missing"] == f"{b}:7: clips: slot 'intro' has no clip (slots: intro, outro)"
    assert errors["typo"] == f"{b}:8: tempate: is not a job field; did you mean 'template'?"
    assert errors["prof"].startswith(f"{b}:9: profile: 'tiktk' is not a profile; did you mean 'tiktok'?")
    assert errors["notpl"] == f"{b}:10: template: {folder / 'nope.yaml'}: file not found"
    assert errors["entry11"].startswith(f"{b}:11: not valid JSON")
    assert errors["badset"].startswith(f"{b}:12: set.look.strength: ") and "7" in errors["badset"]
    assert errors["nomusic"] == f"{b}:13: music: {folder / 'gone.m4a'}: file not found"


def test_a_job_may_name_a_bundled_template_by_its_id(folder: Path) -> None:
    from clipkit.resources import templates_dir

    batch = write_jsonl(folder / "ids.jsonl", [
        {"id": "a", "template": "duet", "clips": {"me": "a.mp4", "partner": "b.mp4"}},
        {"id": "b", "template": "dute", "clips": {"me": "a.mp4"}},
        {"id": "c", "template": "story", "clips": {"intro": "a.mp4"}},  # no such file, no such id
    ])
    prepared = {j.id: j for j in prepare_jobs(load_jobs(batch), output_dir=folder / "out")}
    assert prepared["a"].error is None and prepared["a"].template == str(templates_dir() / "duet.yaml")
    assert prepared["b"].error.startswith(f"{batch}:2: template: 'dute' is neither a template file nor a bundled template; did you mean 'duet'?")
    assert prepared["c"].error.startswith(f"{batch}:3: template: 'story' is neither")
    # a file of that name beside the batch file wins
    assert Job.from_dict({"template": "story.yaml", "clips": {}}, base_dir=folder).template == str(folder / "story.yaml")


def test_variants_expand_to_the_cartesian_product_in_a_stable_order_with_patterned_outputs(folder: Path) -> None:
    job = Job.from_dict(
        {"id": "promo", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "output": "out/{id}-{look.name}-{music.start}.mp4",
         "variants": {"look.name": ["vivid", "film"], "music.start": [0, 12]}},
        base_dir=folder,
    )
    expanded = expand_job(job)
    assert [j.id for j in expanded] == ["promo-vivid-0", "promo-vivid-12", "promo-film-0", "promo-film-12"]
    assert [dict(j.variant) for j in expanded][1] == {"look.name": "vivid", "music.start": 12}
    assert expanded[2].overrides == {"look.name": "film", "music.start": 0}
    prepared = prepare_jobs([job], output_dir=folder)
    assert [os.path.basename(j.output) for j in prepared] == [
        "promo-vivid-0-vivid-0.mp4", "promo-vivid-12-vivid-12.mp4", "promo-film-0-film-0.mp4", "promo-film-12-film-12.mp4"]
    # the same again gives the same ids: deterministic expansion
    assert [j.id for j in prepare_jobs([job], output_dir=folder)] == [j.id for j in prepared]


def test_a_job_without_an_id_gets_one_from_its_content_that_survives_reordering(folder: Path) -> None:
    a = {"template": "story.yaml", "clips": {"intro": "a.mp4"}}
    b = {"template": "story.yaml", "clips": {"intro": "b.mp4"}}
    first = prepare_jobs(load_jobs(write_jsonl(folder / "x.jsonl", [a, b])), output_dir=folder)
    second = prepare_jobs(load_jobs(write_jsonl(folder / "y.jsonl", [b, a])), output_dir=folder)
    assert first[0].id == second[1].id and first[1].id == second[0].id and first[0].id != first[1].id
    assert first[0].id.startswith("job-")


def test_two_jobs_writing_one_output_or_sharing_an_id_are_errors(folder: Path) -> None:
    batch = write_jsonl(folder / "jobs.jsonl", [
        {"id": "a", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "output": "same.mp4"},
        {"id": "b", "template": "story.yaml", "clips": {"intro": "b.mp4"}, "output": "same.mp4"},
        {"id": "a", "template": "story.yaml", "clips": {"intro": "b.mp4"}},
        {"id": "c", "template": "story.yaml", "clips": {"intro": "b.mp4"}, "output": "{id}-{colour}.mp4"},
    ])
    prepared = prepare_jobs(load_jobs(batch), output_dir=folder / "out")
    assert prepared[0].error is None
    assert prepared[1].error == f"{batch}:2: output: {(folder / 'out' / 'same.mp4').resolve()} is also written by job a ({batch}:1)"
    assert prepared[2].error == f"{batch}:3: id: 'a' is also the id of the job at {batch}:1"
    assert prepared[3].error.startswith(f"{batch}:4: output: {{colour}} in '{{id}}-{{colour}}.mp4' is not a variant key or set field")


def test_yaml_batch_files_share_defaults_and_report_the_line_of_each_job(folder: Path) -> None:
    (folder / "jobs.yaml").write_text(
        "defaults:\n"
        "  template: story.yaml\n"
        "  clips: {intro: a.mp4}\n"
        "  set: {name: Ana}\n"
        "  variants: {look.name: [vivid, film]}\n"
        "jobs:\n"
        "  - id: first\n"
        "    set: [\"look.strength=0.3\"]\n"
        "  - id: second\n"
        "    clips: {outro: b.mp4}\n"
        "  - id: third\n"
        "    clips: {intro: missing.mp4}\n"
    )
    prepared = prepare_jobs(load_jobs(folder / "jobs.yaml"), output_dir=folder)
    by_id = {j.id: j for j in prepared}
    assert set(by_id) == {"first-vivid", "first-film", "second-vivid", "second-film", "third-vivid", "third-film"}
    assert by_id["first-film"].overrides == {"name": "Ana", "look.strength": 0.3, "look.name": "film"}
    assert by_id["second-vivid"].clips == {"intro": str(folder / "a.mp4"), "outro": str(folder / "b.mp4")}
    assert by_id["third-film"].error == f"{folder / 'jobs.yaml'}:11: clips.intro: {folder / 'missing.mp4'}: file not found"
    assert by_id["first-vivid"].origin == f"{folder / 'jobs.yaml'}:7"


def test_json_batch_files_and_bad_shapes(folder: Path) -> None:
    (folder / "jobs.json").write_text(json.dumps({"defaults": {"template": "story.yaml"}, "jobs": [{"id": "j1", "clips": {"intro": "a.mp4"}}]}, indent=2))
    (job,) = prepare_jobs(load_jobs(folder / "jobs.json"), output_dir=folder)
    assert job.error is None and job.id == "j1" and job.origin == f"{folder / 'jobs.json'}:6"  # the line of the job's opening brace
    (folder / "bad.yaml").write_text("jobs: {id: x}\n")
    with pytest.raises(BatchError, match=r"bad.yaml: jobs: \{'id': 'x'\} is not a list of jobs"):
        load_jobs(folder / "bad.yaml")
    (folder / "bad2.yaml").write_text("defaults: {template: story.yaml}\njbos: []\n")
    with pytest.raises(BatchError, match=r"'jbos' is not a batch-file section"):
        load_jobs(folder / "bad2.yaml")
    with pytest.raises(BatchError, match="nothere.jsonl: file not found"):
        load_jobs(folder / "nothere.jsonl")


def test_manifest_lines_are_durable_and_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "m" / "manifest.jsonl"
    with Manifest(path) as m:
        m.append(JobResult(id="a", status="failed", output="a.mp4", error="boom"))
        m.append(JobResult(id="a", status="ok", output="a.mp4", sha256="00"))
        m.append(JobResult(id="b", status="ok", output="b.mp4", sha256="11"))
    with open(path, "a") as f:
        f.write('{"id": "c", "status": "o')  # killed mid-write
    records = read_manifest(path)
    assert sorted(records) == ["a", "b"]
    assert records["a"].status == "ok" and records["a"].sha256 == "00"


def test_dry_run_prints_the_expanded_jobs_and_exits_2_when_one_is_invalid(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    batch = write_jsonl(folder / "jobs.jsonl", [
        {"id": "v", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "variants": {"look.name": ["vivid", "flim"]}},
    ])
    code = main(["batch", str(batch), "-o", str(folder / "out"), "--dry-run"])
    out = capsys.readouterr().out
    assert code == 2
    assert "ok       v-vivid" in out and "invalid  v-flim" in out and "2 jobs, 1 valid, 1 invalid" in out
    assert not (folder / "out").exists()  # a dry run writes nothing
    write_jsonl(batch, [{"id": "v", "template": "story.yaml", "clips": {"intro": "a.mp4"}, "variants": {"look.name": ["vivid", "film"]}}])
    assert main(["batch", str(batch), "-o", str(folder / "out"), "--dry-run"]) == 0


def test_fail_fast_refuses_a_batch_with_an_invalid_job_in_one_line_with_exit_2(folder: Path) -> None:
    batch = write_jsonl(folder / "jobs.jsonl", [
        {"id": "good", "template": "story.yaml", "clips": {"intro": "a.mp4"}},
        {"id": "bad", "template": "story.yaml", "clips": {"intro": "/data/a.mp4"}},
    ])
    proc = subprocess.run([sys.executable, "-m", "clipkit", "batch", str(batch), "-o", str(folder / "out"), "--fail-fast"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"clipkit: error: {batch}:2: clips.intro: /data/a.mp4: file not found"
    assert not (folder / "out" / "good.mp4").exists()


def test_profile_threads_is_validated_by_name() -> None:
    from clipkit.errors import ParameterError
    from clipkit.render.profiles import get_profile

    assert get_profile("tiktok").with_options(threads=2).threads == 2
    with pytest.raises(ParameterError, match=r"profile.threads: -1 is not a whole number in 0..64 \(0 = automatic\)"):
        get_profile("tiktok").with_options(threads=-1)
