"""Music: beat analysis, beat-synced cuts, song fitting and audio finishing.

::

    import clipkit as ck
    from clipkit import music

    a = music.analyze("song.mp3")            # tempo, beats, downbeats, onsets, sections
    edit = music.montage(["a.mp4", "b.mp4", "c.mp4"], "song.mp3", duration=15)
    edit.render("out.mp4")

librosa is not imported here: the default analysis engine is numpy/scipy, and the
``engine="librosa"`` front end imports it on first use, so importing this package costs
milliseconds; see ``docs/music.md`` for how the analysis works and how the engines compare.
"""

from .analysis import ANALYSIS_VERSION, DEFAULT_TEMPO_RANGE, Analysis, Section, analyze, analyze_signal
from .cuts import BEAT_LEVELS, CUT_MODES, CutPlan, PlannedShot, beats_at_level, plan_cuts, snap_to_grid
from .engines import DEFAULT_ENGINE, ENGINES
from .envelopes import ENVELOPE_EVENTS, beat_envelope
from .evaluate import beat_f_measure, match_events
from .montage import PLAN_KEY, SongFit, fit_song, montage, place_song
from .windows import ClipScores, best_window, score_clip

__all__ = [
    "ANALYSIS_VERSION",
    "Analysis",
    "BEAT_LEVELS",
    "CUT_MODES",
    "ClipScores",
    "CutPlan",
    "DEFAULT_ENGINE",
    "DEFAULT_TEMPO_RANGE",
    "ENGINES",
    "ENVELOPE_EVENTS",
    "PLAN_KEY",
    "PlannedShot",
    "Section",
    "SongFit",
    "place_song",
    "analyze",
    "analyze_signal",
    "beat_envelope",
    "beat_f_measure",
    "beats_at_level",
    "best_window",
    "fit_song",
    "match_events",
    "montage",
    "plan_cuts",
    "score_clip",
    "snap_to_grid",
]
