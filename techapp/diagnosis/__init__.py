"""Diagnosis: checks, root causes and repair actions (no Qt).

``Diagnoser(driver, password, ...).run()`` gathers the evidence
(:mod:`.runner`), judges it into a checklist (:mod:`.checks`), finds the root
causes (:mod:`.rules`) with their repair actions (:mod:`.actions`), and
``repair()`` runs the confirmed automatic actions with backup and read-back.
The decision rules are documented in ``docs/diagnosis.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_attributes

if TYPE_CHECKING:
    from .engine import Confirm, Diagnoser
    from .model import (
        OUTCOMES,
        SCHEMA,
        Action,
        ActionOutcome,
        CheckResult,
        Diagnosis,
        Finding,
        Outcome,
        Text,
        Untested,
    )
    from .runner import PersonPrompt, StepProgress

# Loaded on first use (PEP 562): `from techapp.diagnosis.model import Text` (the window, the history, reports)
# must not pull in the engine, the rules and the laptop's network checks (cryptography, psutil, ssl).
_HOME = {
    "Confirm": "engine",
    "Diagnoser": "engine",
    "PersonPrompt": "runner",
    "StepProgress": "runner",
    **dict.fromkeys(
        (
            "OUTCOMES",
            "SCHEMA",
            "Action",
            "ActionOutcome",
            "CheckResult",
            "Diagnosis",
            "Finding",
            "Outcome",
            "Text",
            "Untested",
        ),
        "model",
    ),
}


__getattr__, __dir__ = lazy_attributes(globals(), _HOME)


__all__ = [
    "OUTCOMES",
    "SCHEMA",
    "Action",
    "ActionOutcome",
    "CheckResult",
    "Confirm",
    "Diagnoser",
    "Diagnosis",
    "Finding",
    "Outcome",
    "PersonPrompt",
    "StepProgress",
    "Text",
    "Untested",
]
