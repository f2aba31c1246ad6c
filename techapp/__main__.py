"""Entry point for ``python -m techapp`` and the PyInstaller build."""

import sys

try:
    from techapp.cli import main
except KeyboardInterrupt:  # Ctrl-C while the command line is loading: no traceback
    print("techapp: interrupted", file=sys.stderr)
    raise SystemExit(2) from None

raise SystemExit(main())
