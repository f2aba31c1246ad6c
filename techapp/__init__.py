"""techapp: maintenance and diagnostics of POS terminals for field technicians."""

VERSION = "0.1.0"  # the release number: the one place it is written (pyproject.toml reads it)


def __getattr__(name: str) -> str:
    # __version__ = VERSION plus the git commit (techapp.version), worked out on first use only
    if name == "__version__":
        from .version import full_version

        return full_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
