"""Music: beat analysis, beat-synced cuts, song fitting and audio finishing.

::

    import clipkit as ck
    from clipkit import music

    a = music.analyze("song.mp3")            # tempo, beats, downbeats, onsets, sections
    edit = music.montage(["a.mp4", "b.mp4", "c.mp4"], "song.mp3", duration=15)
    edit.render("out.mp4")

librosa is not imported here (nor anywhere on the analysis path), so importing this
package costs milliseconds; see ``docs/music.md`` for how the analysis works.
"""

from .analysis import ANALYSIS_VERSION, DEFAULT_TEMPO_RANGE, Analysis, Section, analyze, analyze_signal
from .cuts import CUT_MODES, CutPlan, PlannedShot, plan_cuts, snap_to_grid
from .envelopes import ENVELOPE_EVENTS, beat_envelope
from .evaluate import beat_f_measure, match_events
from .montage import PLAN_KEY, SongFit, fit_song, montage, place_song
from .windows import ClipScores, best_window, score_clip

__all__ = [
    "ANALYSIS_VERSION",
    "Analysis",
    "CUT_MODES",
    "ClipScores",
    "CutPlan",
    "DEFAULT_TEMPO_RANGE",
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
    "best_window",
    "fit_song",
    "match_events",
    "montage",
    "plan_cuts",
    "score_clip",
    "snap_to_grid",
]
