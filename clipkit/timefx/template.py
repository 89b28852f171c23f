"""Template shot keys for time effects: ``speed``, ``reverse``, ``freeze``, ``boomerang``.

.. code-block:: yaml

    shots:
      - {slot: jump, duration: 3, speed: hero}                 # a named ramp
      - {slot: run, duration: 2, speed: 0.5}                   # constant slow motion
      - {slot: spin, duration: 2, speed: {keyframes: [[0, 3], [0.5, 0.3], [1, 3]], audio: mute}}
      - {slot: pour, duration: 1.5, reverse: true}
      - {slot: wave, duration: 1, boomerang: {loops: 2, speed: 1.5}}
      - {slot: pose, duration: 3, freeze: {at: 1.2, duration: 1}}

Applied in that order (speed, reverse, boomerang, freeze) after a layout and before
effects, so effects see the re-timed clip. Times in ``freeze.at`` are seconds of the
shot's clip as trimmed (``start``/``duration``), before any speed change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..edit.clip import Clip
from . import AUDIO_MODES, MAX_SPEED, MIN_SPEED, RAMP_PRESETS, boomerang, freeze, ramp, reverse, speed

if TYPE_CHECKING:
    from ..template.loader import TemplateContext

__all__ = ["SPEED_SCHEMA", "REVERSE_SCHEMA", "FREEZE_SCHEMA", "BOOMERANG_SCHEMA"]

_SPEED = {"type": "number", "minimum": MIN_SPEED, "maximum": MAX_SPEED}
_AUDIO = {"type": "string", "enum": list(AUDIO_MODES), "description": "stretch: keep the sound, pitch unchanged; mute: drop it.", "default": "stretch"}
_KEYFRAMES = {
    "type": "array",
    "minItems": 2,
    "description": "Speed keyframes [at, speed]: at in 0..1 (share of the shot), first 0, last 1.",
    "items": {"type": "array", "prefixItems": [{"type": "number", "minimum": 0, "maximum": 1}, _SPEED], "minItems": 2, "maxItems": 2},
}

SPEED_SCHEMA: dict[str, Any] = {
    "description": "Playback speed: a number (0.1..10), a ramp preset name, or {value|ramp|keyframes, audio, easing}.",
    "anyOf": [
        {**_SPEED, "description": "Constant speed: 0.5 is half speed, 2 double."},
        {"type": "string", "enum": list(RAMP_PRESETS), "description": "A named speed ramp."},
        {
            "type": "object",
            "properties": {
                "value": {**_SPEED, "description": "Constant speed."},
                "ramp": {"type": "string", "enum": list(RAMP_PRESETS), "description": "A named speed ramp."},
                "keyframes": _KEYFRAMES,
                "audio": _AUDIO,
                "easing": {"type": "string", "enum": ["smooth", "linear"], "description": "Between keyframes.", "default": "smooth"},
            },
            "oneOf": [{"required": ["value"]}, {"required": ["ramp"]}, {"required": ["keyframes"]}],
            "additionalProperties": False,
        },
    ],
}

REVERSE_SCHEMA: dict[str, Any] = {
    "description": "Play the shot backwards: true, or {speed, audio}.",
    "anyOf": [
        {"type": "boolean"},
        {"type": "object", "properties": {"speed": _SPEED, "audio": _AUDIO}, "additionalProperties": False},
    ],
}

BOOMERANG_SCHEMA: dict[str, Any] = {
    "description": "Forward then backward: true, or {speed, loops, audio}.",
    "anyOf": [
        {"type": "boolean"},
        {
            "type": "object",
            "properties": {"speed": _SPEED, "loops": {"type": "integer", "minimum": 1, "maximum": 10}, "audio": _AUDIO},
            "additionalProperties": False,
        },
    ],
}

FREEZE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Hold one frame: at (second of the shot's clip) for duration seconds, then play on.",
    "properties": {
        "at": {"type": "number", "minimum": 0},
        "duration": {"type": "number", "exclusiveMinimum": 0},
        "audio": _AUDIO,
    },
    "required": ["at", "duration"],
    "additionalProperties": False,
}


def apply_speed(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return speed(clip, value)
    if isinstance(value, str):
        return ramp(clip, value)
    audio = value.get("audio", "stretch")
    if "value" in value:
        return speed(clip, value["value"], audio=audio)
    curve = value["ramp"] if "ramp" in value else [tuple(k) for k in value["keyframes"]]
    return ramp(clip, curve, audio=audio, easing=value.get("easing", "smooth"))


def apply_reverse(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    if value is False:
        return clip
    options = value if isinstance(value, dict) else {}
    return reverse(clip, speed=options.get("speed", 1.0), audio=options.get("audio", "stretch"))


def apply_boomerang(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    if value is False:
        return clip
    options = value if isinstance(value, dict) else {}
    return boomerang(clip, speed=options.get("speed", 1.0), loops=options.get("loops", 1), audio=options.get("audio", "stretch"))


def apply_freeze(clip: Clip, value: Any, ctx: TemplateContext) -> Clip:
    return freeze(clip, value["at"], value["duration"], audio=value.get("audio", "stretch"))
