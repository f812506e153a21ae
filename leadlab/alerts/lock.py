"""One ``alerts run`` at a time per project: an exclusive lock on ``data/.alerts.lock``.

Why a lock and not only the ``alerts_sent`` table: a run records an (event, channel) pair
*after* the send succeeded, so two runs started together (an overlapping cron job, a manual
run during the scheduled one) would both find the pair unsent and both send it. Holding the
lock from evaluation to the last record makes the second run wait, then find everything
already sent. The lock is an OS file lock (``fcntl.flock``; ``msvcrt.locking`` on Windows):
it is released when the process ends, even on a crash, so a stale lock file never blocks.
It covers runs on one machine (one project folder); runs from several machines against one
shared PostgreSQL store need one scheduler.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / ".alerts.lock"
>>> with run_lock(path, wait_seconds=0):
...     try:
...         with run_lock(path, wait_seconds=0.2, poll_seconds=0.05):
...             pass
...     except Exception as exc:
...         print(type(exc).__name__)
ConfigError
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from leadlab.errors import ConfigError
from leadlab.i18n import _, fmt

#: how long a run waits for another run to finish before giving up
WAIT_SECONDS = 300.0
LOCK_NAME = ".alerts.lock"


def default_lock_path() -> Path:
    """``data/.alerts.lock`` of the current project."""
    from leadlab.paths import data_dir

    return data_dir() / LOCK_NAME


def _try_lock(fd: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def run_lock(path: Path | None = None, *, wait_seconds: float = WAIT_SECONDS, poll_seconds: float = 0.2,
             clock=time.monotonic, sleep=time.sleep) -> Iterator[Path]:
    """Hold the project's alerts lock; wait up to ``wait_seconds`` for another run to finish,
    then ConfigError naming the lock file (exit 2 in the CLI)."""
    path = Path(path) if path is not None else default_lock_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigError(_("alerts lock file {path}: cannot open it ({reason})", path=str(path),
                            reason=exc.strerror or type(exc).__name__)) from None
    try:
        deadline = clock() + wait_seconds
        while not _try_lock(fd):
            if clock() >= deadline:
                raise ConfigError(_("alerts lock file {path}: another leadlab alerts run still holds it after "
                                    "{seconds} s; try again when it has finished", path=str(path),
                                    seconds=fmt.number(wait_seconds, 1)))
            sleep(poll_seconds)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock
