"""Fuzzing in the suite (``bench/fuzz.py --cases 5000`` runs longer): property-based
templates (hypothesis: schema-shaped documents and mutations of the library templates)
and seeded byte-level mutations of small valid media.

Invariant for every case: a valid output, or a ClipkitError with a one-line message
(naming the file, for media); never another exception, a hang or a file left behind.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import faultkit as fk
import mediagen
from clipkit.template import template_schema

FUZZ = settings(max_examples=80, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
CASE_LIMIT = 20.0  # seconds: far above any case's cost, far below a hang


@pytest.fixture(scope="module")
def slot_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    folder = tmp_path_factory.mktemp("fuzz_slots")
    clip = folder / "clip.mp4"
    mediagen.make_video(str(clip), width=64, height=112, frames=300, sr=22050, gop=30)
    song = folder / "song.m4a"
    mediagen.make_audio(str(song), duration=12.0, sr=22050, container_format="mp4")
    return {"a": str(clip)}, str(song)


def _check(outcome: fk.Outcome) -> None:
    assert outcome.failure is None, outcome.failure
    assert outcome.seconds < CASE_LIMIT, f"{outcome.case} took {outcome.seconds:.1f} s"


@FUZZ
@given(doc=fk.schema_strategy(template_schema()), with_music=st.booleans())
def test_schema_shaped_templates(doc: dict, with_music: bool, slot_media: tuple[dict[str, str], str]) -> None:
    clips, song = slot_media
    _check(fk.run_template_case(doc, clips, song if with_music else None, frames=1))


LIBRARY = fk.library_templates()


@FUZZ
@given(name=st.sampled_from(sorted(LIBRARY)), rng=st.randoms(use_true_random=False), with_music=st.booleans())
def test_mutated_library_templates(name: str, rng: random.Random, with_music: bool, slot_media: tuple[dict[str, str], str]) -> None:
    clips, song = slot_media
    doc = fk.fuzz_template_document(LIBRARY[name], rng)
    _check(fk.run_template_case(doc, clips, song if with_music else None, frames=1))


def test_library_templates_build_unmutated(slot_media: tuple[dict[str, str], str]) -> None:
    """The fuzzer's baseline: every library template builds with the fuzz clips (so the
    mutations above start from documents that work)."""
    clips, song = slot_media
    built = [name for name, doc in LIBRARY.items() if fk.run_template_case(doc, clips, song, frames=0).refused is None]
    assert len(built) >= len(LIBRARY) - 2, sorted(set(LIBRARY) - set(built))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return fk.make_seeds(tmp_path_factory.mktemp("fuzz_seeds"))


@pytest.mark.parametrize("batch", range(4))
def test_mutated_media(batch: int, seeds: dict[str, bytes], tmp_path: Path) -> None:
    """75 seeded cases per batch: truncations, bit flips, header damage, zeroed runs,
    duplicated ranges, huge size fields, lying extensions, over MP4/WebM/PNG/APNG/GIF/JPEG/WAV/M4A."""
    inputs = tmp_path / "in"
    outputs = tmp_path / "out"
    inputs.mkdir()
    outputs.mkdir()
    rendered = 0
    for name, data in fk.media_cases(seeds, 75, seed=1000 + batch):
        path = inputs / name
        path.write_bytes(data)
        outcome = fk.run_media_case(path, outputs)
        assert outcome.failure is None, f"{name}: {outcome.failure}"
        assert outcome.seconds < CASE_LIMIT, f"{name} took {outcome.seconds:.1f} s"
        rendered += "rendered" in outcome.details
        path.unlink()
    assert rendered >= 10  # the mutations leave enough files playable to exercise rendering
    assert list(inputs.iterdir()) == [] and list(outputs.iterdir()) == []
