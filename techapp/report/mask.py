"""Keep card numbers and key material out of reports: every free text goes through :func:`clean`.

* Card numbers (PAN): a run of 13 to 19 digits (spaces or dashes allowed between groups) that passes
  the Luhn check keeps its first 6 and last 4 digits, the rest become ``*``
  (``6222 0212 3456 7890 123`` -> ``622202*********0123``, separators dropped). Track-2 style
  ``PAN=YYMM...`` keeps only the masked PAN. Identifiers the report prints on purpose (the MID,
  TID, serial number) are passed in ``keep`` and left alone even when they pass Luhn.
* Key material: a run of 32 or more hexadecimal digits (a clear 16/24/32-byte key, a key block)
  becomes ``[hidden]``. Check values (6 or 8 hex digits) are what reports show of keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# 13-19 digits in one run, or grouped as printed on cards: 4-4-4-4(-1..3), 4-6-4/5 (a date-time
# like 20261204-172813 in a file name is neither)
_PAN_RUN = re.compile(
    r"(?<![0-9A-Za-z])(?:\d{13,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5})(?![0-9A-Za-z])"
)
_TRACK2_TAIL = re.compile(r"(\*+\d{4})=\d+\??")
_LONG_HEX = re.compile(r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}(?![0-9A-Fa-f])")
HIDDEN = "[hidden]"


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask_pan(pan: str) -> str:
    """``6222021234567890123`` -> ``622202*********0123`` (first 6, last 4)."""
    digits = re.sub(r"\D", "", pan)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def clean(text: str, keep: Iterable[str] = ()) -> str:
    """``text`` with card numbers masked and long hex runs (key material) hidden."""
    if not text:
        return text
    kept = {k for k in keep if k}

    def pan(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        if not 13 <= len(digits) <= 19 or digits in kept or not luhn_ok(digits):
            return m.group(0)
        return mask_pan(digits)

    out = _PAN_RUN.sub(pan, text)
    out = _TRACK2_TAIL.sub(r"\1", out)
    return _LONG_HEX.sub(HIDDEN, out)


def clean_tree(node: Any, keep: Iterable[str] = ()) -> Any:
    """:func:`clean` applied to every string in a JSON-like tree (dict keys are left as they are)."""
    keep = tuple(keep)
    if isinstance(node, str):
        return clean(node, keep)
    if isinstance(node, dict):
        return {k: clean_tree(v, keep) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [clean_tree(v, keep) for v in node]
    return node
