"""The service report: canonical JSON (``techapp.report/1``), its seal, and rendering to PDF or a printer.

The data, the canonical form, the fingerprint and the signature live here (no Qt). The
rendering needs QtGui (QTextDocument, QPdfWriter, QPrinter), which the ``techapp`` layer may
not import (tests/test_architecture.py), so it lives in ``ui/report_render.py`` and registers
itself here: :func:`register_renderer`. The ``techapp`` command (``ui.launcher``) and the
window register it; ``python -m techapp report`` without the ``ui`` package says so instead of
rendering. See docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .build import SCHEMA, build_report, report_number
    from .mask import clean, clean_tree, mask_pan

# `seal` is both a submodule and a function: imported here, so the package attribute is always the function
from .seal import Verification, canonical_bytes, fingerprint, public_key_b64, seal, verify_report

# The report's data and mask load on first use (PEP 562): building the command line's `report`
# parser imports this package, and `techapp diagnose` should not pay for them before its first byte.
_LAZY = {
    "SCHEMA": "build",
    "build_report": "build",
    "report_number": "build",
    "clean": "mask",
    "clean_tree": "mask",
    "mask_pan": "mask",
}


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)


PAPERS = ("A4", "Letter")
LANGS = ("en", "zh")


class RenderUnavailable(RuntimeError):
    """No renderer is registered (the ``ui`` package, with Qt, is not loaded)."""


class RenderError(RuntimeError):
    """The report could not be rendered (no font with Chinese characters, the file cannot be written...)."""


class Renderer(Protocol):
    def render_pdf(self, report: dict[str, Any], path: Path, *, lang: str, paper: str = "A4") -> None: ...

    def render_to_printer(self, report: dict[str, Any], printer: Any, *, lang: str) -> None: ...

    def print_report(self, report: dict[str, Any], *, lang: str, paper: str = "A4", printer_name: str = "") -> str: ...


_loader: Callable[[], Renderer] | None = None


def register_renderer(loader: Callable[[], Renderer]) -> None:
    """Set the function that returns the renderer (called on first use, so registering costs nothing)."""
    global _loader
    _loader = loader


def renderer() -> Renderer:
    if _loader is None:
        raise RenderUnavailable(
            "rendering a report needs the desktop part of techapp (Qt): run it as `techapp report ...`"
        )
    return _loader()


def render_pdf(report: dict[str, Any], path: str | Path, *, lang: str, paper: str = "A4") -> None:
    """Write the sealed ``report`` as a PDF in ``lang`` ("en"/"zh") on ``paper`` ("A4"/"Letter")."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}, not {paper!r}")
    renderer().render_pdf(report, Path(path), lang=lang, paper=paper)


def render_to_printer(report: dict[str, Any], printer: Any, *, lang: str) -> None:
    """Print the sealed ``report`` on a configured ``QPrinter`` (the print dialog's or the preview's)."""
    renderer().render_to_printer(report, printer, lang=lang)


def print_report(report: dict[str, Any], *, lang: str, paper: str = "A4", printer_name: str = "") -> str:
    """Print on the named (else the system's default) printer without a dialog; returns the printer's name."""
    return renderer().print_report(report, lang=lang, paper=paper, printer_name=printer_name)


def load_report(path: str | Path) -> dict[str, Any]:
    """A report JSON file (``techapp.report/1``); ``ValueError`` when it is not one, ``OSError`` when unreadable."""
    from drivers.safeio import InputFileError, loads_json, read_text

    try:  # a regular file of bounded size; repeated keys, deep nesting and huge numbers are refused
        text = read_text(path, what="report")
    except InputFileError as err:
        cause = err.__cause__
        if isinstance(cause, OSError):
            raise OSError(cause.errno, cause.strerror or str(cause)) from None
        raise ValueError(str(err)) from None
    try:
        doc = loads_json(text, what=str(path))
    except InputFileError as err:
        raise ValueError(f"{path}: not a JSON file ({str(err).removeprefix(f'{path}: ')})") from None
    from .build import SCHEMA

    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        got = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise ValueError(f"{path}: not a service report (schema {got!r}, expected {SCHEMA})")
    return doc


def verify(report_json_path: str | Path, pdf_path: str | Path | None = None) -> Verification:
    """:func:`verify_report` on the file, and with ``pdf_path`` whether the PDF carries the same fingerprint."""
    from dataclasses import replace

    from .pdfcheck import pdf_fingerprint

    result = verify_report(load_report(report_json_path))
    if pdf_path is None:
        return result
    try:
        status, found = pdf_fingerprint(pdf_path)
    except (OSError, ValueError):
        return replace(result, pdf="unreadable")
    if status == "none":
        return replace(result, pdf="no-fingerprint")
    if status == "conflict":
        return replace(result, pdf="differs", pdf_fingerprint=found)
    # the PDF must match the report as it is now (and as it was sealed)
    same = found == result.fingerprint == result.stated
    return replace(result, pdf="matches" if same else "differs", pdf_fingerprint=found)


__all__ = [
    "load_report",
    "print_report",
    "verify",
    "LANGS",
    "PAPERS",
    "SCHEMA",
    "RenderError",
    "RenderUnavailable",
    "Verification",
    "build_report",
    "canonical_bytes",
    "clean",
    "clean_tree",
    "fingerprint",
    "mask_pan",
    "public_key_b64",
    "register_renderer",
    "render_pdf",
    "render_to_printer",
    "report_number",
    "seal",
    "verify_report",
]
