"""Lines to stdout and stderr that survive a reader who leaves early (``solve … | head``).

When the reading end of a pipe closes, the next write fails with BrokenPipeError. The
command must still finish its work (a solve still publishes), so the stream is pointed at
the null device and everything after is dropped quietly.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO


def emit(text: str, *, err: bool = False) -> None:
    """Print one line (or several) to stdout, or stderr with ``err``, flushed at once so
    that a closed pipe shows up here and not at exit."""
    stream = sys.stderr if err else sys.stdout
    try:
        print(text, file=stream, flush=True)
    except BrokenPipeError:
        silence(stream)


def silence(stream: TextIO) -> None:
    """Send the rest of ``stream``'s output, and what is still buffered, to the null device."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return  # not backed by a file descriptor (a test's capture): nothing to redirect
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
