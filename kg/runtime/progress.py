"""Progress on a terminal: how many of how many are done, the rate, and the time left; nothing
at all when standard error is not a terminal (a log or a CI run stays clean)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts ``total`` steps of ``what``; redraws one line at most every ``every`` seconds.

    >>> import io
    >>> out = io.StringIO()
    >>> progress = Progress(4, "sources validated", stream=out, tty=True, every=0)
    >>> for _ in range(4):
    ...     progress.step()
    >>> progress.done()
    >>> out.getvalue().splitlines()[-1].split(",")[0].strip()
    'kg: 4/4 sources validated'
    """

    def __init__(
        self,
        total: int,
        what: str,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        every: float = 0.5,
    ) -> None:
        self.total, self.what, self.count = total, what, 0
        self.stream = stream or sys.stderr
        self.shown = self.stream.isatty() if tty is None else tty
        self.every = every
        self.start = self._last = time.monotonic()

    def step(self, count: int = 1) -> None:
        self.count += count
        now = time.monotonic()
        if self.shown and (now - self._last >= self.every or self.count == self.total):
            self._last = now
            self.stream.write("\r" + self._line(now))
            self.stream.flush()

    def done(self) -> None:
        if self.shown and self.count:
            self.stream.write("\r" + self._line(time.monotonic()) + "\n")
            self.stream.flush()

    def _line(self, now: float) -> str:
        elapsed = max(now - self.start, 1e-9)
        rate = self.count / elapsed
        left = (self.total - self.count) / rate if rate else 0.0
        return (
            f"kg: {self.count}/{self.total} {self.what}, {rate:.1f}/s, "
            f"about {_duration(left)} left  "
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
