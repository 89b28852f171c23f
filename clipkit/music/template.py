"""The template ``cuts:`` section: re-time a template's shots so every cut is on the music.

.. code-block:: yaml

    music: {file: song.m4a, start: 12}
    cuts: {on: bars, every: 1, min_shot: 0.8, max_shot: 4}
    shots:
      - {slot: a}
      - {slot: b, start: 1.5}     # a pinned start is kept
      - {slot: c}

The number of shots stays the template's; their lengths come from the cut planner,
and the edit's length is the template's total snapped to the nearest bar line (or beat,
with ``on: beats``) unless ``cuts.duration`` sets it. Shots without a ``start`` show
their clip's best moment (motion and sharpness); a transition between two shots is
centred on the cut's beat.
"""

from __future__ import annotations

import os
from dataclasses import replace
from fractions import Fraction
from typing import Any

from ..errors import ParameterError

__all__ = ["CUTS_SCHEMA", "AUDIO_SCHEMA", "apply_cuts", "apply_audio"]

_SECONDS = {"type": "number", "exclusiveMinimum": 0}

CUTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Put every cut on the music: shot lengths come from the song's beats, bars or onsets.",
    "additionalProperties": False,
    "properties": {
        "on": {"enum": ["beats", "bars", "onsets", "auto"], "default": "beats", "description": "What the cuts land on."},
        "every": {"type": "integer", "minimum": 1, "maximum": 64, "default": 1, "description": "Cut every that many beats or bars."},
        "level": {
            "enum": ["main", "half", "double", "alternative"],
            "default": "main",
            "description": "Tempo octave beats are counted at: the analysed tempo, half or double it, or the alternative octave listeners may tap.",
        },
        "min_shot": {**_SECONDS, "description": "Shortest shot in seconds (default 0.5)."},
        "max_shot": {**_SECONDS, "description": "Longest shot in seconds."},
        "duration": {**_SECONDS, "description": "Length of the edit in seconds (default: the shots' total, snapped to the grid)."},
        "pick_windows": {"type": "boolean", "default": True, "description": "Show each unpinned clip's liveliest, sharpest moment."},
    },
}


