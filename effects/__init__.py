"""Built-in effects, one module per effect, named after its id (installed as ``clipkit.builtin_effects``).

Each module declares an :class:`clipkit.effects.Effect` subclass with a private
``@njit(nogil=True, cache=True, fastmath=True)`` kernel and a plain-numpy reference. The registry
imports every module here on first use.
"""
