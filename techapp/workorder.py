"""Work orders: what the technician was sent to do, and the values the terminal must hold.

A work order names the job (id, merchant) and the contracted identity of the
terminal: MID, TID, serial number, the acquirer profile, and the key sheet's
check values. Checks compare the terminal against it and say so; without one
they still run where they can.

Formats (documented in ``docs/work-orders.md``): TOML and JSON with the same
keys, and CSV with one header row (one work order per row; a file with several
rows needs the id to pick one). Errors name the file, the field (and the CSV
row) and what was expected.
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from drivers.safeio import InputFileError, loads_json, loads_toml, read_text

TID_RE = re.compile(r"[0-9A-Za-z]{8}")
MID_RE = re.compile(r"[0-9]{15}")
KCV_RE = re.compile(r"[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}")
FIELDS = (
    "id",
    "merchant_name",
    "site",
    "mid",
    "tid",
    "serial_number",
    "acquirer_profile",
    "tmk_index",
    "tmk_kcv",
    "apn",
    "complaint",
    "notes",
)
REQUIRED = ("id", "mid", "tid")


class WorkOrderError(ValueError):
    """A work order file is unreadable or a field is invalid; the message names file, field and rule.

    ``field`` and ``problem`` say the same for a program (a form that marks the field and words the
    rule in its own language): problem is one of "unknown-field", "not-text", "required", "tid",
    "mid", "kcv", "tmk-index", "duplicate-field" (a CSV header naming a column twice), or "" for
    file-level errors.
    """

    def __init__(self, message: str, *, field: str | None = None, problem: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.problem = problem


@dataclass(frozen=True)
class WorkOrder:
    id: str
    mid: str
    tid: str
    merchant_name: str = ""
    serial_number: str = ""  # "" = the order does not name the device
    acquirer_profile: str = ""  # "" = choose the profile another way
    tmk_index: int | None = None
    tmk_kcv: str = ""  # key sheet check value of the TMK, 6 or 8 hex digits, upper case; "" = no key sheet
    notes: str = ""
    apn: str = ""  # the APN the terminal's SIM needs (cellular); "" = not given
    #: what the merchant reported ("card not read", "刷卡显示无效终端 97"): the matching untested test stands out
    complaint: str = ""
    #: where the terminal is (the shop's address): printed on the service report
    site: str = ""
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def tmk_kcv_matches(self, check_value: str) -> bool | None:
        """Compare with a terminal's check value (which may be longer); None when the order has no key sheet."""
        if not self.tmk_kcv:
            return None
        return check_value.upper().startswith(self.tmk_kcv)


def _text(raw: dict[str, Any], name: str, where: str) -> str:
    value = raw.get(name, "")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise WorkOrderError(f"{where}: field '{name}' must be text, got {value!r}", field=name, problem="not-text")
    return str(value).strip()


IDENTITIES = ("tid", "mid", "serial_number")


def _identities_are_text(raw: dict[str, Any], where: str) -> None:
    """A TID, MID or serial number given as a number (JSON ``1234567``) has already lost its leading zeros."""
    for name in IDENTITIES:
        value = raw.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise WorkOrderError(
                f"{where}: field '{name}' must be text in quotes (\"01234567\"), got the number {value!r}: "
                "a number loses its leading zeros",
                field=name,
                problem="not-text",
            )


