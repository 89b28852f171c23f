"""Entry point of the ``clipkit`` command.

Exit codes: 0 success, 2 bad input, usage or an environment problem (disk full,
read-only folder, permission, open files; one readable line on stderr), 1 an internal
error, 128 + the signal when stopped by SIGINT (130), SIGHUP (129) or SIGTERM (143):
the temporary output is removed first. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys
from collections.abc import Sequence

from .._version import __version__
from ..errors import ClipkitError, Interrupted, RenderCancelled
from ..render.safety import handle_signals
from . import commands

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with every command module's sub-commands."""
    parser = _Parser(prog="clipkit", description="Short-video editing: clips and a song in, upload-ready MP4 out.")
    parser.add_argument("--version", action="version", version=f"clipkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (also used as the console script)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        with handle_signals():  # SIGTERM, SIGHUP and SIGINT all unwind like Ctrl-C
            parser = build_parser()
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                parser.print_help(sys.stderr)
                return 2
            return int(args.func(args) or 0)
    except Interrupted as exc:
        if debug:
            raise
        sys.stderr.write(f"\nclipkit: stopped by {exc.signal_name}; no partial output was left\n")
        return exc.exit_code
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except KeyboardInterrupt:
        if debug:
            raise
        sys.stderr.write("\nclipkit: interrupted; nothing was written\n")
        return 130
    except RenderCancelled:
        sys.stderr.write("clipkit: cancelled; nothing was written\n")
        return 130
    except BrokenPipeError:
        # the reader went away (``clipkit effects list | head``): stop quietly, and point
        # stdout at /dev/null so flushing it at exit does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except ClipkitError as exc:
        if debug:
            raise
        sys.stderr.write(f"clipkit: error: {_one_line(str(exc))}\n")
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence, one readable line
        if debug:
            raise
        sys.stderr.write(f"clipkit: internal error: {type(exc).__name__}: {_one_line(str(exc))} (run with --debug for details)\n")
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
