"""The render progress bar the CLI commands share."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """A tqdm bar on stderr fed by render progress callbacks.

    Parameters
    ----------
    enabled : bool
        Draw it (commands pass ``not quiet and stderr is a terminal``).
    label : str
        Shown before the bar (the output file name).
    """

    def __init__(self, *, enabled: bool, label: str) -> None:
        self.enabled = enabled
        self.label = label
        self.bar: Any = None

    def __call__(self, p: Any) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=p.total_frames, unit="frame", desc=self.label, file=sys.stderr, leave=False, dynamic_ncols=True)
        self.bar.update(p.frames_done - self.bar.n)

    def close(self) -> None:
        """Remove the bar from the terminal."""
        if self.bar is not None:
            self.bar.close()
