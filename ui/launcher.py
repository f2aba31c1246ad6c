"""The ``techapp`` command: the window for no arguments or ``--demo``, the command line otherwise.

Qt is imported only when the window opens, so ``techapp diagnose ...`` on a
headless box never loads it (and ``python -m techapp`` never imports ``ui``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

HEADLESS_HINT = (
    "techapp: no display for the desktop app here. Without a window use the command line, "
    "e.g. `techapp diagnose --demo`, `techapp info --port /dev/ttyACM0` (see `techapp --help`)."
)


def wants_gui(argv: Sequence[str]) -> bool:
    """True for ``techapp`` and ``techapp --demo``; everything else is the command line."""
    return list(argv) in ([], ["--demo"])


def has_display(environ=os.environ) -> bool:
    """False on a Linux box without X11 or Wayland, unless a Qt platform is chosen (offscreen, vnc ...)."""
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if wants_gui(args):
        if not has_display():
            print(HEADLESS_HINT, file=sys.stderr)
            return 2
        try:
            from ui.app import run_gui  # absolute: this file is also the frozen app's entry script
        except ImportError as err:  # Qt libraries missing on this system
            print(f"techapp: the desktop app cannot start ({err}).\n{HEADLESS_HINT}", file=sys.stderr)
            return 2
        return run_gui(demo="--demo" in args)
    from techapp.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
