"""The ``techapp`` command: the window for no arguments or ``--demo``, the command line otherwise.

Qt is imported only when the window opens, so ``techapp diagnose ...`` on a
headless box never loads it (and ``python -m techapp`` never imports ``ui``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

GUI_ARGS = ({"--demo"}, set())


def wants_gui(argv: Sequence[str]) -> bool:
    """True for ``techapp`` and ``techapp --demo`` (plus Qt's own ``-style``-like options are not accepted)."""
    return set(argv) in GUI_ARGS and len(argv) <= 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_gui(args):
        from .app import run_gui

        return run_gui(demo="--demo" in args)
    from techapp.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
