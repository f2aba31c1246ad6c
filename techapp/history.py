"""The visit history: every diagnosis, repair and restore, per terminal, in one SQLite file.

The database is ``history.sqlite3`` in the user data directory (``platformdirs``;
``TECHAPP_DATA_DIR`` overrides it, as for backups), created ``0600`` in a ``0700``
folder. It runs in WAL mode with ``synchronous=FULL``, and each visit is written in one
``BEGIN IMMEDIATE ... COMMIT`` transaction: a crash or a pulled power cord while a visit
is being saved loses nothing saved before and leaves no half visit.

The schema is versioned (``PRAGMA user_version``); :data:`MIGRATIONS` holds one step per
version and :meth:`History.open` brings an older file up to :data:`SCHEMA_VERSION`.
See ``docs/history.md``.

What is stored is what the diagnosis JSON holds (identity, parameters, counters, key
check values, findings, actions, backup paths) and the technician's name and id: never a
password or a key (the diagnosis never has one).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from .backups import data_dir
from .diagnosis.model import Diagnosis, Text
from .laptopclock import is_training

#: one thread at a time switches a history to WAL and migrates it: SQLite answers "database is locked" at
#: once (no busy wait) to a journal-mode change racing another connection (the bench's workers record together)
_OPEN_LOCK = threading.Lock()

FILENAME = "history.sqlite3"
Kind = Literal["diagnose", "repair", "restore"]
KINDS: tuple[Kind, ...] = ("diagnose", "repair", "restore")
#: how far back a finding counts as "repeated" at the same merchant
REPEAT_WINDOW = timedelta(days=30)


class HistoryError(RuntimeError):
    """The history database cannot be opened, is damaged, or is newer than this techapp."""


def default_path() -> Path:
    return data_dir() / FILENAME


# -- schema ---------------------------------------------------------------------------------------

_V1 = """
CREATE TABLE terminals (
    serial_number TEXT PRIMARY KEY,
    vendor TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE TABLE visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    serial_number TEXT NOT NULL REFERENCES terminals(serial_number),
    kind TEXT NOT NULL CHECK (kind IN ('diagnose', 'repair', 'restore')),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    technician_name TEXT NOT NULL DEFAULT '',
    technician_id TEXT NOT NULL DEFAULT '',
    work_order TEXT NOT NULL DEFAULT '',
    tid TEXT NOT NULL DEFAULT '',
    mid TEXT NOT NULL DEFAULT '',
    merchant TEXT NOT NULL DEFAULT '',
    port TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    exit_code INTEGER,
    headline_en TEXT NOT NULL DEFAULT '',
    headline_zh TEXT NOT NULL DEFAULT '',
    diagnosis_json TEXT
);
CREATE INDEX visits_sn ON visits(serial_number, started_at);
CREATE INDEX visits_mid ON visits(mid, started_at);
CREATE TABLE checks (
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    check_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    status TEXT NOT NULL,
    title_en TEXT NOT NULL, title_zh TEXT NOT NULL,
    summary_en TEXT NOT NULL, summary_zh TEXT NOT NULL,
    PRIMARY KEY (visit_id, seq)
);
CREATE TABLE findings (
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    finding_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    confidence TEXT NOT NULL,
    state TEXT NOT NULL,
    title_en TEXT NOT NULL, title_zh TEXT NOT NULL,
    cause_en TEXT NOT NULL, cause_zh TEXT NOT NULL,
    PRIMARY KEY (visit_id, seq)
);
CREATE INDEX findings_id ON findings(finding_id);
CREATE TABLE actions (
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    action_id TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    result TEXT NOT NULL,
    message_en TEXT NOT NULL, message_zh TEXT NOT NULL,
    backup_path TEXT NOT NULL DEFAULT '',
    written_json TEXT NOT NULL DEFAULT '{}',
    read_back_json TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (visit_id, seq)
);
"""

_V2 = """
ALTER TABLE visits ADD COLUMN training INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visits ADD COLUMN recorded_at TEXT NOT NULL DEFAULT '';
UPDATE visits SET training = 1 WHERE lower(port) LIKE 'sim://%';
CREATE TABLE readings (
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    section TEXT NOT NULL CHECK (section IN ('identity', 'versions', 'parameters', 'counters', 'keys')),
    name TEXT NOT NULL,
    value_json TEXT NOT NULL,
    PRIMARY KEY (visit_id, section, name)
);
CREATE TABLE backups (
    visit_id INTEGER NOT NULL REFERENCES visits(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (visit_id, path)
);
CREATE TABLE reports (
    visit_id INTEGER PRIMARY KEY REFERENCES visits(id) ON DELETE CASCADE,
    report_no TEXT NOT NULL DEFAULT '',
    fingerprint TEXT,
    report_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
"""


def _v2_backfill(conn: sqlite3.Connection) -> None:
    """Version 1 kept the readings only inside the diagnosis JSON: extract them for the comparison."""
    rows = conn.execute("SELECT id, diagnosis_json FROM visits WHERE diagnosis_json IS NOT NULL").fetchall()
    for visit_id, doc in rows:
        try:
            diagnosis = json.loads(doc)
        except ValueError:
            continue
        _insert_readings(conn, visit_id, readings_of(diagnosis))
        for a in diagnosis.get("actions_taken") or []:
            if a.get("backup_path"):
                conn.execute(
                    "INSERT OR IGNORE INTO backups (visit_id, path, role) VALUES (?, ?, 'before-write')",
                    (visit_id, a["backup_path"]),
                )


#: one step per schema version: step i brings a file from version i to i + 1 (SQL script, then Python)
MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None] | None]] = [
    (_V1, None),
    (_V2, _v2_backfill),
]
SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> Iterator[str]:
    for part in script.split(";"):
        if part.strip():
            yield part.strip()


def migrate(conn: sqlite3.Connection, *, upto: int = SCHEMA_VERSION) -> int:
    """Bring the open database to schema version ``upto``, each step in its own transaction; returns it."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history database is of a newer techapp (schema {version}, this one knows {SCHEMA_VERSION})"
        )
    while version < upto:
        script, backfill = MIGRATIONS[version]
        conn.execute("BEGIN IMMEDIATE")
        now = conn.execute("PRAGMA user_version").fetchone()[0]
        if now != version:  # another connection migrated meanwhile (a bench records several terminals at once)
            conn.execute("COMMIT")
            version = now
            continue
        try:
            for statement in _statements(script):
                conn.execute(statement)
            if backfill is not None:
                backfill(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    return version


# -- what is kept of a diagnosis ------------------------------------------------------------------


def _observed(diagnosis: dict[str, Any], check_id: str) -> dict[str, Any]:
    for c in diagnosis.get("checks") or []:
        if c.get("id") == check_id and c.get("status") not in ("skipped", "error"):
            return c.get("observed") or {}
    return {}


def readings_of(diagnosis: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """(section, name) -> value: what a later visit compares with (from a diagnosis JSON document)."""
    out: dict[tuple[str, str], Any] = {}
    terminal = diagnosis.get("terminal") or {}
    for name in ("vendor", "model", "serial_number"):
        if terminal.get(name):
            out[("identity", name)] = terminal[name]
    for name in ("firmware_version", "app"):
        if terminal.get(name):
            out[("versions", name)] = terminal[name]
    for name in ("tid", "mid", "merchant_name"):
        if terminal.get(name):
            out[("parameters", name)] = terminal[name]
    hosts = _observed(diagnosis, "params.hosts")
    for name in ("primary", "backup"):
        if hosts.get(name):
            out[("parameters", f"{name}_host")] = hosts[name]
    for check, keys in (
        ("params.tpdu", ("tpdu",)),
        ("params.header", ("header_status",)),
        ("params.comms", ("comm_mode", "apn", "tls")),
    ):
        seen = _observed(diagnosis, check)
        for k in keys:
            if k in seen and seen[k] is not None:
                out[("parameters", k)] = seen[k]
    counters = _observed(diagnosis, "params.counters")
    for k in ("stan", "batch"):
        if counters.get(k) is not None:
            out[("counters", k)] = counters[k]
    if (unsettled := _observed(diagnosis, "counters.batch").get("unsettled")) is not None:
        out[("counters", "unsettled")] = unsettled
    if (reversal := _observed(diagnosis, "counters.reversal").get("pending_reversal")) is not None:
        out[("counters", "pending_reversal")] = reversal
    if (used := _observed(diagnosis, "counters.log").get("used")) is not None:
        out[("counters", "log_used")] = used
    if (kcv := _observed(diagnosis, "keys.tmk").get("check_value")) is not None:
        out[("keys", "tmk_check_value")] = kcv  # a check value, never the key
    return out


def _insert_readings(conn: sqlite3.Connection, visit_id: int, readings: dict[tuple[str, str], Any]) -> None:
    conn.executemany(
        "INSERT OR REPLACE INTO readings (visit_id, section, name, value_json) VALUES (?, ?, ?, ?)",
        [(visit_id, s, n, json.dumps(v, ensure_ascii=False)) for (s, n), v in readings.items()],
    )


# -- read side ------------------------------------------------------------------------------------


@dataclass
class VisitSummary:
    """One line of the history list."""

    id: int
    serial_number: str
    kind: str
    started_at: str
    finished_at: str | None
    technician: dict[str, str]
    work_order: str
    tid: str
    mid: str
    merchant: str
    port: str
    training: bool
    outcome: str
    exit_code: int | None
    headline: Text
    findings: list[Text] = field(default_factory=list)
    report_no: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "visit": self.id,
            "serial_number": self.serial_number,
            "kind": self.kind,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "technician": dict(self.technician),
            "work_order": self.work_order,
            "tid": self.tid,
            "mid": self.mid,
            "merchant": self.merchant,
            "port": self.port,
            "training": self.training,
            "outcome": self.outcome,
            "exit_code": self.exit_code,
            "headline": self.headline.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "report_no": self.report_no,
        }


@dataclass
class Visit(VisitSummary):
    """A whole visit: what :meth:`History.visit` returns."""

    diagnosis: dict[str, Any] | None = None  # the stored diagnosis JSON (techapp.diagnosis/1)
    report: dict[str, Any] | None = None  # the report JSON (techapp.report/1) when one was made
    fingerprint: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    finding_rows: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    backups: list[dict[str, str]] = field(default_factory=list)
    readings: dict[tuple[str, str], Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One line of "compared with the last visit"."""

    kind: Literal["versions", "parameters", "counters", "keys", "findings", "first"]
    text: Text

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text.to_dict()}


_LABELS: dict[str, Text] = {
    "vendor": Text("Vendor", "厂商"),
    "model": Text("Model", "型号"),
    "serial_number": Text("Serial number", "序列号"),
    "firmware_version": Text("Firmware", "固件"),
    "app": Text("Payment application", "支付应用"),
    "tid": Text("TID", "终端号"),
    "mid": Text("MID", "商户号"),
    "merchant_name": Text("Merchant name", "商户名称"),
    "primary_host": Text("Primary host", "主机地址"),
    "backup_host": Text("Backup host", "备用主机地址"),
    "tpdu": Text("TPDU", "TPDU"),
    "header_status": Text("Message header status", "报文头状态"),
    "comm_mode": Text("Communication mode", "通讯方式"),
    "apn": Text("APN", "APN"),
    "tls": Text("TLS", "TLS"),
    "stan": Text("Trace number (STAN)", "流水号"),
    "batch": Text("Batch number", "批次号"),
    "unsettled": Text("Unsettled transactions", "未结算交易笔数"),
    "pending_reversal": Text("Pending reversal", "待冲正"),
    "log_used": Text("Transaction log entries", "交易日志条数"),
    "tmk_check_value": Text("Master key check value", "主密钥校验值"),
    "acquirer_id": Text("Acquirer institution code", "收单机构代码"),
    "primary_port": Text("Primary host port", "主机端口"),
    "backup_port": Text("Backup host port", "备用主机端口"),
    "wifi_ssid": Text("Wi-Fi network", "Wi-Fi 网络"),
    "dns_primary": Text("DNS server", "DNS 服务器"),
    "dns_secondary": Text("Second DNS server", "备用 DNS 服务器"),
    "connect_timeout_s": Text("Connect time-out (s)", "连接超时（秒）"),
    "response_timeout_s": Text("Response time-out (s)", "应答超时（秒）"),
}
_ORDINALS_EN = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _show(value: Any) -> Text:
    if value is True:
        return Text("yes", "是")
    if value is False:
        return Text("no", "否")
    if value in (None, ""):
        return Text("(empty)", "（空）")
    return Text(str(value), str(value))


def _day(stamp: str) -> str:
    return stamp[:10]


class History:
    """The visit history database. Use :meth:`open`; close it (or use it as a context manager)."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, *, upto: int = SCHEMA_VERSION) -> History:
        """Open (and create, 0600 in a 0700 folder) the history at ``path`` (default :func:`default_path`).

        ``upto`` is for tests of the migrations only.
        """
        path = Path(path) if path is not None else default_path()
        try:
            if not path.parent.exists():
                path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
            os.chmod(path.parent, 0o700)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            os.close(fd)
            os.chmod(path, 0o600)
            # autocommit mode: the transactions are the explicit BEGIN ... COMMIT below
            conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise HistoryError(f"cannot open the visit history {path}: {err}") from err
        try:
            with _OPEN_LOCK:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")  # a committed visit survives a power cut
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(conn, upto=upto)
        except sqlite3.DatabaseError as err:
            conn.close()
            raise HistoryError(f"the visit history {path} is damaged or not a database: {err}") from err
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def integrity_check(self) -> str:
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0]

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------------

    def record(
        self,
        diagnosis: Diagnosis | dict[str, Any],
        *,
        kind: Kind | None = None,
        technician: dict[str, str] | None = None,
        report: dict[str, Any] | None = None,
        before: Diagnosis | dict[str, Any] | None = None,
        replace: int | None = None,
    ) -> int:
        """Save one visit in one transaction and return its number.

        ``kind`` defaults to "repair" when an action was tried on the terminal, else "diagnose".
        ``before`` is the diagnosis before a repair: the findings the repair fixed are kept with
        state "repaired". ``replace`` rewrites an earlier visit of the same session (the window's
        repair after its diagnosis) instead of adding one.
        """
        doc = diagnosis.to_dict() if isinstance(diagnosis, Diagnosis) else diagnosis
        prior = before.to_dict() if isinstance(before, Diagnosis) else before
        actions = doc.get("actions_taken") or []
        if kind is None:
            kind = "repair" if any(a.get("result") in ("done", "failed", "restored") for a in actions) else "diagnose"
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        terminal = doc.get("terminal") or {}
        order = doc.get("work_order") or {}
        sn = terminal.get("serial_number") or order.get("serial_number") or "unknown"
        headline = doc.get("headline") or {"en": "", "zh": ""}
        findings = [(f, f.get("state", "open")) for f in doc.get("findings") or []]
        still = {f["id"] for f in doc.get("findings") or []}
        if prior is not None:
            findings += [(f, "repaired") for f in prior.get("findings") or [] if f["id"] not in still]
        visit = {
            "serial_number": sn,
            "kind": kind,
            "started_at": doc.get("started_at") or datetime.now().isoformat(timespec="seconds"),
            "finished_at": doc.get("finished_at"),
            "technician_name": (technician or {}).get("name", ""),
            "technician_id": (technician or {}).get("id", ""),
            "work_order": order.get("id") or "",
            "tid": terminal.get("tid") or order.get("tid") or "",
            "mid": terminal.get("mid") or order.get("mid") or "",
            "merchant": terminal.get("merchant_name") or order.get("merchant_name") or "",
            "port": doc.get("port") or "",
            "training": int(is_training(doc.get("port") or "")),
            "outcome": doc.get("outcome") or "incomplete",
            "exit_code": doc.get("exit_code"),
            "headline_en": headline.get("en", ""),
            "headline_zh": headline.get("zh", ""),
            "diagnosis_json": json.dumps(doc, ensure_ascii=False),
            "recorded_at": datetime.now().isoformat(timespec="seconds"),
        }
        with self._transaction() as c:
            visit_id = self._write_visit(c, visit, terminal, replace)
            c.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        visit_id,
                        i,
                        ch["id"],
                        ch.get("group", ""),
                        ch["status"],
                        ch["title"]["en"],
                        ch["title"]["zh"],
                        ch["summary"]["en"],
                        ch["summary"]["zh"],
                    )
                    for i, ch in enumerate(doc.get("checks") or [])
                ],
            )
            c.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        visit_id,
                        i,
                        f["id"],
                        f["severity"],
                        f["confidence"],
                        state,
                        f["title"]["en"],
                        f["title"]["zh"],
                        f["cause"]["en"],
                        f["cause"]["zh"],
                    )
                    for i, (f, state) in enumerate(findings)
                ],
            )
            c.executemany(
                "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        visit_id,
                        i,
                        a["action"],
                        a.get("finding", ""),
                        a["result"],
                        (a.get("message") or {}).get("en", ""),
                        (a.get("message") or {}).get("zh", ""),
                        a.get("backup_path") or "",
                        json.dumps(a.get("written") or {}, ensure_ascii=False),
                        json.dumps(a.get("read_back") or {}, ensure_ascii=False),
                    )
                    for i, a in enumerate(actions)
                ],
            )
            c.executemany(
                "INSERT OR IGNORE INTO backups (visit_id, path, role) VALUES (?, ?, 'before-write')",
                [(visit_id, a["backup_path"]) for a in actions if a.get("backup_path")],
            )
            _insert_readings(c, visit_id, readings_of(doc))
            if report is not None:
                self._write_report(c, visit_id, report)
        return visit_id

    def record_restore(
        self,
        *,
        port: str,
        terminal: dict[str, Any],
        backup: str,
        saved_before: str | None,
        changes: dict[str, tuple[Any, Any]],
        technician: dict[str, str] | None = None,
        started_at: datetime | None = None,
    ) -> int:
        """Save a restore of a parameter backup as a visit of kind "restore" (one transaction)."""
        now = datetime.now()
        started = (started_at or now).isoformat(timespec="seconds")
        n = len(changes)
        if n:
            headline = Text(
                f"Restored a parameter backup: {n} {'value' if n == 1 else 'values'} written",
                f"已恢复参数备份：写入 {n} 项",
            )
        else:
            headline = Text(
                "Restored a parameter backup: the terminal already held it, nothing written",
                "已恢复参数备份：终端已是备份中的参数，未写入",
            )
        visit = {
            "serial_number": terminal.get("serial_number") or "unknown",
            "kind": "restore",
            "started_at": started,
            "finished_at": now.isoformat(timespec="seconds"),
            "technician_name": (technician or {}).get("name", ""),
            "technician_id": (technician or {}).get("id", ""),
            "work_order": "",
            "tid": terminal.get("tid") or "",
            "mid": terminal.get("mid") or "",
            "merchant": terminal.get("merchant_name") or "",
            "port": port,
            "training": int(is_training(port)),
            "outcome": "restored",
            "exit_code": 0,
            "headline_en": headline.en,
            "headline_zh": headline.zh,
            "diagnosis_json": None,
            "recorded_at": now.isoformat(timespec="seconds"),
        }
        written = {k: after for k, (_, after) in changes.items()}
        with self._transaction() as c:
            visit_id = self._write_visit(c, visit, terminal, None)
            c.execute(
                "INSERT INTO actions VALUES (?, 0, 'restore-backup', '', 'restored', ?, ?, ?, ?, '{}')",
                (
                    visit_id,
                    headline.en,
                    headline.zh,
                    saved_before or "",
                    json.dumps(written, ensure_ascii=False, default=str),
                ),
            )
            c.execute("INSERT INTO backups VALUES (?, ?, 'restored-from')", (visit_id, str(backup)))
            if saved_before:
                c.execute("INSERT OR IGNORE INTO backups VALUES (?, ?, 'before-write')", (visit_id, saved_before))
        return visit_id

    def _write_visit(
        self, c: sqlite3.Connection, visit: dict[str, Any], terminal: dict[str, Any], replace: int | None
    ) -> int:
        c.execute(
            "INSERT INTO terminals (serial_number, vendor, model, first_seen, last_seen) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(serial_number) DO UPDATE SET last_seen = excluded.last_seen, "
            "vendor = CASE WHEN excluded.vendor != '' THEN excluded.vendor ELSE vendor END, "
            "model = CASE WHEN excluded.model != '' THEN excluded.model ELSE model END",
            (
                visit["serial_number"],
                terminal.get("vendor") or "",
                terminal.get("model") or "",
                visit["started_at"],
                visit["started_at"],
            ),
        )
        names = list(visit)
        if replace is not None:
            if c.execute("SELECT 1 FROM visits WHERE id = ?", (replace,)).fetchone() is None:
                raise HistoryError(f"no visit {replace} to replace")
            for table in ("checks", "findings", "actions", "backups", "readings"):
                c.execute(f"DELETE FROM {table} WHERE visit_id = ?", (replace,))
            c.execute(
                f"UPDATE visits SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                [visit[n] for n in names] + [replace],
            )
            return replace
        cur = c.execute(
            f"INSERT INTO visits ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
            [visit[n] for n in names],
        )
        return int(cur.lastrowid)

    def _write_report(self, c: sqlite3.Connection, visit_id: int, report: dict[str, Any]) -> None:
        fingerprint = report_fingerprint(report)
        c.execute(
            "INSERT OR REPLACE INTO reports (visit_id, report_no, fingerprint, report_json, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                visit_id,
                str(report.get("report_no") or report.get("number") or ""),
                fingerprint,
                json.dumps(report, ensure_ascii=False),
                datetime.now().isoformat(timespec="seconds"),
            ),
        )

    def attach_report(self, visit_id: int, report: dict[str, Any]) -> None:
        """Keep the report JSON (and its fingerprint) made for a visit; replaces an earlier one."""
        with self._transaction() as c:
            if c.execute("SELECT 1 FROM visits WHERE id = ?", (visit_id,)).fetchone() is None:
                raise HistoryError(f"no visit {visit_id}")
            self._write_report(c, visit_id, report)

    # -- reading ---------------------------------------------------------------------------------

    _SUMMARY = (
        "SELECT v.id, v.serial_number, v.kind, v.started_at, v.finished_at, v.technician_name, v.technician_id, "
        "v.work_order, v.tid, v.mid, v.merchant, v.port, v.training, v.outcome, v.exit_code, v.headline_en, "
        "v.headline_zh, COALESCE(r.report_no, '') FROM visits v LEFT JOIN reports r ON r.visit_id = v.id"
    )

    def _summary(self, row: tuple, cls: type[VisitSummary] = VisitSummary, **extra: Any) -> Any:
        findings = [
            Text(en, zh)
            for en, zh in self._conn.execute(
                "SELECT title_en, title_zh FROM findings WHERE visit_id = ? ORDER BY seq", (row[0],)
            )
        ]
        return cls(
            id=row[0],
            serial_number=row[1],
            kind=row[2],
            started_at=row[3],
            finished_at=row[4],
            technician={"name": row[5], "id": row[6]},
            work_order=row[7],
            tid=row[8],
            mid=row[9],
            merchant=row[10],
            port=row[11],
            training=bool(row[12]),
            outcome=row[13],
            exit_code=row[14],
            headline=Text(row[15], row[16]),
            findings=findings,
            report_no=row[17],
            **extra,
        )

    def visits(
        self,
        *,
        sn: str | None = None,
        tid: str | None = None,
        mid: str | None = None,
        merchant: str | None = None,
        work_order: str | None = None,
        since: str | date | datetime | None = None,
        until: str | date | datetime | None = None,
        text: str | None = None,
        limit: int | None = None,
    ) -> list[VisitSummary]:
        """Visits matching every given filter, newest first.

        ``merchant`` and ``text`` match part of a word, any case (``text``: any of serial number, TID,
        MID, merchant, work order); ``since``/``until`` are dates or times (``until`` a date includes that day).
        """
        where: list[str] = []
        args: list[Any] = []
        for column, value in (("serial_number", sn), ("tid", tid), ("mid", mid), ("work_order", work_order)):
            if value:
                where.append(f"v.{column} = ?")
                args.append(value.strip())
        if merchant:
            where.append("v.merchant LIKE ? ESCAPE '\\'")
            args.append(f"%{_like(merchant.strip())}%")
        if text and text.strip():
            where.append(
                "("
                + " OR ".join(
                    f"v.{c} LIKE ? ESCAPE '\\'" for c in ("serial_number", "tid", "mid", "merchant", "work_order")
                )
                + ")"
            )
            args += [f"%{_like(text.strip())}%"] * 5
        if since:
            where.append("v.started_at >= ?")
            args.append(_stamp(since))
        if until:
            where.append("v.started_at < ?")
            args.append(_stamp(until, end=True))
        sql = (
            self._SUMMARY
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY v.started_at DESC, v.id DESC"
        )
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [self._summary(row) for row in self._conn.execute(sql, args).fetchall()]

    def visit(self, visit_id: int) -> Visit:
        row = self._conn.execute(self._SUMMARY + " WHERE v.id = ?", (visit_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no visit {visit_id} in the history")
        c = self._conn
        doc = c.execute("SELECT diagnosis_json FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]
        rep = c.execute("SELECT report_json, fingerprint FROM reports WHERE visit_id = ?", (visit_id,)).fetchone()
        checks = [
            {"id": r[0], "group": r[1], "status": r[2], "title": Text(r[3], r[4]), "summary": Text(r[5], r[6])}
            for r in c.execute(
                "SELECT check_id, grp, status, title_en, title_zh, summary_en, summary_zh FROM checks "
                "WHERE visit_id = ? ORDER BY seq",
                (visit_id,),
            )
        ]
        findings = [
            {
                "id": r[0],
                "severity": r[1],
                "confidence": r[2],
                "state": r[3],
                "title": Text(r[4], r[5]),
                "cause": Text(r[6], r[7]),
            }
            for r in c.execute(
                "SELECT finding_id, severity, confidence, state, title_en, title_zh, cause_en, cause_zh FROM findings "
                "WHERE visit_id = ? ORDER BY seq",
                (visit_id,),
            )
        ]
        actions = [
            {
                "action": r[0],
                "finding": r[1],
                "result": r[2],
                "message": Text(r[3], r[4]),
                "backup_path": r[5],
                "written": json.loads(r[6]),
                "read_back": json.loads(r[7]),
            }
            for r in c.execute(
                "SELECT action_id, finding_id, result, message_en, message_zh, backup_path, written_json, "
                "read_back_json FROM actions WHERE visit_id = ? ORDER BY seq",
                (visit_id,),
            )
        ]
        backups = [
            {"path": p, "role": role}
            for p, role in c.execute("SELECT path, role FROM backups WHERE visit_id = ? ORDER BY rowid", (visit_id,))
        ]
        return self._summary(
            row,
            Visit,
            diagnosis=json.loads(doc) if doc else None,
            report=json.loads(rep[0]) if rep else None,
            fingerprint=rep[1] if rep else None,
            checks=checks,
            finding_rows=findings,
            actions=actions,
            backups=backups,
            readings=self._readings(visit_id),
        )

    def _readings(self, visit_id: int) -> dict[tuple[str, str], Any]:
        return {
            (s, n): json.loads(v)
            for s, n, v in self._conn.execute(
                "SELECT section, name, value_json FROM readings WHERE visit_id = ?", (visit_id,)
            )
        }

    def last_visit(self, sn: str | None = None, *, before: int | None = None) -> VisitSummary | None:
        """The newest visit (of terminal ``sn`` when given), or the one before visit ``before``."""
        where, args = [], []
        if sn:
            where.append("v.serial_number = ?")
            args.append(sn)
        if before is not None:
            ref = self._conn.execute("SELECT started_at, serial_number FROM visits WHERE id = ?", (before,)).fetchone()
            if ref is None:
                raise HistoryError(f"no visit {before} in the history")
            if not sn:
                where.append("v.serial_number = ?")
                args.append(ref[1])
            where.append("(v.started_at < ? OR (v.started_at = ? AND v.id < ?))")
            args += [ref[0], ref[0], before]
        sql = (
            self._SUMMARY
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY v.started_at DESC, v.id DESC LIMIT 1"
        )
        row = self._conn.execute(sql, args).fetchone()
        return self._summary(row) if row else None

    # -- comparing -------------------------------------------------------------------------------

    def compare_with_last(self, visit_id: int) -> list[Change]:
        """What changed on the terminal since the previous visit of the same serial number.

        Versions, parameters, counters and key check values that differ; findings that are new,
        gone or still there; and findings seen again at the same merchant (MID) within 30 days.
        The readings are compared with the last visit that read the terminal (a restore reads
        nothing); restores in between are named. A restore visit lists the values it wrote.
        """
        this = self.visit(visit_id)
        if this.serial_number == "unknown":
            return [
                Change(
                    "first",
                    Text(
                        "The terminal's serial number was not read at this visit: nothing to compare with.",
                        "本次未读到终端序列号，无法与以往到访比较。",
                    ),
                )
            ]
        if this.kind == "restore":
            return self._restore_lines(this)
        last = self._previous_diagnosis(this)
        changes: list[Change] = []
        if last is None:
            changes.append(
                Change("first", Text("First visit of this terminal in the history.", "历史记录中该终端的首次到访。"))
            )
        else:
            when = last.started_at.replace("T", " ")[:16]
            who_en = last.technician.get("name") or "technician unknown"
            who_zh = last.technician.get("name") or "技术员未知"
            changes.append(
                Change(
                    "first",
                    Text(f"Compared with the visit of {when} ({who_en}).", f"与 {when} 的到访（{who_zh}）相比。"),
                )
            )
            for restore in self._restores_between(last, this):
                changes.append(
                    Change(
                        "first",
                        Text(
                            f"In between, on {_day(restore.started_at)}, a parameter backup was restored.",
                            f"其间于 {_day(restore.started_at)} 恢复过一次参数备份。",
                        ),
                    )
                )
            readings = self._reading_changes(self._readings(last.id), this.readings)
            changes += readings or [
                Change(
                    "first",
                    Text(
                        "No change in versions, parameters or counters since then.",
                        "此后版本、参数和计数器均无变化。",
                    ),
                )
            ]
            changes += self._finding_changes(last.id, this)
        changes += self._repeats(this)
        return changes

    def _previous_diagnosis(self, this: Visit) -> VisitSummary | None:
        row = self._conn.execute(
            self._SUMMARY + " WHERE v.serial_number = ? AND v.diagnosis_json IS NOT NULL "
            "AND (v.started_at < ? OR (v.started_at = ? AND v.id < ?)) ORDER BY v.started_at DESC, v.id DESC LIMIT 1",
            (this.serial_number, this.started_at, this.started_at, this.id),
        ).fetchone()
        return self._summary(row) if row else None

    def _restores_between(self, last: VisitSummary, this: Visit) -> list[VisitSummary]:
        rows = self._conn.execute(
            self._SUMMARY + " WHERE v.serial_number = ? AND v.kind = 'restore' AND v.id != ? "
            "AND v.started_at >= ? AND v.started_at <= ? ORDER BY v.started_at, v.id",
            (this.serial_number, this.id, last.started_at, this.started_at),
        ).fetchall()
        return [self._summary(r) for r in rows]

    def _restore_lines(self, this: Visit) -> list[Change]:
        written = this.actions[0]["written"] if this.actions else {}
        if not written:
            return [
                Change(
                    "first",
                    Text(
                        "The restore wrote nothing: the terminal already held the backup.",
                        "恢复未写入任何内容：终端已是备份中的参数。",
                    ),
                )
            ]
        return [
            Change(
                "parameters",
                Text("Restored: ", "已恢复：") + _LABELS.get(name, Text(name, name)) + Text(": ", "：") + _show(value),
            )
            for name, value in written.items()
        ]

    def _reading_changes(self, old: dict[tuple[str, str], Any], new: dict[tuple[str, str], Any]) -> list[Change]:
        out: list[Change] = []
        for section in ("versions", "parameters", "keys", "counters"):
            names = sorted({n for s, n in old if s == section} | {n for s, n in new if s == section})
            for name in names:
                if (section, name) not in old or (section, name) not in new:
                    continue  # not read at one of the visits: no change to report
                a, b = old[(section, name)], new[(section, name)]
                if a == b:
                    continue
                label = _LABELS.get(name, Text(name, name))
                line = label + Text(": ", "：") + _show(a) + Text(" → ", " → ") + _show(b)
                if section == "counters" and isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
                    diff = b - a
                    line = line + Text(f" ({diff:+d})", f"（{diff:+d}）")
                    if name in ("stan", "batch") and diff < 0:
                        line = line + Text("; went back: the counter was reset since", "；数值变小：此后计数器被重置过")
                out.append(Change(section, line))  # type: ignore[arg-type]
        return out

    def _finding_changes(self, last_id: int, this: Visit) -> list[Change]:
        def found(visit_id: int) -> dict[str, tuple[Text, str]]:
            rows = self._conn.execute(
                "SELECT finding_id, title_en, title_zh, state FROM findings WHERE visit_id = ? ORDER BY seq",
                (visit_id,),
            )
            return {fid: (Text(en, zh), state) for fid, en, zh, state in rows}

        before = {fid: title for fid, (title, state) in found(last_id).items() if state == "open"}
        out = []
        for fid, (title, state) in found(this.id).items():
            fixed = state != "open"
            if fid in before:
                head = (
                    Text("Found again (left open at the last visit), repaired now: ", "上次遗留未修复，本次已修复：")
                    if fixed
                    else Text("Still there since the last visit: ", "上次已发现，仍未解决：")
                )
            else:
                head = (
                    Text("New since the last visit, repaired now: ", "上次之后新出现，本次已修复：")
                    if fixed
                    else Text("New since the last visit: ", "上次之后新出现：")
                )
            out.append(Change("findings", head + title))
        if this.kind != "restore":
            now = found(this.id)
            for fid, title in before.items():
                if fid not in now:
                    out.append(
                        Change("findings", Text("Found at the last visit, gone now: ", "上次发现，本次没有：") + title)
                    )
        return out

    def _repeats(self, this: Visit) -> list[Change]:
        """ "Third time in 30 days at this merchant: ..." for each finding of this visit seen before there."""
        if not (this.mid or this.merchant):
            return []
        column, key = ("mid", this.mid) if this.mid else ("merchant", this.merchant)
        start = (_parse(this.started_at) - REPEAT_WINDOW).isoformat(timespec="seconds")
        out = []
        seen: set[str] = set()
        for f in self._conn.execute(
            "SELECT finding_id, title_en, title_zh FROM findings WHERE visit_id = ? ORDER BY seq", (this.id,)
        ).fetchall():
            fid = f[0]
            if fid in seen:
                continue
            seen.add(fid)
            n = self._conn.execute(
                f"SELECT COUNT(DISTINCT v.id) FROM visits v JOIN findings f ON f.visit_id = v.id "
                f"WHERE v.{column} = ? AND f.finding_id = ? AND v.started_at >= ? "
                "AND (v.started_at < ? OR (v.started_at = ? AND v.id <= ?))",
                (key, fid, start, this.started_at, this.started_at, this.id),
            ).fetchone()[0]
            if n >= 2:
                nth = _ORDINALS_EN.get(n, f"{n}th")
                out.append(
                    Change(
                        "findings",
                        Text(
                            f"Repeated: the {nth} time in 30 days at this merchant: ",
                            f"重复出现：30 天内该商户第 {n} 次：",
                        )
                        + Text(f[1], f[2]),
                    )
                )
        return out


def safe_record(write: Callable[[History], int], path: str | Path | None = None) -> tuple[int | None, str]:
    """Run ``write`` on the history and return (visit number, ""), or (None, why) when it failed.

    For the callers whose own result matters more than its record (the CLI, the window's worker):
    the history never makes a diagnosis, a repair or a restore fail.
    """
    try:
        with History.open(path) as h:
            return write(h), ""
    except Exception as err:  # noqa: BLE001 - any failure to record is reported, never raised
        return None, str(err) or type(err).__name__


def report_fingerprint(report: dict[str, Any]) -> str | None:
    """The report's SHA-256 fingerprint by the report package's rule (``techapp.report.seal``), computed
    here rather than trusted from the document; the document's own when that package is missing."""
    try:
        from .report.seal import fingerprint
    except ImportError:
        value = report.get("fingerprint")
        return value if isinstance(value, str) else None
    try:
        return fingerprint(report)
    except (TypeError, ValueError):  # a report of another shape: keep it without a fingerprint
        return None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _parse(stamp: str) -> datetime:
    value = datetime.fromisoformat(stamp)
    return value.replace(tzinfo=None) if value.tzinfo else value


def _stamp(value: str | date | datetime, *, end: bool = False) -> str:
    """A comparable ISO time from a date, a time or their text; ``end``: a bare date means the day after."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: date | datetime = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError as err:
            raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from err
        value = parsed
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    day = value + timedelta(days=1) if end else value
    return datetime(day.year, day.month, day.day).isoformat(timespec="seconds")


def technician() -> dict[str, str]:
    """The technician's name and id from the settings (``techapp.settings``); empty when not set or unreadable."""
    try:
        from .settings import SettingsError, load_settings
    except ImportError:
        return {"name": "", "id": ""}
    try:
        return load_settings().technician()
    except (SettingsError, OSError):
        return {"name": "", "id": ""}


__all__ = [
    "FILENAME",
    "KINDS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Change",
    "History",
    "HistoryError",
    "Visit",
    "VisitSummary",
    "default_path",
    "migrate",
    "readings_of",
    "safe_record",
    "technician",
]
