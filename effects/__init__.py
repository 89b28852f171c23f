"""Built-in effects, one module per effect, named after its id (installed as ``clipkit.builtin_effects``).

Each module declares an :class:`clipkit.effects.Effect` subclass with a fast path (a private
``@njit(nogil=True, cache=True, fastmath=True)`` kernel declared through :mod:`clipkit.jit`, so
numba loads only when it runs, or OpenCV's SIMD routines where they win) and a plain-numpy
reference. The registry imports every module here on first use.
"""
