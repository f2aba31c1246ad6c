"""Entry point for ``python -m techapp`` and the PyInstaller build."""

import signal
import sys

_interrupted: list[bool] = []


def _on_sigint(signum, frame):
    _interrupted.append(True)  # an import cut short by Ctrl-C may surface as an ImportError of a half-loaded module
    raise KeyboardInterrupt


if sys.argv[1:] == ["--version"]:  # no need to load the command line for this (tests/test_startup.py)
    from techapp import __version__

    print(f"techapp {__version__}")
    raise SystemExit(0)

signal.signal(signal.SIGINT, _on_sigint)
try:
    from techapp.cli import main
except BaseException as err:  # Ctrl-C while the command line is loading: no traceback
    if isinstance(err, KeyboardInterrupt) or (_interrupted and isinstance(err, ImportError)):
        print("techapp: interrupted", file=sys.stderr)
        raise SystemExit(2) from None
    raise

raise SystemExit(main())
