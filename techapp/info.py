"""``techapp info``: read everything a terminal tells, section by section.

A section that cannot be read is recorded with its typed error and the rest
is still read where possible (identity needs no login, so a wrong password
still shows which terminal this is). The JSON form is versioned
(``SCHEMA``) and described by ``docs/schemas/info-v1.schema.json``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from drivers.addr import hostport
from drivers.base import TerminalDriver
from drivers.errors import Disconnected, LinkTimeout, TerminalError
from drivers.models import Counters, Hardware, Identity, KeyStatus, LogEntry, Parameters

from .diagnosis.model import Text
from .errors import explain, explain_id

SCHEMA = "techapp.info/1"

SCHEME_FIELD_60_3 = {"ms-single": "001", "ms-double": "003", "ms-double-tdk": "004"}


@dataclass
class SectionError:
    section: str
    error_type: str
    message: str
    #: the error in plain words, both languages (techapp.errors.explain); not in the JSON
    text: Text | None = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, str]:
        return {"section": self.section, "error_type": self.error_type, "message": self.message}


@dataclass
class TerminalInfo:
    port: str
    driver: str
    read_at: datetime
    protocol_version: int | None = None
    identity: Identity | None = None
    parameters: Parameters | None = None
    keys: KeyStatus | None = None
    hardware: Hardware | None = None
    counters: Counters | None = None
    response_codes: list[LogEntry] | None = None
    error_log: list[LogEntry] | None = None
    errors: list[SectionError] = field(default_factory=list)
    #: sections the driver's protocol cannot give (never asked, not errors), and that protocol's name
    not_available: list[str] = field(default_factory=list)
    over: str = ""

    @property
    def complete(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        def model(value):
            if value is None:
                return None
            if isinstance(value, list):
                return [v.to_dict() for v in value]
            return value.to_dict()

        from .version import generator

        return {
            "schema": SCHEMA,
            "generator": generator(),
            "port": self.port,
            "driver": self.driver,
            "read_at": self.read_at.isoformat(timespec="seconds"),
            "protocol_version": self.protocol_version,
            "identity": model(self.identity),
            "parameters": model(self.parameters),
            "keys": model(self.keys),
            "hardware": model(self.hardware),
            "counters": model(self.counters),
            "logs": {"response_codes": model(self.response_codes), "errors": model(self.error_log)},
            "errors": [e.to_dict() for e in self.errors],
        }


def collect_info(driver: TerminalDriver, password: str | None, *, port: str) -> TerminalInfo:
    """Read identity, then log in and read the rest; never raises a TerminalError.

    Raises nothing for a failed section: it lands in ``info.errors``. A lost
    link, or a terminal that stopped answering (the driver has already
    retried), stops the reading: later sections would only repeat the error,
    each after its own full timeout.
    """
    info = TerminalInfo(port=port, driver=driver.name, read_at=datetime.now().replace(microsecond=0))

    def record(section: str, err: TerminalError) -> None:
        info.errors.append(SectionError(section, type(err).__name__, str(err), explain(err)))
        if isinstance(err, Disconnected | LinkTimeout):
            raise _Stop from err

    def attempt(section: str, fn, need: str = ""):
        if need and not driver.can(need):  # the protocol has no way to give it: not asked, not an error
            info.not_available.append(section)
            info.over = driver.display_name or driver.name
            return None
        try:
            return fn()
        except TerminalError as err:
            record(section, err)
            return None

    try:
        if getattr(driver, "password_first", False) and password is not None:
            try:  # a terminal that wants the password even to be greeted (ZVT): the login below says if it is wrong
                driver.login(password)
            except TerminalError:
                pass
        hello = attempt("hello", driver.hello)
        if hello is None:
            return info
        info.protocol_version = hello.protocol_version
        info.identity = attempt("identity", driver.identity)
        if password is None:
            info.errors.append(
                SectionError(
                    "login",
                    "PasswordUnavailable",
                    "no maintenance password given",
                    explain_id("no-password", action_id="login"),
                )
            )
            return info
        try:
            driver.login(password)
        except TerminalError as err:
            record("login", err)
            return info
        info.parameters = attempt("parameters", driver.parameters, "parameters")
        info.keys = attempt("keys", driver.key_status, "keys")
        info.hardware = attempt("hardware", driver.hardware, "hardware")
        info.counters = attempt("counters", driver.counters, "counters")
        info.response_codes = attempt("response_codes", lambda: driver.read_log("response-codes"), "logs")
        info.error_log = attempt("error_log", lambda: driver.read_log("errors"), "logs")
        attempt("logout", driver.logout)
    except _Stop:
        pass
    return info


class _Stop(Exception):
    pass


# -- human-readable text --------------------------------------------------------------
def display_width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _rows(rows: list[tuple[str, Any]]) -> list[str]:
    width = max((display_width(k) for k, _ in rows), default=0)
    return [f"  {k}{' ' * (width - display_width(k))}  {'' if v is None else v}" for k, v in rows]


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "never"


def render_text(info: TerminalInfo) -> str:
    out: list[str] = []
    i = info.identity
    title = f"{i.vendor} {i.model}  SN {i.serial_number}" if i else "unknown terminal"
    protocol = f", protocol v{info.protocol_version}" if info.protocol_version else ""
    out.append(f"Terminal: {title}   (port {info.port}, driver {info.driver}{protocol})")
    if i:
        out += ["", "Identity"] + _rows(
            [
                ("Vendor / model", f"{i.vendor} {i.model}"),
                ("Serial number", i.serial_number),
                ("Hardware revision", i.hardware_revision),
                ("OS / firmware", f"{i.os_version} / {i.firmware_version}"),
                ("Payment application", f"{i.app_name} {i.app_version}"),
                ("EMV contact kernel", i.emv_contact_kernel),
                ("EMV contactless kernel", i.emv_contactless_kernel),
            ]
        )
    p = info.parameters
    if p:
        primary = f"{hostport(p.primary_host, p.primary_port)}" if p.primary_host else f"(blank), port {p.primary_port}"
        backup = f"{hostport(p.backup_host, p.backup_port)}" if p.backup_host else "(none)"
        out += ["", "Payment parameters"] + _rows(
            [
                ("TID (终端号)", p.tid or "(blank)"),
                ("MID (商户号)", p.mid or "(blank)"),
                ("Merchant name", p.merchant_name),
                ("Acquirer ID", p.acquirer_id),
                ("Primary host", primary),
                ("Backup host", backup),
                ("TLS", "on" if p.tls else "off"),
                ("TPDU", p.tpdu),
                ("Header status", p.header_status),
                ("Comm mode", p.comm_mode),
                ("APN", p.apn or "-"),
                ("Wi-Fi SSID", p.wifi_ssid or "-"),
                ("DNS", " ".join(x for x in (p.dns_primary, p.dns_secondary) if x) or "-"),
                ("Timeouts", f"connect {p.connect_timeout_s} s, response {p.response_timeout_s} s"),
                ("STAN / batch", f"{p.stan:06d} / {p.batch:06d}"),
            ]
        )
    k = info.keys
    if k:
        rows: list[tuple[str, Any]] = [
            (
                "Key scheme",
                k.scheme + (f" (60.3 = {SCHEME_FIELD_60_3[k.scheme]})" if k.scheme in SCHEME_FIELD_60_3 else ""),
            )
        ]
        if not k.tmk_slots:
            rows.append(("TMK (主密钥)", "none loaded"))
        for s in k.tmk_slots:
            active = "  (active)" if s.index == k.active_tmk_index else ""
            rows.append((f"TMK slot {s.index:02d}", f"{s.key_length * 8}-bit, check value {s.check_value}{active}"))
        if not k.working_keys:
            rows.append(("Working keys", "none"))
        for w in k.working_keys:
            rows.append((f"Working key {w.key_type.upper()}", f"check value {w.check_value}, loaded {_t(w.loaded_at)}"))
        if k.ksn:
            rows.append(("DUKPT KSN", k.ksn))
        rows.append(("Last sign-on (签到)", _t(k.last_sign_on)))
        out += ["", "Keys (check values only)"] + _rows(rows)
    h = info.hardware
    if h:
        battery = (
            f"{h.battery_level_pct}%, health {h.battery_health_pct}%, {h.battery_cycles} cycles"
            + (", charging" if h.charging else "")
            if h.battery_present
            else "no battery"
        )
        drift = (h.clock - info.read_at).total_seconds() if h.clock else 0.0
        drift_text = (
            "in step with the laptop"
            if abs(drift) < 2
            else f"{abs(drift):.0f} s {'ahead of' if drift > 0 else 'behind'} the laptop"
        )
        out += ["", "Hardware"] + _rows(
            [
                (
                    "Printer",
                    f"{h.printer}, paper {h.printer_paper}, cover {h.printer_cover}, head {h.printer_head_temp_c} °C",
                ),
                ("Magstripe / IC / contactless", f"{h.magstripe} / {h.ic_reader} / {h.contactless}"),
                ("Keypad / display", f"{h.keypad} / {h.display}"),
                ("Battery", battery),
                ("Storage", f"{h.storage_free_kb} of {h.storage_total_kb} KB free"),
                ("Tamper", h.tamper),
                ("Clock", f"{_t(h.clock)} ({drift_text})" if h.clock else "not set"),
                *_radio_rows(h),
            ]
        )
    c = info.counters
    if c:
        out += ["", "Counters"] + _rows(
            [
                ("Unsettled transactions", c.unsettled_transactions),
                ("Pending reversal (冲正)", "yes" if c.pending_reversal else "no"),
                ("Transaction log", f"{c.transaction_log_used} of {c.transaction_log_capacity}"),
            ]
        )
    for title, entries in (("Recent response codes", info.response_codes), ("Error log", info.error_log)):
        if entries is not None:
            out += ["", title]
            out += [f"  {_t(e.time)}  {e.code:<6} {e.text}" for e in entries] or ["  (empty)"]
    if info.not_available:
        out += ["", f"Not available over {info.over}: {', '.join(info.not_available)}"]
    if info.errors:
        out += ["", "Not read"]
        out += [f"  {e.section}: {e.message} [{e.error_type}]" for e in info.errors]
    return "\n".join(out) + "\n"


def _radio_rows(h) -> list[tuple[str, str]]:
    """The cellular signal (issue 17): radio, RSRP/RSSI/CSQ and the verdict of the thresholds in docs/diagnosis.md."""
    if h.radio is None:
        return []
    from .diagnosis.checks import signal_strength

    status, _, _, line = signal_strength(h)
    verdict = {"pass": "good enough", "warn": "WEAK", "fail": "TOO WEAK", "skipped": "not reported"}[status]
    return [("Cellular signal", f"{line} ({verdict})")]
