"""Sound: audio clips, tracks placed on the timeline, and the streaming mixer."""

from .mix import Mixer, Segment, soft_limit
from .tracks import TRACK_ROLES, AudioClip, AudioTrack, audio

__all__ = ["AudioClip", "AudioTrack", "Mixer", "Segment", "TRACK_ROLES", "audio", "soft_limit"]
