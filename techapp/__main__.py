"""Entry point for ``python -m techapp`` and the PyInstaller build."""

from techapp.cli import main

raise SystemExit(main())
