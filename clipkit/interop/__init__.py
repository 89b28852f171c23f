"""Bridges to other video libraries (optional extras, imported lazily)."""
