"""techapp: maintenance and diagnostics of POS terminals for field technicians."""

__version__ = "0.1.0"
