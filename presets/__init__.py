"""Bundled presets: looks, templates, sticker packs, text styles and LUTs (data only; this file makes the folder installable as ``clipkit.presets``)."""
