"""Entry point for ``python -m techapp`` and the PyInstaller build."""

import sys

if sys.argv[1:] == ["--version"]:  # no need to load the command line for this (tests/test_startup.py)
    from techapp import __version__

    print(f"techapp {__version__}")
    raise SystemExit(0)

try:
    from techapp.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is loading: no traceback
    print("techapp: interrupted", file=sys.stderr)
    raise SystemExit(2) from None

raise SystemExit(main())
