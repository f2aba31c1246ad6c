"""The diagnosis's vocabulary: check results, findings, repair actions and the whole result.

Everything a person reads comes in Chinese and English (:class:`Text`); the
JSON form (schema ``techapp.diagnosis/1``, ``docs/schemas/diagnosis-v1.schema.json``)
carries both. Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

SCHEMA = "techapp.diagnosis/1"

Status = Literal["pass", "warn", "fail", "skipped", "error"]
STATUSES: tuple[Status, ...] = ("pass", "warn", "fail", "skipped", "error")
Confidence = Literal["high", "medium", "low"]
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}
Severity = Literal["critical", "high", "medium", "low"]
#: What one run amounts to (docs/diagnosis.md, "Outcomes"): every check that bears on the terminal's
#: health or the complaint ran and passed; at least one finding; or no finding among what ran while
#: named checks did not run.
Outcome = Literal["healthy", "faults", "incomplete"]
OUTCOMES: tuple[Outcome, ...] = ("healthy", "faults", "incomplete")
#: Exit codes of ``techapp diagnose`` (and ``Diagnosis.exit_code``).
EXIT_HEALTHY, EXIT_FAULTS, EXIT_COULD_NOT_RUN, EXIT_INCOMPLETE = 0, 1, 2, 3
SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
FindingState = Literal["open", "fixed-during-diagnosis"]


@dataclass(frozen=True)
class Text:
    """One thing said in both languages."""

    en: str
    zh: str

    def __call__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}

    def __add__(self, other: Text) -> Text:
        """Joined as written: put any space or punctuation between the parts into the parts."""
        return Text(self.en + other.en, self.zh + other.zh)


def T(en: str, zh: str) -> Text:  # noqa: N802 - reads like a literal
    return Text(en, zh)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, Text):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


@dataclass
class CheckResult:
    """One line of the checklist: what was checked, what was seen, and the judgement."""

    id: str  # e.g. "params.tid"; stable, used by rules, actions and the GUI
    group: str  # "link", "identity", "parameters", "keys", "hardware", "counters", "self-test", "network", "sign-on"
    title: Text
    status: Status
    summary: Text  # what was observed, in a sentence
    observed: dict[str, Any] = field(default_factory=dict)  # the values read
    expected: dict[str, Any] = field(default_factory=dict)  # what they were compared with
    compared_with: str = ""  # "work order WO-...", "acquirer profile demo", "laptop clock", ""
    error_type: str | None = None  # for status "error": the typed error's class name
    duration_ms: int = 0
    fields: list[str] = field(default_factory=list)  # the payment parameters it judges ("tid", "primary_host")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group": self.group,
            "title": self.title.to_dict(),
            "status": self.status,
            "summary": self.summary.to_dict(),
            "observed": _jsonable(self.observed),
            "expected": _jsonable(self.expected),
            "compared_with": self.compared_with,
            "error_type": self.error_type,
            "duration_ms": self.duration_ms,
            "fields": list(self.fields),
        }


@dataclass
class Action:
    """A repair a finding offers.

    ``automatic``: done through the driver after confirmation (``changes`` are
    parameter writes, ``operation`` names anything else); ``manual``: numbered
    ``steps`` and what to check afterwards; ``escalation``: ``text`` ready to
    send to the acquirer's helpdesk.
    """

    id: str  # e.g. "fix-tid"
    kind: Literal["automatic", "manual", "escalation"]
    title: Text
    steps: list[Text] = field(default_factory=list)
    verify: Text | None = None  # what to check afterwards
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # parameter -> (now, after)
    operation: str = ""  # automatic only: "write-parameters", "sync-clock", "sign-on", "print-test-page"
    then_sign_on: bool = False  # automatic writes that only count once a sign-on proves them
    blocked: Text | None = None  # why it cannot be done now (e.g. an open batch refuses edits)
    after_manual: bool = False  # only useful once the finding's manual steps are done (print a test page)
    text: Text | None = None  # escalation text
    recipient: str = ""  # escalation: who to send it to
    # automatic only (techapp.diagnosis.plan): conditions it needs / puts right; the repair order follows them
    needs: tuple[str, ...] = ()
    restores: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title.to_dict(),
            "steps": [s.to_dict() for s in self.steps],
            "verify": self.verify.to_dict() if self.verify else None,
            "changes": {k: {"before": _jsonable(a), "after": _jsonable(b)} for k, (a, b) in self.changes.items()},
            "operation": self.operation,
            "then_sign_on": self.then_sign_on,
            "after_manual": self.after_manual,
            "blocked": self.blocked.to_dict() if self.blocked else None,
            "text": self.text.to_dict() if self.text else None,
            "recipient": self.recipient,
            "needs": list(self.needs),
            "restores": list(self.restores),
        }


@dataclass
class Finding:
    """A root cause: what is wrong, why the app thinks so, how sure it is, and what to do."""

    id: str  # e.g. "tid-mismatch"
    severity: Severity
    confidence: Confidence
    title: Text
    cause: Text  # the root cause in plain words
    evidence: list[Text] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # ids of the checks that support it
    actions: list[Action] = field(default_factory=list)
    procedure: list[Text] = field(default_factory=list)  # the decision steps taken (97/03 procedure)
    priority: int = 100  # within a severity: lower first (see rules.PRIORITY)
    # "fixed-during-diagnosis": the diagnosis's own steps (its sign-on, ...) already repaired it;
    # still a finding (the merchant was affected), shown with its state
    state: FindingState = "open"

    def rank_key(self) -> tuple[int, int, int]:
        return (SEVERITY_ORDER[self.severity], self.priority, CONFIDENCE_ORDER[self.confidence])

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "confidence": self.confidence,
            "title": self.title.to_dict(),
            "cause": self.cause.to_dict(),
            "evidence": [e.to_dict() for e in self.evidence],
            "checks": list(self.checks),
            "actions": [a.to_dict() for a in self.actions],
            "procedure": [p.to_dict() for p in self.procedure],
            "state": self.state,
        }


@dataclass
class ActionOutcome:
    """What happened when an automatic action ran: backup, write, read-back, and checks before/after."""

    action: str
    finding: str
    #: "unverified": the commit was confirmed (or may have happened) but no read-back succeeded, even after
    #: reconnecting: the terminal probably holds the new values; the backup undoes it (never "failed")
    result: Literal["done", "failed", "declined", "blocked", "restored", "unverified"]
    message: Text
    backup_path: str = ""
    written: dict[str, Any] = field(default_factory=dict)
    read_back: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Status] = field(default_factory=dict)  # check id -> status before
    after: dict[str, Status] = field(default_factory=dict)  # check id -> status after the re-run
    sign_on: dict[str, Any] | None = None  # the sign-on that proves the fix (outcome, response code)
    sign_on_result: Any = field(default=None, repr=False, compare=False)  # drivers.models.SignOnResult
    #: a settlement action's drivers.models.SettlementResult (its 0500/0510 for techapp.evidence); not in the JSON
    settlement_result: Any = field(default=None, repr=False, compare=False)
    title: Text | None = None  # the action's title, as the report names it (set by the engine)
    finding_title: Text | None = None  # the title of the finding it was for

    def to_dict(self) -> dict[str, Any]:
        return _jsonable(
            {
                "action": self.action,
                "finding": self.finding,
                "title": self.title,
                "finding_title": self.finding_title,
                "result": self.result,
                "message": self.message,
                "backup_path": self.backup_path,
                "written": self.written,
                "read_back": self.read_back,
                "before": self.before,
                "after": self.after,
                "sign_on": self.sign_on,
            }
        )


@dataclass(frozen=True)
class Untested:
    """A test that bears on the terminal's health or the complaint and did not run in this run.

    ``step`` is the runner step that did not run (``card-reader``, ``sign-on`` ...), ``check`` the
    check that shows it in the checklist and ``checks`` every check it leaves unjudged; ``reason``
    says why it did not run, ``how`` how to test it (in words for any tool; ``command_line`` the
    command line's options for it, when there are some); ``complaint`` is True when it is what the work
    order's complaint is about (``outcome.complaint_steps``). Built by :func:`.outcome.untested`.
    """

    step: str
    check: str
    title: Text
    reason: Text
    how: Text
    complaint: bool = False
    checks: tuple[str, ...] = ()
    #: the command line's own way to test it (its options or commands); ``how`` says it for any tool
    command_line: Text | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "check": self.check,
            "checks": list(self.checks),
            "title": self.title.to_dict(),
            "reason": self.reason.to_dict(),
            "how": self.how.to_dict(),
            "command_line": self.command_line.to_dict() if self.command_line else None,
            "complaint": self.complaint,
        }


def _listed(items: list[Text], lang_sep: tuple[str, str] = ("; ", "；")) -> Text:
    return Text(lang_sep[0].join(t.en for t in items), lang_sep[1].join(t.zh for t in items))


@dataclass
class Diagnosis:
    """The whole result of one run."""

    port: str
    started_at: datetime
    finished_at: datetime | None = None
    terminal: dict[str, Any] = field(default_factory=dict)  # vendor, model, serial_number, tid, mid ...
    work_order: dict[str, Any] | None = None
    profile: str | None = None
    checks: list[CheckResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    actions_taken: list[ActionOutcome] = field(default_factory=list)
    findings_before: list[str] = field(default_factory=list)  # finding ids before any repair
    could_not_run: Text | None = None  # set when the diagnosis could not run (no link, no login)
    cancelled: bool = False
    #: the tests that bear on health or the complaint and did not run, the complaint's first
    untested: list[Untested] = field(default_factory=list)

    def check(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def top(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def outcome(self) -> Outcome:
        """``faults`` with any finding (of any state); else ``incomplete`` when a test that bears on the
        terminal's health or the complaint did not run, or the run could not run or was cancelled;
        else ``healthy``."""
        if self.findings:
            return "faults"
        if self.untested or self.could_not_run is not None or self.cancelled:
            return "incomplete"
        return "healthy"

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 faults found, 3 incomplete; 2 the diagnosis could not run (or was cancelled)."""
        if self.could_not_run is not None or self.cancelled:
            return EXIT_COULD_NOT_RUN
        return {"healthy": EXIT_HEALTHY, "faults": EXIT_FAULTS, "incomplete": EXIT_INCOMPLETE}[self.outcome]

    @property
    def headline(self) -> Text:
        """The outcome in one line: the first line of the report and the window's verdict.

        Names what was not tested and how to test it (the complaint's test first).
        """
        if self.could_not_run is not None:
            head = Text("Could not run: ", "无法完成诊断：") + self.could_not_run
            if self.findings:
                head = head + Text("; found from what was read: ", "；根据已读取的内容发现：") + self.findings[0].title
            return head
        if self.cancelled:
            return Text(
                "Cancelled: the checks after the cancel did not run; run the diagnosis again",
                "已取消：取消后的检查未运行；请重新诊断",
            )
        if self.findings:
            top = self.findings[0]
            more = len(self.findings) - 1
            head = Text("Faults found: ", "发现故障：") + top.title
            if more:
                head = head + Text(f" (and {more} more)", f"（另有 {more} 项）")
            n = len(self.untested)
            if n:
                tests = "test" if n == 1 else "tests"
                head = head + Text(f"; {n} {tests} did not run (see Not tested)", f"；{n} 项未测试（见“未测试”）")
            return head
        if self.untested:
            first = self.untested[0]
            not_tested = self._not_tested()
            return (
                Text(
                    "Incomplete: no fault found in what ran, but not tested: ",
                    "诊断不完整：已运行的检查未发现故障，但未测试：",
                )
                + not_tested
                + Text(". To test: ", "。测试方法：")
                + first.how
            )
        flagged = sum(1 for c in self.checks if c.status in ("warn", "fail"))
        if flagged:
            checks = "check warns or fails" if flagged == 1 else "checks warn or fail"
            return Text(
                f"Healthy: every test that bears on the terminal's health ran and no fault was found; "
                f"{flagged} {checks} without pointing at a root cause (see the checklist)",
                f"正常：与终端健康相关的检查均已运行，未发现故障；"
                f"{flagged} 项检查有警告或失败，但不指向故障原因（见检查清单）",
            )
        return Text(
            "Healthy: every check that bears on the terminal's health ran and passed",
            "正常：与终端健康相关的检查均已运行并通过",
        )

    def _not_tested(self) -> Text:
        """ "Card reader test [the complaint], Keypad test (why)": titles that share a reason share it."""
        groups: list[tuple[Text, list[Text]]] = []
        for u in self.untested:
            mark = Text(" [the complaint]", "【投诉所指】") if u.complaint else Text("", "")
            if groups and groups[-1][0] == u.reason:
                groups[-1][1].append(u.title + mark)
            else:
                groups.append((u.reason, [u.title + mark]))
        return _listed(
            [_listed(titles, (", ", "、")) + Text(" (", "（") + reason + Text(")", "）") for reason, titles in groups]
        )

    def to_dict(self) -> dict[str, Any]:
        counts = {s: sum(1 for c in self.checks if c.status == s) for s in STATUSES}
        from ..version import generator

        return {
            "schema": SCHEMA,
            "generator": generator(),
            "port": self.port,
            "started_at": _jsonable(self.started_at),
            "finished_at": _jsonable(self.finished_at),
            "terminal": _jsonable(self.terminal),
            "work_order": _jsonable(self.work_order),
            "profile": self.profile,
            "counts": counts,
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
            "findings_before_repair": list(self.findings_before),
            "actions_taken": [a.to_dict() for a in self.actions_taken],
            "could_not_run": self.could_not_run.to_dict() if self.could_not_run else None,
            "cancelled": self.cancelled,
            "outcome": self.outcome,
            "headline": self.headline.to_dict(),
            "untested": [u.to_dict() for u in self.untested],
            "exit_code": self.exit_code,
        }
