"""Rendering: planning, fitting, the thread pipeline, encoding and upload profiles."""
