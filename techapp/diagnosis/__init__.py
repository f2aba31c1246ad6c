"""Diagnosis: checks, root causes and repair actions (no Qt).

``Diagnoser(driver, password, ...).run()`` gathers the evidence
(:mod:`.runner`), judges it into a checklist (:mod:`.checks`), finds the root
causes (:mod:`.rules`) with their repair actions (:mod:`.actions`), and
``repair()`` runs the confirmed automatic actions with backup and read-back.
The decision rules are documented in ``docs/diagnosis.md``.
"""

from .engine import Confirm, Diagnoser
from .model import OUTCOMES, SCHEMA, Action, ActionOutcome, CheckResult, Diagnosis, Finding, Outcome, Text, Untested
from .runner import PersonPrompt, StepProgress

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