def apply_cuts(edit: Any, value: dict[str, Any], ctx: Any) -> Any:
    """``apply(edit, value, ctx) -> edit`` for the ``cuts`` section."""
    from ..edit.edit import Shot
    from .analysis import analyze
    from .cuts import plan_cuts, snap_to_grid
    from .windows import score_clip

    tracks = [t for t in edit.tracks if t.role == "music"]
    if not tracks:
        raise ctx.error("cuts", "needs music: add a music section or pass --music FILE")
    track = tracks[0]
    song = analyze(track.clip.path)
    song_end = min(float(track.clip.end), song.duration)
    if song_end <= track.clip.start:
        raise ctx.error("cuts", f"the music has no sound after its start ({track.clip.start:.2f} s)")
    timeline = song.window(float(track.clip.start), song_end, at=float(track.at))
    on = value.get("on", "beats")
    every = int(value.get("every", 1))
    level = value.get("level", "main")
    fps = edit.canvas.fps if edit.canvas is not None else Fraction(30)
    wanted = float(value.get("duration", edit.duration))
    grid = "beats" if on == "beats" else "bars"
    total = snap_to_grid(timeline, wanted, on=grid, every=every if on in ("beats", "bars") else 1, level=level) if "duration" not in value else wanted
    available_music = float(track.at) + (song_end - float(track.clip.start))
    short_music = not track.loop and total > available_music + 1e-6
    if short_music:
        total = available_music

    pinned = _pinned_starts(edit, ctx)
    overlaps = [0] + [int(round(s.transition.duration * float(fps))) if s.transition is not None else 0 for s in edit.shots[1:]] + [0]
    limits = []
    for i, shot in enumerate(edit.shots):
        src = shot.clip.source.duration
        extra = (overlaps[i] - overlaps[i] // 2 + overlaps[i + 1] // 2) / float(fps)
        if src is None:
            limits.append(max(total, 1.0))
            continue
        start = shot.clip.start if pinned[i] else 0.0
        room = (float(src) - start) / shot.clip.speed - extra
        if room <= 0:
            raise ctx.error(f"shots[{i}]", f"{shot.clip.describe()} is too short for its transitions")
        limits.append(room)
    try:
        plan = plan_cuts(
            timeline,
            duration=total,
            fps=fps,
            mode=on,
            every=every,
            count=len(edit.shots),
            min_shot=value.get("min_shot"),
            max_shot=value.get("max_shot"),
            max_lengths=limits,
            level=level,
        )
    except ParameterError as exc:
        if short_music:
            raise ctx.error(
                "cuts",
                f"the music ({os.path.basename(os.fspath(track.clip.path))}) plays only {available_music:.2f} s, too short for the "
                f"template's {len(edit.shots)} shots ({str(exc).split(';')[0]}); use a longer song or loop it",
            ) from None
        raise ctx.error("cuts", str(exc)) from None

    shots = []
    scores: dict[int, Any] = {}
    for i, (shot, planned) in enumerate(zip(edit.shots, plan.shots)):
        # a transition's overlap straddles the cut: half before the beat, half after
        frames = planned.frames + (overlaps[i] - overlaps[i] // 2) + overlaps[i + 1] // 2
        length = float(Fraction(frames) / fps)
        clip = shot.clip
        base = replace(clip, start=clip.start if pinned[i] else 0.0, end=clip.source.duration or clip.start + length * clip.speed)
        if base.source.duration is None:
            offset = 0.0
        elif pinned[i] or not value.get("pick_windows", True):
            offset = 0.0
        else:
            if i not in scores:
                scores[i] = score_clip(base)
            offset = min(scores[i].best(length), max(0.0, base.duration - length))
        try:
            new_clip = base.trim(offset * clip.speed, duration=length * clip.speed)
        except ParameterError as exc:
            raise ctx.error(f"shots[{i}]", str(exc)) from None
        shots.append(Shot(new_clip, shot.transition))
    return replace(edit, shots=tuple(shots), cut_plan=plan)


def _pinned_starts(edit: Any, ctx: Any) -> list[bool]:
    """For each shot of the edit: whether the template fixed its start."""
    doc_shots = ctx.document.get("shots", []) if ctx.document else []
    present = [s for s in doc_shots if "slot" not in s or s["slot"] in ctx.clips]
    if len(present) != len(edit.shots):
        return [False] * len(edit.shots)
    return ["start" in s or "video" in s or "image" in s or "color" in s for s in present]



AUDIO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Finishing of the mix: ducking of the music under voice/clip sound, loudness normalization.",
    "additionalProperties": False,
    "properties": {
        "ducking": {
            "description": "false turns ducking off; an object sets it (defaults: depth -10 dB, threshold -45 dBFS).",
            "anyOf": [
                {"type": "boolean"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "depth": {"type": "number", "minimum": -60, "maximum": 0, "description": "Music gain change in dB while triggered."},
                        "threshold": {"type": "number", "minimum": -90, "maximum": 0, "description": "Trigger level in dBFS."},
                        "attack": {"type": "number", "minimum": 0.001, "maximum": 2, "description": "Seconds to duck."},
                        "release": {"type": "number", "minimum": 0.01, "maximum": 5, "description": "Seconds to recover."},
                        "hold": {"type": "number", "minimum": 0, "maximum": 5, "description": "Seconds held after the trigger stops."},
                        "under": {
                            "type": "array",
                            "items": {"enum": ["voice", "original", "sfx"]},
                            "minItems": 1,
                            "uniqueItems": True,
                            "description": "Roles that trigger it.",
                        },
                    },
                },
            ],
        },
        "loudness": {
            "description": "false turns normalization off; a number is the target in LUFS; an object sets target, true_peak, max_gain.",
            "anyOf": [
                {"type": "boolean", "enum": [False]},
                {"type": "number", "minimum": -40, "maximum": -5},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "target": {"type": "number", "minimum": -40, "maximum": -5, "description": "Integrated loudness in LUFS."},
                        "true_peak": {"type": "number", "minimum": -9, "maximum": 0, "description": "True-peak ceiling in dBTP."},
                        "max_gain": {"type": "number", "minimum": 0, "maximum": 40, "description": "Most the mix is raised, in dB."},
                    },
                },
            ],
        },
    },
}


def apply_audio(edit: Any, value: dict[str, Any], ctx: Any) -> Any:
    """``apply(edit, value, ctx) -> edit`` for the ``audio`` section."""
    from ..audio.finishing import with_ducking, with_loudness

    duck = value.get("ducking", True)
    if duck is False:
        edit = with_ducking(edit, enabled=False)
    elif isinstance(duck, dict):
        options = dict(duck)
        if "under" in options:
            options["under"] = tuple(options["under"])
        edit = with_ducking(edit, **options)
    loud = value.get("loudness", True)
    if loud is False:
        edit = with_loudness(edit, target=None)
    elif isinstance(loud, (int, float)) and not isinstance(loud, bool):
        edit = with_loudness(edit, target=float(loud))
    elif isinstance(loud, dict):
        edit = with_loudness(edit, **loud)
    return edit
