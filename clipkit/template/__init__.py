"""Template files: YAML/JSON edits with slots for the creator's clips."""

from .sections import Section, ShotKey, register_section, register_shot_key
from .loader import Template, TemplateContext, apply_overrides, bundled_template_ids, load_template, parse_set_options, resolve_template
from .schema import TEMPLATE_VERSION, template_schema

__all__ = [
    "TEMPLATE_VERSION",
    "Section",
    "ShotKey",
    "Template",
    "TemplateContext",
    "apply_overrides",
    "bundled_template_ids",
    "load_template",
    "parse_set_options",
    "register_section",
    "register_shot_key",
    "resolve_template",
    "template_schema",
]
