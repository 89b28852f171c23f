"""numba's ``njit``, loaded only when a kernel first runs.

Importing numba costs about 60 MB of RSS and a quarter of a second, and loading the
first kernel from its disk cache another 60-75 MB (LLVM's code and its JIT). Many
renders never run a numba kernel: cuts, fits, text and resting stickers, luma-table
and colour-cube looks all run on OpenCV and numpy. So the built-in kernels are
declared with this :func:`njit`: the decorated function becomes a :class:`Kernel`
that imports numba and builds the real dispatcher (from the same disk cache, with the
same options) on its first call.

numba resolves the functions a kernel calls from the kernel's module globals when it
compiles. Two things make a :class:`Kernel` work there: numba's typing is taught that
a :class:`Kernel` stands for its dispatcher (:func:`register_with_numba`, done as soon
as numba is imported by a kernel, by the effects registry, or before clipkit), so an
author's own ``numba.njit`` kernel can call ``clipkit.effects.kernels.u8``; and
building one dispatcher swaps every :class:`Kernel` in that module's globals for its
dispatcher, so module-level calls skip the forwarding. A name imported elsewhere keeps
the :class:`Kernel`, which forwards calls and attributes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["Kernel", "declared_kernels", "njit", "numba_loaded", "register_with_numba"]

_DECLARED: list[Kernel] = []


class Kernel:
    """A numba kernel whose dispatcher is built on first use (see the module docstring).

    Parameters
    ----------
    py_func : callable
        The Python function to compile.
    options : dict
        ``numba.njit`` options (``nogil``, ``cache``, ``fastmath``, ``inline``...).
    """

    def __init__(self, py_func: Callable[..., Any], options: dict[str, Any]) -> None:
        self.py_func = py_func
        self.options = dict(options)
        self._dispatcher: Any = None
        functools.update_wrapper(self, py_func)

    def dispatcher(self) -> Any:
        """The numba dispatcher, built (and numba imported) on the first call."""
        if self._dispatcher is None:
            from numba import njit as numba_njit

            register_with_numba()
            self._dispatcher = numba_njit(**self.options)(self.py_func)
            _bind_globals(self.py_func.__globals__)
        return self._dispatcher

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dispatcher = self._dispatcher
        if dispatcher is None:
            dispatcher = self.dispatcher()
        return dispatcher(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # only reached for names the Kernel itself lacks (signatures, targetoptions, _cache...)
        if name.startswith("__") or name in ("py_func", "options", "_dispatcher"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __reduce__(self) -> tuple[Callable[[str, str], Any], tuple[str, str]]:
        return _module_attribute, (self.py_func.__module__, self.py_func.__qualname__)

    def __repr__(self) -> str:
        state = "built" if self._dispatcher is not None else "not built yet"
        return f"<clipkit kernel {self.py_func.__module__}.{self.py_func.__qualname__} ({state})>"


def njit(**options: Any) -> Callable[[Callable[..., Any]], Kernel]:
    """``numba.njit(**options)``, deferred until the kernel first runs.

    Parameters
    ----------
    **options
        Passed to ``numba.njit`` unchanged when the dispatcher is built.

    Returns
    -------
    callable
        A decorator turning a function into a :class:`Kernel`.
    """

    def decorate(py_func: Callable[..., Any]) -> Kernel:
        kernel = Kernel(py_func, options)
        _DECLARED.append(kernel)
        return kernel

    return decorate


def declared_kernels(module: str | None = None) -> list[Kernel]:
    """Every kernel declared with :func:`njit` so far (those of one module, when given)."""
    return [k for k in _DECLARED if module is None or k.py_func.__module__ == module]


def numba_loaded() -> bool:
    """Whether numba has been imported in this process (by a kernel or anything else)."""
    import sys

    return "numba" in sys.modules


def register_with_numba() -> None:
    """Teach numba's typing that a :class:`Kernel` is its dispatcher (imports numba; idempotent).

    Called by the first kernel that is built and by the effects registry when numba is
    loaded; call it yourself before compiling a ``numba.njit`` function of your own that
    calls a clipkit kernel outside an effect module.
    """
    if _REGISTERED:
        return
    from numba.core import types
    from numba.core.typing.typeof import typeof_impl

    @typeof_impl.register(Kernel)
    def _typeof_kernel(value: Kernel, context: Any) -> Any:
        return types.Dispatcher(value.dispatcher())

    _REGISTERED.append(True)


_REGISTERED: list[bool] = []


def _bind_globals(namespace: dict[str, Any]) -> None:
    """Replace every :class:`Kernel` in a module's globals by its dispatcher, for numba's typing."""
    for name, value in list(namespace.items()):
        if isinstance(value, Kernel):
            namespace[name] = value.dispatcher()


def _module_attribute(module: str, qualname: str) -> Any:
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


if numba_loaded():  # numba came first: a kernel may meet numba's typing before any is built
    register_with_numba()
