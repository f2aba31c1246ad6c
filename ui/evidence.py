"""The checklist's evidence (a check's ``observed`` and ``expected`` readings) in words, not ids.

The readings keep their machine keys and values (``tid``, ``outcome: dns-failure``)
for the JSON report; on screen a key is a name ("Terminal ID (TID)") and an
outcome or state id is words in the window's language ("name does not resolve
(DNS)" / "域名解析失败"). Unknown keys lose their underscores; unknown values
stay as they are (they are the terminal's or the host's own words).
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication

from .i18n import lang


def key_labels() -> dict[str, str]:
    """Evidence keys by their names on screen, in the current language."""
    from .terminal_view import parameter_labels

    return {
        **parameter_labels(),
        "active_index": QCoreApplication.translate("Evidence", "active slot"),
        "answered_by": QCoreApplication.translate("Evidence", "answered by"),
        "approved": QCoreApplication.translate("Evidence", "approved"),
        "backup": QCoreApplication.translate("Evidence", "backup host"),
        "capacity": QCoreApplication.translate("Evidence", "capacity"),
        "charging": QCoreApplication.translate("Evidence", "charging"),
        "check_value": QCoreApplication.translate("Evidence", "check value"),
        "codes": QCoreApplication.translate("Evidence", "response codes"),
        "counter": QCoreApplication.translate("Evidence", "counter"),
        "cover": QCoreApplication.translate("Evidence", "cover"),
        "cycles": QCoreApplication.translate("Evidence", "charge cycles"),
        "detail": QCoreApplication.translate("Evidence", "detail"),
        "drift_s": QCoreApplication.translate("Evidence", "clock difference (seconds)"),
        "failed_checks": QCoreApplication.translate("Evidence", "failed checks"),
        "failure": QCoreApplication.translate("Evidence", "failure"),
        "fraction_max": QCoreApplication.translate("Evidence", "largest share allowed"),
        "free_fraction_min": QCoreApplication.translate("Evidence", "smallest free share allowed"),
        "free_kb": QCoreApplication.translate("Evidence", "free (KB)"),
        "garbage_bytes": QCoreApplication.translate("Evidence", "noise bytes"),
        "head_temp_c": QCoreApplication.translate("Evidence", "print head (°C)"),
        "head_temp_c_below": QCoreApplication.translate("Evidence", "print head below (°C)"),
        "health_pct": QCoreApplication.translate("Evidence", "health (%)"),
        "health_pct_min": QCoreApplication.translate("Evidence", "lowest health allowed (%)"),
        "host": QCoreApplication.translate("Evidence", "host"),
        "hosts": QCoreApplication.translate("Evidence", "hosts"),
        "index": QCoreApplication.translate("Evidence", "slot"),
        "key_length": QCoreApplication.translate("Evidence", "key length"),
        "key_type": QCoreApplication.translate("Evidence", "key type"),
        "keys_left": QCoreApplication.translate("Evidence", "keys left"),
        "ksn": QCoreApplication.translate("Evidence", "KSN"),
        "laptop": QCoreApplication.translate("Evidence", "laptop"),
        "last": QCoreApplication.translate("Evidence", "last"),
        "last_at": QCoreApplication.translate("Evidence", "last at"),
        "level_pct": QCoreApplication.translate("Evidence", "charge (%)"),
        "link_up": QCoreApplication.translate("Evidence", "network link up"),
        "loaded_at": QCoreApplication.translate("Evidence", "loaded at"),
        "max_counter": QCoreApplication.translate("Evidence", "counter limit"),
        "max_drift_s": QCoreApplication.translate("Evidence", "largest difference allowed (seconds)"),
        "naks_sent": QCoreApplication.translate("Evidence", "frames refused (NAK)"),
        "network_name": QCoreApplication.translate("Evidence", "network name"),
        "outcome": QCoreApplication.translate("Evidence", "outcome"),
        "paper": QCoreApplication.translate("Evidence", "paper"),
        "pending_reversal": QCoreApplication.translate("Evidence", "pending reversal"),
        "present": QCoreApplication.translate("Evidence", "present"),
        "primary": QCoreApplication.translate("Evidence", "primary host"),
        "primary_missing": QCoreApplication.translate("Evidence", "primary host missing"),
        "printer": QCoreApplication.translate("Evidence", "printer"),
        "production": QCoreApplication.translate("Evidence", "production hosts"),
        "protocol_version": QCoreApplication.translate("Evidence", "protocol version"),
        "response_code": QCoreApplication.translate("Evidence", "response code"),
        "retransmissions": QCoreApplication.translate("Evidence", "frames sent again"),
        "role": QCoreApplication.translate("Evidence", "role"),
        "roles": QCoreApplication.translate("Evidence", "roles"),
        "scheme": QCoreApplication.translate("Evidence", "key scheme"),
        "sent_at": QCoreApplication.translate("Evidence", "sent at"),
        "serial_number": QCoreApplication.translate("Evidence", "serial number"),
        "signal_dbm": QCoreApplication.translate("Evidence", "signal (dBm)"),
        "slots": QCoreApplication.translate("Evidence", "master key slots"),
        "state": QCoreApplication.translate("Evidence", "state"),
        "tamper": QCoreApplication.translate("Evidence", "tamper"),
        "total_kb": QCoreApplication.translate("Evidence", "total (KB)"),
        "unsettled": QCoreApplication.translate("Evidence", "unsettled transactions"),
        "used": QCoreApplication.translate("Evidence", "used"),
        "value": QCoreApplication.translate("Evidence", "value"),
        "version": QCoreApplication.translate("Evidence", "version"),
        "working_keys": QCoreApplication.translate("Evidence", "working keys"),
        "verdict": QCoreApplication.translate("Evidence", "where the fault lies"),
        "echo": QCoreApplication.translate("Evidence", "echo tests"),
        "evidence": QCoreApplication.translate("Evidence", "what was seen"),
    }


def key_label(key: str, labels: dict[str, str] | None = None) -> str:
    labels = labels if labels is not None else key_labels()
    return labels.get(key, key.replace("_", " "))


def _value_words() -> dict[str, str]:
    """Ids of states and outcomes (hosts, links, TLS, keys, tests) in the current language."""
    from techapp.diagnosis.checks import OUTCOMES_EN, OUTCOMES_ZH

    zh = lang() == "zh"
    words = dict(OUTCOMES_ZH if zh else OUTCOMES_EN)
    words.update(
        {
            # LinkFailure
            "no-carrier": QCoreApplication.translate("Evidence", "no network carrier"),
            "no-sim": QCoreApplication.translate("Evidence", "no SIM card"),
            "not-registered": QCoreApplication.translate("Evidence", "not registered on the mobile network"),
            "no-apn": QCoreApplication.translate("Evidence", "no APN set"),
            "data-rejected": QCoreApplication.translate("Evidence", "mobile data refused"),
            "no-ssid": QCoreApplication.translate("Evidence", "no Wi-Fi network set"),
            "ssid-not-found": QCoreApplication.translate("Evidence", "Wi-Fi network not found"),
            "wifi-auth-failed": QCoreApplication.translate("Evidence", "Wi-Fi password refused"),
            "no-address": QCoreApplication.translate("Evidence", "no IP address"),
            # CommOutcome not in the outcome tables
            "key-verify-failed": QCoreApplication.translate("Evidence", "new keys do not verify"),
            "unbalanced": QCoreApplication.translate("Evidence", "totals do not balance"),
            # TlsOutcome
            "not-yet-valid": QCoreApplication.translate("Evidence", "certificate not yet valid"),
            "expired": QCoreApplication.translate("Evidence", "certificate expired"),
            "untrusted": QCoreApplication.translate("Evidence", "certificate not trusted"),
            # key schemes
            "ms-single": QCoreApplication.translate("Evidence", "master/session, single-length keys"),
            "ms-double": QCoreApplication.translate("Evidence", "master/session, double-length keys"),
            "ms-double-tdk": QCoreApplication.translate("Evidence", "master/session, double-length keys with TDK"),
            "dukpt-tdes": QCoreApplication.translate("Evidence", "DUKPT (TDES)"),
            # self-tests
            "no-input": QCoreApplication.translate("Evidence", "nobody presented a card or pressed the keys"),
            "none": QCoreApplication.translate("Evidence", "none"),
        }
    )
    return words


#: Keys whose values are outcome or scheme ids (hosts, links, TLS, keys, tests).
OUTCOME_KEYS = frozenset({"outcome", "failure", "tls", "tls_outcome", "scheme", "result", "link_failure"})


def _state_words() -> dict[str, str]:
    """States a terminal reports for its devices and settings (the Terminal tab's words)."""
    words = ("ok", "fault", "absent", "low", "out", "open", "closed", "normal", "test", "tampered", "ethernet")
    out = {w: QCoreApplication.translate("TerminalView", w) for w in words}
    out.update(
        production=QCoreApplication.translate("Evidence", "production host"),
        wifi=QCoreApplication.translate("TerminalView", "Wi-Fi"),
        cellular=QCoreApplication.translate("TerminalView", "cellular"),
        dialup=QCoreApplication.translate("TerminalView", "dial-up"),
    )
    return out


def _verdict(code: str) -> str:
    """The laptop's network verdict (techapp.hostcheck.VERDICTS) in the window's language."""
    from techapp.hostcheck import VERDICTS

    en, zh = VERDICTS.get(code, (code, code))
    return zh if lang() == "zh" else en


_ID = re.compile(r"(?<![\w.:/-])[a-z]+(?:-[a-z0-9]+)+(?![\w.:/-])")
_EVIDENCE_LINE = re.compile(
    r"^(?P<who>terminal|laptop) -> (?P<where>\S+): (?P<outcome>[a-z-]+)(?: (?P<detail>.*))?$"
    r"|^sign-on via (?P<via>\S+): (?P<signon>[a-z-]+)(?:, response code (?P<code>\w+))?$"
)


def _ids_in_words(line: str) -> str:
    """A line of the network comparison's evidence (techapp.hostcheck.compare) said in the window's language.

    ``terminal -> host:port: outcome detail``, ``laptop -> ...`` and ``sign-on via host:port: outcome, response
    code NN``: the outcome in words; in Chinese without the English detail (the outcome says it).
    """
    words = _value_words()
    m = _EVIDENCE_LINE.match(line)
    if m is None:
        return _ID.sub(lambda x: words.get(x.group(0), x.group(0)), line)
    if m.group("via"):
        said = QCoreApplication.translate("Evidence", "sign-on via %1: %2").replace("%1", m.group("via"))
        said = said.replace("%2", words.get(m.group("signon"), m.group("signon")))
        if m.group("code"):
            said += QCoreApplication.translate("Evidence", ", response code %1").replace("%1", m.group("code"))
        return said
    who = (
        QCoreApplication.translate("Evidence", "terminal")
        if m.group("who") == "terminal"
        else QCoreApplication.translate("Evidence", "laptop")
    )
    outcome = words.get(m.group("outcome"), m.group("outcome"))
    if lang() == "zh":
        return f"{who} → {m.group('where')}：{outcome}"
    return f"{who} → {m.group('where')}: {outcome}" + (f" {m.group('detail')}" if m.group("detail") else "")


def value_word(text: str, key: str | None = None, words: dict[str, str] | None = None) -> str:
    """An id of an outcome (under an outcome key) or of a device state, in words; other text as it is."""
    if key == "verdict":
        return _verdict(text)
    if key == "evidence":
        return _ids_in_words(text)
    if key in OUTCOME_KEYS:
        words = words if words is not None else _value_words()
    else:
        words = _state_words()
    return words.get(text, text)


def evidence_text(value, depth: int = 0, *, limit: int | None = 160, key: str | None = None) -> str:
    """A reading as one line: dates to the second, lists and dicts flattened with named keys and ids in
    words, text longer than ``limit`` shortened (None: never)."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, bool):
        return QCoreApplication.translate("Values", "yes") if value else QCoreApplication.translate("Values", "no")
    if value is None or value == "":
        return "-"
    if isinstance(value, dict):
        if depth > 1:
            return "{…}"
        labels = key_labels()
        sep = "，" if lang() == "zh" else ", "
        return sep.join(
            f"{key_label(k, labels)} {evidence_text(v, depth + 1, limit=limit, key=k)}"
            for k, v in value.items()
            if k not in ("request_hex", "answer_hex", "traffic", "started_ms", "local_port")
            and not (key == "echo" and k in ("local_address", "remote_address", "connect_ms"))  # the pcap's
        )
    if isinstance(value, list | tuple):
        sep = "；" if lang() == "zh" else "; "
        return sep.join(evidence_text(v, depth + 1, limit=limit, key=key) for v in value) or "-"
    text = value_word(value, key) if isinstance(value, str) else str(value)
    return text if limit is None or len(text) <= limit else text[: limit - 3] + "…"


__all__ = ["OUTCOME_KEYS", "evidence_text", "key_label", "key_labels", "value_word"]