def from_mapping(raw: dict[str, Any], *, where: str) -> WorkOrder:
    """Validate one work order given as a mapping of field names to values."""
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise WorkOrderError(
            f"{where}: unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}",
            field=unknown[0],
            problem="unknown-field",
        )
    _identities_are_text(raw, where)
    values = {name: _text(raw, name, where) for name in FIELDS if name != "tmk_index"}
    for name in REQUIRED:
        if not values[name]:
            raise WorkOrderError(f"{where}: field '{name}' is required", field=name, problem="required")
    if not TID_RE.fullmatch(values["tid"]):
        raise WorkOrderError(
            f"{where}: field 'tid' must be 8 letters or digits, got {values['tid']!r}", field="tid", problem="tid"
        )
    if not MID_RE.fullmatch(values["mid"]):
        raise WorkOrderError(
            f"{where}: field 'mid' must be 15 digits, got {values['mid']!r}", field="mid", problem="mid"
        )
    kcv = values["tmk_kcv"].replace(" ", "").upper()
    if kcv and not KCV_RE.fullmatch(kcv):
        raise WorkOrderError(
            f"{where}: field 'tmk_kcv' must be 6 or 8 hex digits (a key check value), got {kcv!r}",
            field="tmk_kcv",
            problem="kcv",
        )
    index_raw = raw.get("tmk_index", "")
    index: int | None = None
    if index_raw not in ("", None):
        text = str(index_raw).strip()
        if isinstance(index_raw, bool) or not text.isdigit() or not 0 <= int(text) <= 99:
            raise WorkOrderError(
                f"{where}: field 'tmk_index' must be a key index 0..99, got {index_raw!r}",
                field="tmk_index",
                problem="tmk-index",
            )
        index = int(text)
    return WorkOrder(
        id=values["id"],
        mid=values["mid"],
        tid=values["tid"],
        merchant_name=values["merchant_name"],
        serial_number=values["serial_number"],
        acquirer_profile=values["acquirer_profile"],
        tmk_index=index,
        tmk_kcv=kcv,
        notes=values["notes"],
        apn=values["apn"],
        complaint=values["complaint"],
        site=values["site"],
        source=where,
    )


def load_work_order(path: str | Path, order_id: str | None = None) -> WorkOrder:
    """Read a work order from ``.toml``, ``.json`` or ``.csv``; ``order_id`` picks a row of a CSV list."""
    path = Path(path)
    try:
        # a regular file of at most MAX_INPUT_BYTES; UTF-8 (spreadsheets often write a BOM: dropped)
        text = read_text(path, what="work order")
    except InputFileError as err:
        hint = " (save the file as UTF-8)" if "not UTF-8" in str(err) else ""
        raise WorkOrderError(f"{err}{hint}") from err
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:  # a key given twice is a TOML error (tomllib refuses it)
            doc = loads_toml(text, what=str(path))
        except InputFileError as err:
            raise WorkOrderError(str(err)) from err
        return from_mapping(doc, where=str(path))
    if suffix == ".json":
        try:  # a key given twice is refused: json would silently keep the last one
            doc = loads_json(text, what=str(path))
        except InputFileError as err:
            raise WorkOrderError(str(err)) from err
        if not isinstance(doc, dict):
            raise WorkOrderError(f"{path}: a work order is a JSON object")
        return from_mapping(doc, where=str(path))
    if suffix == ".csv":
        return _from_csv(path, text, order_id)
    raise WorkOrderError(f"{path}: unknown format {suffix or '(no extension)'}; use .toml, .json or .csv")


def _from_csv(path: Path, text: str, order_id: str | None) -> WorkOrder:
    reader = csv.DictReader(text.splitlines(), restval="")  # a short row's missing cells are empty
    try:
        header = reader.fieldnames or []
        seen: set[str] = set()
        for name in header:
            if name.strip() in seen:
                # csv.DictReader would keep the last column silently, and --fix auto would write it
                raise WorkOrderError(
                    f"{path}: the header names column '{name.strip()}' twice; which one is meant is not clear",
                    field=name.strip(),
                    problem="duplicate-field",
                )
            seen.add(name.strip())
        rows = list(reader)
    except csv.Error as err:  # e.g. a cell over the csv module's field size limit
        raise WorkOrderError(f"{path}: not a usable CSV file (line {reader.line_num}: {err})") from err
    if not rows:
        raise WorkOrderError(f"{path}: no work order rows under the header")
    orders = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if None in row:
            raise WorkOrderError(f"{path}: row {number} has more cells than the header has columns")
        cleaned = {k.strip(): v for k, v in row.items() if k is not None}
        if order_id is not None and (cleaned.get("id") or "").strip() != order_id:
            continue
        orders.append(from_mapping(cleaned, where=f"{path}: row {number}"))
    if order_id is not None and not orders:
        raise WorkOrderError(f"{path}: no row with id {order_id!r}")
    if len(orders) > 1:
        ids = ", ".join(o.id for o in orders)
        raise WorkOrderError(f"{path}: {len(orders)} work orders ({ids}); say which one with its id")
    return orders[0]
