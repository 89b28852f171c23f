"""The lazy, immutable edit graph: sources, clips, edits."""
