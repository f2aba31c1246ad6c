"""JSON Schemas of techapp's machine-readable outputs, generated from the models.

``python -m techapp.schemas`` rewrites the files under ``docs/schemas/``; a
test fails when a committed schema differs from what the code produces.

* ``info-v1``: ``techapp info --json`` (:class:`InfoDocument`);
* ``diagnosis-v1``: ``techapp diagnose --json`` (:class:`DiagnosisDocument`, mirroring
  ``Diagnosis.to_dict()``); its enumerations come from the code: the check ids the judge
  emits, ``rules.PRIORITY``, the model's literals and the parameter names;
* ``backup-v1``: the parameter backups of :mod:`techapp.backups` (:class:`BackupDocument`);
* ``report-v1``: the service reports of :mod:`techapp.report` (:mod:`techapp.report.schema`);
* ``network-v1``: ``techapp network --json`` (:class:`NetworkDocument`, from the dataclasses).
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, NotRequired, get_type_hints

from pydantic import ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from drivers.models import CommTestResult, Counters, Hardware, Identity, KeyStatus, LogEntry, Parameters, SignOnResult

from .backups import SCHEMA as BACKUP_SCHEMA
from .diagnosis import model as diagnosis_model
from .diagnosis.checks import Context, judge
from .diagnosis.model import STATUSES, Confidence, FindingState, Outcome, Severity, Status
from .diagnosis.rules import PRIORITY
from .diagnosis.runner import Readings
from .hostcheck import VERDICTS, EchoResult, NetworkVerdict
from .info import SCHEMA as INFO_SCHEMA
from .netcheck import HostCheck, LocalNetwork
from .report.schema import report_schema

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schemas"


class _Logs(TypedDict):
    response_codes: list[LogEntry] | None
    errors: list[LogEntry] | None


class _SectionError(TypedDict):
    section: str
    error_type: str
    message: str


class InfoDocument(TypedDict):
    """Output of ``techapp info --json``. Sections not read are null and listed in ``errors``."""

    schema: Literal["techapp.info/1"]
    generator: NotRequired[
        Annotated[str, Field(description="the techapp that wrote it: 'techapp VERSION+gCOMMIT' (README 'one version')")]
    ]
    port: str
    driver: str
    read_at: datetime
    protocol_version: int | None
    identity: Identity | None
    parameters: Parameters | None
    keys: KeyStatus | None
    hardware: Hardware | None
    counters: Counters | None
    logs: _Logs
    errors: list[_SectionError]


LOCAL_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$",
    "description": "local date and time without offset (terminal times are the terminal's own clock)",
}


def _local_times(node: Any) -> Any:
    """Terminals know no time zone: describe naive times by pattern, not as RFC 3339 date-time."""
    if isinstance(node, dict):
        if node.get("format") == "date-time":
            return {**LOCAL_TIME, **({"title": node["title"]} if "title" in node else {})}
        return {k: _local_times(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_local_times(v) for v in node]
    return node


def info_schema() -> dict[str, Any]:
    schema = _local_times(TypeAdapter(InfoDocument).json_schema(mode="serialization"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = INFO_SCHEMA
    return schema


# -- techapp.diagnosis/1 ---------------------------------------------------------------------------
# The JSON of ``Diagnosis.to_dict()`` (techapp/diagnosis/model.py), written by ``techapp diagnose --json``.
# Mirrored here as closed TypedDicts; the enumerations come from the code (model literals, the
# check ids the judge emits, rules.PRIORITY, the parameter names), so a new id changes the schema.

CLOSED = ConfigDict(extra="forbid")

#: The checklist of a run with nothing read: every check, in the order every run lists them.
_CHECKLIST = judge(Readings(), Context(None, None))
CheckId = Literal[tuple(c.id for c in _CHECKLIST)]  # type: ignore[misc]
CheckGroup = Literal[tuple(dict.fromkeys(c.group for c in _CHECKLIST))]  # type: ignore[misc]
FindingId = Literal[tuple(PRIORITY)]  # type: ignore[misc]
ActionKind = get_type_hints(diagnosis_model.Action)["kind"]
OutcomeResult = get_type_hints(diagnosis_model.ActionOutcome)["result"]
ParameterName = Literal[tuple(f.name for f in fields(Parameters))]  # type: ignore[misc]
#: Action.operation: "" for manual actions and escalations, else what Diagnoser._apply runs.
Operation = Literal[
    "", "write-parameters", "sync-clock", "sign-on", "print-test-page", "settle", "initialise", "register"
]
#: What a settlement (operation "settle") records beside the batch number: the unsettled count, reported and read back.
SettleValue = Literal["unsettled_transactions"]
COMPARED_WITH = r"^(|work order .+|acquirer profile .+|laptop clock)$"


@with_config(CLOSED)
class Text(TypedDict):
    """One thing said in English and in Chinese (simplified)."""

    en: str
    zh: str


StatusCounts = with_config(CLOSED)(
    TypedDict("StatusCounts", {status: Annotated[int, Field(ge=0)] for status in STATUSES})  # type: ignore[misc]
)
StatusCounts.__doc__ = "How many checks ended in each status."


@with_config(CLOSED)
class Terminal(TypedDict, total=False):
    """The terminal as read: vendor to app once the identity was read, tid to merchant_name once the parameters were."""

    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    app: Annotated[str, Field(description="payment application name and version")]
    tid: str
    mid: str
    merchant_name: str


@with_config(CLOSED)
class WorkOrder(TypedDict):
    """The work order the run compared against (techapp/workorder.py); '' or null where the order says nothing."""

    id: str
    mid: str
    tid: str
    merchant_name: str
    serial_number: str
    acquirer_profile: str
    tmk_index: int | None
    tmk_kcv: str
    notes: str
    apn: Annotated[str, Field(description="the APN the terminal's SIM needs (cellular); '' when not given")]
    complaint: Annotated[str, Field(description="what the merchant reported; its test is marked when untested")]
    site: Annotated[str, Field(description="where the terminal is (the shop's address), for the service report")]
    source: Annotated[str, Field(description="the file the work order was read from")]


@with_config(CLOSED)
class Check(TypedDict):
    """One line of the checklist. Every run lists every check, in the same order."""

    id: CheckId
    group: CheckGroup
    title: Text
    status: Status
    summary: Annotated[Text, Field(description="what was observed, in a sentence")]
    observed: Annotated[dict[str, Any], Field(description="the values read (keys depend on the check)")]
    expected: Annotated[dict[str, Any], Field(description="what they were compared with or the threshold")]
    compared_with: Annotated[
        str,
        Field(
            pattern=COMPARED_WITH,
            description="the reference: 'work order ID', 'acquirer profile ID', 'laptop clock', or '' (none)",
        ),
    ]
    error_type: Annotated[str | None, Field(description="status 'error': the typed error's class name")]
    duration_ms: Annotated[int, Field(ge=0, description="time of the reading step behind the check (0: none)")]
    fields: Annotated[
        list[ParameterName], Field(description="the payment parameters the check judges (for highlighting them)")
    ]


@with_config(CLOSED)
class Change(TypedDict):
    before: Any
    after: Any


Condition = Literal["host-link", "clock", "settled-batch", "unlocked", "keys"]


@with_config(CLOSED)
class Action(TypedDict):
    """A repair: automatic (done through the driver after confirmation), manual (steps) or escalation (text)."""

    id: str
    kind: ActionKind
    title: Text
    steps: list[Text]
    verify: Annotated[Text | None, Field(description="what to check afterwards")]
    changes: Annotated[dict[ParameterName, Change], Field(description="parameter writes: name -> before, after")]
    operation: Operation
    then_sign_on: Annotated[bool, Field(description="the terminal signs on after the action to prove it")]
    after_manual: Annotated[
        bool, Field(description="only useful once the finding's manual steps are done (--fix auto skips it)")
    ]
    blocked: Annotated[Text | None, Field(description="why it cannot be done now")]
    text: Annotated[Text | None, Field(description="escalation: the text to send")]
    recipient: Annotated[str, Field(description="escalation: the helpdesk's e-mail or phone ('' if unknown)")]
    needs: Annotated[
        list[Condition],
        Field(description="automatic: what it needs to run and be proven (repairs run in dependency order)"),
    ]
    restores: Annotated[list[Condition], Field(description="automatic: what it puts right for the actions after it")]


@with_config(CLOSED)
class Finding(TypedDict):
    """A root cause with its evidence and actions. Findings are listed most important first."""

    id: FindingId
    severity: Severity
    confidence: Confidence
    title: Text
    cause: Text
    evidence: list[Text]
    checks: Annotated[list[CheckId], Field(description="the checks that support it")]
    actions: list[Action]
    procedure: Annotated[list[Text], Field(description="the 97/03 decision steps taken, else empty")]
    state: Annotated[
        FindingState,
        Field(description="'open', or 'fixed-during-diagnosis' when the diagnosis's own steps already repaired it"),
    ]


@with_config(CLOSED)
class SignOn(TypedDict):
    """The sign-on the terminal ran after an action, to prove it."""

    outcome: Annotated[str, Field(description="'ok', 'declined', 'no-answer', ... as the terminal reports it")]
    response_code: str | None
    host: Annotated[str, Field(description="address:port")]
    stan: int
    sent_at: datetime | None


@with_config(CLOSED)
class ActionOutcome(TypedDict):
    """What an automatic action did: backup, write, read-back, sign-on, and its checks before and after."""

    action: str
    finding: FindingId
    title: Annotated[Text | None, Field(description="the action's title as a person reads it")]
    finding_title: Annotated[Text | None, Field(description="the title of the finding the action was for")]
    result: OutcomeResult
    message: Text
    backup_path: Annotated[str, Field(description="the parameter backup written before the write ('' if none)")]
    written: Annotated[
        dict[ParameterName | Literal["clock"] | SettleValue, Any],
        Field(description="values written (a settlement: the unsettled count and batch number it reports)"),
    ]
    read_back: Annotated[
        dict[ParameterName | Literal["clock"] | SettleValue, Any],
        Field(description="the same values read back (a settlement: the unsettled count and the batch number)"),
    ]
    before: Annotated[dict[CheckId, Status], Field(description="status of the finding's checks before the repair")]
    after: Annotated[dict[CheckId, Status], Field(description="their status in the re-run after all repairs")]
    sign_on: SignOn | None


@with_config(CLOSED)
class Untested(TypedDict):
    """A test that bears on the terminal's health or the complaint and did not run (the complaint's first)."""

    step: Annotated[str, Field(description="the step that did not run: 'card-reader', 'keypad', 'sign-on' ...")]
    check: Annotated[CheckId, Field(description="the check that shows it in the checklist")]
    checks: Annotated[list[CheckId], Field(description="every check it leaves unjudged")]
    title: Text
    reason: Annotated[Text, Field(description="why it did not run ('not tested: no answer in 30 s ...')")]
    how: Annotated[Text, Field(description="how to test it, in words for any tool (report, window, command line)")]
    command_line: Annotated[
        Text | None, Field(description="the command line's own way to test it (options, commands), or null")
    ]
    complaint: Annotated[bool, Field(description="it is what the work order's complaint is about")]


@with_config(CLOSED)
class DiagnosisDocument(TypedDict):
    """Output of ``techapp diagnose --json``: the checklist, the ranked findings and the repairs done."""

    schema: Literal["techapp.diagnosis/1"]
    generator: NotRequired[
        Annotated[str, Field(description="the techapp that wrote it: 'techapp VERSION+gCOMMIT' (README 'one version')")]
    ]
    port: str
    started_at: datetime
    finished_at: datetime | None
    terminal: Terminal
    work_order: WorkOrder | None
    profile: Annotated[str | None, Field(description="id of the acquirer profile used")]
    counts: StatusCounts
    checks: Annotated[list[Check], Field(min_length=len(_CHECKLIST), max_length=len(_CHECKLIST))]
    findings: list[Finding]
    findings_before_repair: Annotated[list[FindingId], Field(description="finding ids before the repair; [] if none")]
    actions_taken: list[ActionOutcome]
    could_not_run: Annotated[Text | None, Field(description="why the diagnosis could not run or is partial")]
    cancelled: bool
    outcome: Annotated[
        Outcome,
        Field(description="healthy (exit 0), faults (exit 1) or incomplete (exit 3, or 2 when it could not run)"),
    ]
    headline: Annotated[Text, Field(description="the outcome in one line: the report's first line")]
    untested: list[Untested]
    exit_code: Literal[0, 1, 2, 3]


def _when_kind(kind: str, then: dict[str, Any]) -> dict[str, Any]:
    return {"if": {"properties": {"kind": {"const": kind}}}, "then": {"properties": then}}


NULL = {"type": "null"}


def diagnosis_schema() -> dict[str, Any]:
    schema = _local_times(TypeAdapter(DiagnosisDocument).json_schema(mode="serialization"))
    defs = schema["$defs"]
    # what each kind of action carries (techapp/diagnosis/actions.py)
    defs["Action"]["allOf"] = [
        _when_kind("automatic", {"operation": {"not": {"const": ""}}, "steps": {"maxItems": 0}, "text": NULL}),
        _when_kind(
            "manual",
            {
                "operation": {"const": ""},
                "changes": {"maxProperties": 0},
                "then_sign_on": {"const": False},
                "text": NULL,
            },
        ),
        _when_kind(
            "escalation",
            {"operation": {"const": ""}, "changes": {"maxProperties": 0}, "text": {"$ref": "#/$defs/Text"}},
        ),
    ]
    # Diagnosis.outcome: faults with findings, else incomplete when something did not run, else healthy
    # Diagnosis.exit_code: 2 could not run or cancelled, else 1 faults, 3 incomplete, 0 healthy
    no_findings = {"properties": {"findings": {"maxItems": 0}}}
    schema["allOf"] = [
        {
            "if": {"not": no_findings},
            "then": {"properties": {"outcome": {"const": "faults"}}},
            "else": {
                "if": {
                    "anyOf": [
                        {"properties": {"could_not_run": {"$ref": "#/$defs/Text"}}},
                        {"properties": {"cancelled": {"const": True}}},
                        {"properties": {"untested": {"minItems": 1}}},
                    ]
                },
                "then": {"properties": {"outcome": {"const": "incomplete"}}},
                "else": {"properties": {"outcome": {"const": "healthy"}}},
            },
        },
        {
            "if": {
                "anyOf": [
                    {"properties": {"could_not_run": {"$ref": "#/$defs/Text"}}},
                    {"properties": {"cancelled": {"const": True}}},
                ]
            },
            "then": {"properties": {"exit_code": {"const": 2}}},
            "else": {
                "if": {"properties": {"outcome": {"const": "faults"}}},
                "then": {"properties": {"exit_code": {"const": 1}}},
                "else": {
                    "if": {"properties": {"outcome": {"const": "incomplete"}}},
                    "then": {"properties": {"exit_code": {"const": 3}}},
                    "else": {"properties": {"exit_code": {"const": 0}}},
                },
            },
        },
    ]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = diagnosis_model.SCHEMA
    return schema


# -- techapp.backup/1 ----------------------------------------------------------------------------------


@with_config(CLOSED)
class BackupTerminal(TypedDict):
    """The terminal the parameters were read from ('unknown' and '' when its identity was not read)."""

    serial_number: Annotated[str, Field(description="a restore refuses a terminal with another serial number")]
    vendor: str
    model: str


@with_config(CLOSED)
class BackupDocument(TypedDict):
    """A parameter backup, saved before every parameter write; ``techapp restore --backup FILE`` writes it back."""

    schema: Literal["techapp.backup/1"]
    saved_at: Annotated[datetime, Field(description="the laptop's local time when the backup was written")]
    reason: Annotated[str, Field(description="e.g. 'before fix-tid (tid-mismatch)': the action and its finding")]
    terminal: BackupTerminal
    parameters: Annotated[Parameters, Field(description="the full parameter set, every field, as read")]


def backup_schema() -> dict[str, Any]:
    schema = _local_times(TypeAdapter(BackupDocument).json_schema(mode="serialization"))
    # load_backup refuses a parameter set with missing or unknown fields
    params = schema["$defs"]["Parameters"]
    params["additionalProperties"] = False
    params["required"] = [f.name for f in fields(Parameters)]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = BACKUP_SCHEMA
    return schema


# -- techapp.network/1 ----------------------------------------------------------------------------
# The JSON of ``NetworkReport.to_dict()`` (techapp/hostcheck.py), written by ``techapp network --json``;
# generated from the dataclasses themselves (docs/diagnosis.md "techapp network").


class NetworkLaptop(TypedDict):
    """The laptop's view from the same site: its interfaces and routes, its checks of the hosts, its echo tests."""

    local: LocalNetwork
    hosts: Annotated[list[HostCheck], Field(description="DNS, TCP and TLS to each host of the terminal's")]
    echo: Annotated[list[EchoResult], Field(description="one 0820/0830 echo test per host (docs/diagnosis.md)")]


