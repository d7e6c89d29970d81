"""Entry point of ``python -m scheduler.generator``; the command line is in
:mod:`scheduler.generator.cli` (kept out of this file so that importing the package does not
import ``__main__``)."""

from __future__ import annotations

import sys

from scheduler.generator.cli import main

if __name__ == "__main__":
    sys.exit(main())
