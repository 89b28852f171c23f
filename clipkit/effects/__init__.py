"""The effect system: declared effects, looks, LUTs and plugins.

Use an effect or a look on a clip or a whole edit::

    clip = ck.open("a.mp4").with_effect("contrast", amount=1.2)
    clip = clip.with_effect("zoom", scale={"envelope": "beats", "from": 1.0, "to": 1.12})
    edit = edit.with_look("vintage", strength=0.7)

or build nodes directly with :func:`create` and :func:`look`. Effects are declared by
subclassing :class:`Effect` (see ``docs/authoring.md``); built-ins live in the
repository's ``effects/`` folder, and plugins load from the ``clipkit.effects``
entry-point group and from folders in ``CLIPKIT_EFFECTS_PATH``.
"""

from __future__ import annotations

from .base import (
    CATEGORIES,
    SPACES,
    BoundChain,
    BoundEffect,
    Chain,
    Effect,
    EffectNode,
    bind_chain,
    from_rgb,
    px_scale,
    run_frames,
    to_rgb,
)
from .looks import LookSpec, load_look, look, look_names
from .lut import CubeLut, bundled_luts, load_cube, read_cube, write_cube
from .params import EASES, ENVELOPE_SOURCES, Constant, EnvelopeValue, Keyframes, Param, ParamValue
from .registry import (
    ENTRY_POINT_GROUP,
    PATH_VARIABLE,
    PluginFailure,
    create,
    effect_ids,
    effects,
    get,
    plugin_errors,
    register,
    reload,
    source_of,
)

__all__ = [
    "CATEGORIES",
    "SPACES",
    "EASES",
    "ENVELOPE_SOURCES",
    "ENTRY_POINT_GROUP",
    "PATH_VARIABLE",
    "Effect",
    "EffectNode",
    "BoundEffect",
    "Chain",
    "BoundChain",
    "Param",
    "ParamValue",
    "Constant",
    "Keyframes",
    "EnvelopeValue",
    "LookSpec",
    "CubeLut",
    "PluginFailure",
    "create",
    "look",
    "chain",
    "look_names",
    "load_look",
    "get",
    "effect_ids",
    "effects",
    "source_of",
    "plugin_errors",
    "register",
    "reload",
    "bind_chain",
    "run_frames",
    "to_rgb",
    "from_rgb",
    "px_scale",
    "read_cube",
    "write_cube",
    "load_cube",
    "bundled_luts",
]


def chain(*nodes: object, name: str | None = None) -> Chain:
    """Several effect nodes (or any frame nodes) run as one, converting to RGB once per
    run of RGB-space effects.

    Parameters
    ----------
    *nodes : FrameNode
        In order.
    name : str, optional
        A label for reprs.
    """
    return Chain(tuple(nodes), name=name)  # type: ignore[arg-type]