class NetworkDocument(TypedDict):
    """Output of ``techapp network --json``: the terminal's comm test (and sign-on), the laptop's view, a verdict."""

    schema: Literal["techapp.network/1"]
    generator: NotRequired[
        Annotated[str, Field(description="the techapp that wrote it: 'techapp VERSION+gCOMMIT' (README 'one version')")]
    ]
    terminal: Annotated[CommTestResult | None, Field(description="the terminal's comm test; null when not read")]
    sign_on: Annotated[SignOnResult | None, Field(description="the terminal's sign-on (--sign-on); else null")]
    laptop: NetworkLaptop
    verdict: NetworkVerdict
    errors: Annotated[list[str], Field(description="what could not be read from the terminal")]


_HEX = {"type": "string", "pattern": "^([0-9A-F]{2})*$"}


def network_schema() -> dict[str, Any]:
    schema = TypeAdapter(NetworkDocument).json_schema(mode="serialization")
    defs = schema["$defs"]
    # the terminal reports its own local time (no zone); the laptop's times carry their offset
    for name in ("SignOnResult", "HostExchange"):
        defs[name] = _local_times(defs[name])
    for name in ("sent", "received"):
        defs["HostExchange"]["properties"][name] = {
            **_HEX,
            "description": f"the bytes {name} as on the wire (length, TPDU, header, ISO 8583), in hex",
        }
    defs["NetworkVerdict"]["properties"]["code"]["enum"] = sorted(VERDICTS)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "techapp.network/1"
    return schema


SCHEMAS = {
    "network-v1.schema.json": network_schema,
    "info-v1.schema.json": info_schema,
    "diagnosis-v1.schema.json": diagnosis_schema,
    "backup-v1.schema.json": backup_schema,
    "report-v1.schema.json": report_schema,
}


def render(name: str) -> str:
    return json.dumps(SCHEMAS[name](), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    for name in SCHEMAS:
        (SCHEMA_DIR / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {SCHEMA_DIR / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
