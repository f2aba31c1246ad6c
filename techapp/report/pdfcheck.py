"""Read back the fingerprint a report PDF carries, without Qt.

The renderer writes it twice: in the XMP metadata stream (``<techapp:fingerprint>HEX</techapp:fingerprint>``,
uncompressed as XMP is meant to be, so a byte search finds it) and in the footer of every page. The
metadata is read first; when it is missing (a PDF re-saved by another program) and ``pdftotext``
(poppler-utils) is installed, the footer text is read. Both must agree when both are there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

_XMP = re.compile(rb"<techapp:fingerprint>([0-9a-f]{64})</techapp:fingerprint>")
_TEXT = re.compile(r"\b([0-9a-f]{64})\b")


def fingerprints_in_pdf(path: str | Path) -> tuple[set[str], set[str]]:
    """(fingerprints in the metadata, fingerprints in the page text) of the PDF at ``path``.

    Raises ``OSError`` when the file cannot be read, ``ValueError`` when it is not a PDF.
    """
    data = Path(path).read_bytes()
    if not data.startswith(b"%PDF-"):
        raise ValueError(f"{path} is not a PDF file")
    meta = {m.decode("ascii") for m in _XMP.findall(data)}
    text: set[str] = set()
    exe = shutil.which("pdftotext")
    if exe:
        try:
            out = subprocess.run(
                [exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60, check=False
            ).stdout.decode("utf-8", "replace")
            text = set(_TEXT.findall(out))
        except (OSError, subprocess.TimeoutExpired):
            text = set()
    return meta, text


def pdf_fingerprint(path: str | Path) -> tuple[str, str]:
    """(status, fingerprint): status "found" (one fingerprint), "none" or "conflict" (several disagree)."""
    meta, text = fingerprints_in_pdf(path)
    found = meta | text
    if not found:
        return "none", ""
    if len(found) > 1:
        return "conflict", ", ".join(sorted(found))
    return "found", next(iter(found))
