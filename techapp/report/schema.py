"""The ``techapp.report/1`` JSON Schema, generated from these TypedDicts (docs/schemas/report-v1.schema.json).

Mirrors :func:`techapp.report.build.build_report` plus the seal (``fingerprint``, ``signature``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import TypedDict

from .build import SCHEMA

CLOSED = ConfigDict(extra="forbid")
StatusName = Literal["pass", "warn", "fail", "skipped", "error"]
Hex64 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


@with_config(CLOSED)
class Text(TypedDict):
    """The same words in English and Chinese."""

    en: str
    zh: str


@with_config(CLOSED)
class Person(TypedDict):
    name: str
    id: str


@with_config(CLOSED)
class ReportWorkOrder(TypedDict):
    id: str
    complaint: Annotated[str, Field(description="the work order's complaint (its notes when it has none)")]
    profile: str


@with_config(CLOSED)
class Merchant(TypedDict):
    name: str
    mid: str
    site: str


@with_config(CLOSED)
class ReportTerminal(TypedDict):
    vendor: str
    model: str
    serial_number: str
    firmware_version: str
    app_version: str
    tid: str
    mid: str


@with_config(CLOSED)
class Visit(TypedDict):
    port: Annotated[str, Field(description="the port, or 'simulated terminal (training)'")]
    started_at: Annotated[str | None, Field(description="ISO 8601 with the laptop's UTC offset")]
    finished_at: str | None
    profile: str


# "pass" is a Python keyword: this TypedDict is declared the functional way
Counts = TypedDict("Counts", {"pass": int, "warn": int, "fail": int, "skipped": int, "error": int})
Counts.__pydantic_config__ = CLOSED  # type: ignore[attr-defined]


@with_config(CLOSED)
class ChecklistItem(TypedDict):
    id: str
    status: StatusName
    title: Text
    summary: Text
    compared_with: str


@with_config(CLOSED)
class ChecklistGroup(TypedDict):
    group: str
    title: Text
    counts: Counts
    checks: list[ChecklistItem]


@with_config(CLOSED)
class ReportFinding(TypedDict):
    id: str
    severity: str
    confidence: str
    state: Literal["open", "fixed-during-diagnosis"]
    title: Text
    cause: Text
    evidence: list[Text]
    actions: Annotated[list[str], Field(description="ids of the finding's actions")]


@with_config(CLOSED)
class WrittenValue(TypedDict):
    name: str
    written: str
    read_back: str


@with_config(CLOSED)
class CheckChange(TypedDict):
    check: str
    title: Text
    before: str
    after: str


@with_config(CLOSED)
class SignOnProof(TypedDict):
    outcome: str
    response_code: str
    host: str
    at: str


@with_config(CLOSED)
class ActionTaken(TypedDict):
    action: str
    finding: str
    finding_title: Annotated[Text | None, Field(description="the finding the action was for, as titled then")]
    title: Text
    result: Literal["done", "failed", "declined", "blocked", "restored", "unverified"]
    message: Text
    values: list[WrittenValue]
    checks: list[CheckChange]
    sign_on: SignOnProof | None
    backup: Annotated[str, Field(description="file name of the parameter backup made before the write")]


@with_config(CLOSED)
class OpenItem(TypedDict):
    finding: str
    title: Text
    pending: list[Text]


@with_config(CLOSED)
class ManualStep(TypedDict):
    finding: str
    action: str
    title: Text
    steps: list[Text]


@with_config(CLOSED)
class Escalation(TypedDict):
    finding: str
    action: str
    title: Text
    recipient: str
    text: Text


@with_config(CLOSED)
class ReportUntested(TypedDict):
    check: str
    title: Text
    reason: Text
    how: Text
    complaint: bool


@with_config(CLOSED)
class MerchantSignature(TypedDict):
    name: str


@with_config(CLOSED)
class Signatures(TypedDict):
    technician: Person
    merchant: MerchantSignature


@with_config(CLOSED)
class Source(TypedDict):
    schema: Literal["techapp.diagnosis/1"]
    sha256: Annotated[Hex64, Field(description="SHA-256 of the diagnosis JSON in canonical form")]


@with_config(CLOSED)
class Signature(TypedDict):
    algorithm: Literal["Ed25519"]
    public_key: Annotated[str, Field(description="base64 of the raw 32-byte public key")]
    key_id: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    value: Annotated[str, Field(description="base64 of the 64-byte signature over the canonical form")]


@with_config(CLOSED)
class ReportDocument(TypedDict):
    """A service report (docs/reports.md). ``fingerprint`` is the SHA-256 of the canonical form of every
    other member except ``signature``."""

    schema: Literal["techapp.report/1"]
    report_no: str
    issued_at: Annotated[str, Field(description="ISO 8601 with the UTC offset")]
    time_zone: str
    training: Annotated[bool, Field(description="a simulated terminal (sim://): printed TRAINING on every page")]
    generator: str
    company: str
    technician: Person
    work_order: ReportWorkOrder | None
    merchant: Merchant
    terminal: ReportTerminal
    visit: Visit
    outcome: Literal["healthy", "faults", "incomplete"]
    exit_code: Literal[0, 1, 2, 3]
    headline: Text
    could_not_run: Text | None
    cancelled: bool
    counts: Counts
    checklist: list[ChecklistGroup]
    findings: list[ReportFinding]
    findings_before_repair: list[str]
    actions_taken: list[ActionTaken]
    open_items: list[OpenItem]
    manual_steps: list[ManualStep]
    escalations: list[Escalation]
    untested: list[ReportUntested]
    signatures: Signatures
    source: Source
    fingerprint: Hex64
    signature: NotRequired[Signature]


def report_schema() -> dict[str, Any]:
    schema = TypeAdapter(ReportDocument).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA
    return schema
