"""Entry point for ``python -m techapp`` and the PyInstaller build."""

import os
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
        # exit at once: after an import cut short by Ctrl-C CPython would end the process by SIGINT (130)
        print("techapp: interrupted", file=sys.stderr, flush=True)
        os._exit(2)
    raise

code = main()
if _interrupted:  # handled (the command said "interrupted"): keep its exit code, not CPython's SIGINT status
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
raise SystemExit(code)
