"""Music: beat analysis, beat-synced cuts and audio finishing (placeholder, filled below)."""
