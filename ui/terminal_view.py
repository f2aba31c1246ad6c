"""What the terminal told: identity, parameters, keys (check values only), hardware, counters.

After a diagnosis, rows whose check did not pass are tinted and the note
column says why (the check's own summary, in the current language). A
payment-parameter row is judged by every check that names one of its
parameters in :attr:`CheckResult.fields <techapp.diagnosis.CheckResult.fields>`
(``params.hosts`` names ``primary_host`` ... ``backup_port``); the other rows
by the check about that reading (``hardware.printer`` for the printer).

:func:`parameter_label` is the one name of a payment parameter on screen
(``tid`` -> "Terminal ID (TID)" / "终端号（TID）"), here and in the repair
confirmation.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from .i18n import lang
from .style import blank_icon, status_icon, tint

if TYPE_CHECKING:
    from techapp.diagnosis import CheckResult, Diagnosis
    from techapp.info import TerminalInfo


def _texts():
    """:mod:`techapp.diagnosis.render` (its tables pull in the checks and the acquirer-profile models):
    loaded when a diagnosis is shown, not before the window's first paint."""
    from techapp.diagnosis import render

    return render


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def parameter_labels() -> dict[str, str]:
    """Every payment parameter's name on screen, in the current language (the terminal's wordings)."""
    return {
        "tid": QCoreApplication.translate("TerminalView", "Terminal ID (TID)"),
        "mid": QCoreApplication.translate("TerminalView", "Merchant ID (MID)"),
        "merchant_name": QCoreApplication.translate("TerminalView", "Merchant name"),
        "acquirer_id": QCoreApplication.translate("TerminalView", "Acquirer ID"),
        "primary_host": QCoreApplication.translate("TerminalView", "Primary host"),
        "primary_port": QCoreApplication.translate("TerminalView", "Primary host port"),
        "backup_host": QCoreApplication.translate("TerminalView", "Backup host"),
        "backup_port": QCoreApplication.translate("TerminalView", "Backup host port"),
        "tls": QCoreApplication.translate("TerminalView", "TLS"),
        "tpdu": QCoreApplication.translate("TerminalView", "TPDU"),
        "header_status": QCoreApplication.translate("TerminalView", "Header status"),
        "comm_mode": QCoreApplication.translate("TerminalView", "Comm mode"),
        "apn": QCoreApplication.translate("TerminalView", "APN"),
        "wifi_ssid": QCoreApplication.translate("TerminalView", "Wi-Fi network (SSID)"),
        "dns_primary": QCoreApplication.translate("TerminalView", "Primary DNS"),
        "dns_secondary": QCoreApplication.translate("TerminalView", "Secondary DNS"),
        "connect_timeout_s": QCoreApplication.translate("TerminalView", "Connect timeout"),
        "response_timeout_s": QCoreApplication.translate("TerminalView", "Response timeout"),
        "stan": QCoreApplication.translate("TerminalView", "STAN (trace number)"),
        "batch": QCoreApplication.translate("TerminalView", "Batch number"),
        "clock": QCoreApplication.translate("TerminalView", "Clock"),
    }


def parameter_label(name: str) -> str:
    """``tid`` -> "Terminal ID (TID)" (translated); an unknown name as it is."""
    return parameter_labels().get(name, name)


# One row of the view: label, value, the payment parameters it shows, the check about it.
Row = tuple[str, Any, tuple[str, ...], str]

_JUDGED = ("fail", "warn", "pass")  # worst first; "skipped" and "error" judge nothing


class TerminalView(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("terminalView")
        self.setColumnCount(3)
        self.setRootIsDecorated(False)
        self.setIndentation(14)
        self.setAlternatingRowColors(True)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QTreeWidget.SelectionMode.ExtendedSelection)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.info: TerminalInfo | None = None
        self.diagnosis: Diagnosis | None = None
        self.stale = False
        self.retranslate()

    def show_info(self, info: TerminalInfo | None) -> None:
        self.info = info
        self.stale = False
        self._render()

    def show_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        self.diagnosis = diagnosis
        self._render()

    def set_stale(self, stale: bool) -> None:
        """After a disconnect: keep the values, say they are the last known ones."""
        self.stale = stale
        self._render()

    def _word(self, value: str) -> str:
        """A state word the terminal reports ("ok", "closed", "ethernet"), in the current language."""
        words = {
            "ok": self.tr("ok"),
            "fault": self.tr("fault"),
            "absent": self.tr("absent"),
            "low": self.tr("low"),
            "out": self.tr("out"),
            "open": self.tr("open"),
            "closed": self.tr("closed"),
            "normal": self.tr("normal"),
            "test": self.tr("test"),
            "tampered": self.tr("tampered"),
            "ethernet": self.tr("ethernet"),
            "wifi": self.tr("Wi-Fi"),
            "cellular": self.tr("cellular"),
            "dialup": self.tr("dial-up"),
        }
        return words.get(value, value)

    # -- rows ----------------------------------------------------------------------
    def _rows(self) -> list[tuple[str, list[Row]]]:
        """(section, [(label, value, parameters shown, check id)])."""
        info = self.info
        if info is None:
            return []
        yes, no = self.tr("yes"), self.tr("no")
        w = self._word
        out: list[tuple[str, list[Row]]] = []
        i = info.identity
        if i:
            out.append(
                (
                    self.tr("Identity"),
                    [
                        (self.tr("Vendor / model"), f"{i.vendor} {i.model}", (), ""),
                        (self.tr("Serial number"), i.serial_number, (), "identity.serial"),
                        (self.tr("Hardware revision"), i.hardware_revision, (), ""),
                        (self.tr("Firmware"), f"{i.os_version} / {i.firmware_version}", (), "identity.firmware"),
                        (self.tr("Payment application"), f"{i.app_name} {i.app_version}", (), "identity.app"),
                        (self.tr("EMV kernels"), f"{i.emv_contact_kernel} / {i.emv_contactless_kernel}", (), ""),
                    ],
                )
            )
        p = info.parameters
        if p:
            blank = self.tr("(blank)")
            name = parameter_labels()
            comm = w(p.comm_mode)
            if p.apn:
                comm += self.tr(" (APN %1)").replace("%1", p.apn)
            if p.wifi_ssid:
                comm += self.tr(" (Wi-Fi %1)").replace("%1", p.wifi_ssid)
            out.append(
                (
                    self.tr("Payment parameters"),
                    [
                        (name["tid"], p.tid or blank, ("tid",), ""),
                        (name["mid"], p.mid or blank, ("mid",), ""),
                        (name["merchant_name"], p.merchant_name or blank, ("merchant_name",), ""),
                        (name["acquirer_id"], p.acquirer_id or blank, ("acquirer_id",), ""),
                        (
                            name["primary_host"],
                            f"{p.primary_host}:{p.primary_port}" if p.primary_host else blank,
                            ("primary_host", "primary_port"),
                            "",
                        ),
                        (
                            name["backup_host"],
                            f"{p.backup_host}:{p.backup_port}" if p.backup_host else self.tr("(none)"),
                            ("backup_host", "backup_port"),
                            "",
                        ),
                        (name["tls"], yes if p.tls else no, ("tls",), ""),
                        (name["tpdu"], p.tpdu or blank, ("tpdu",), ""),
                        (name["header_status"], w(p.header_status), ("header_status",), ""),
                        (name["comm_mode"], comm, ("comm_mode", "apn", "wifi_ssid"), ""),
                        (
                            self.tr("DNS"),
                            " ".join(x for x in (p.dns_primary, p.dns_secondary) if x) or "-",
                            ("dns_primary", "dns_secondary"),
                            "",
                        ),
                        (
                            self.tr("Timeouts"),
                            self.tr("connect %1 s, response %2 s")
                            .replace("%1", str(p.connect_timeout_s))
                            .replace("%2", str(p.response_timeout_s)),
                            ("connect_timeout_s", "response_timeout_s"),
                            "",
                        ),
                        (self.tr("STAN / batch"), f"{p.stan:06d} / {p.batch:06d}", ("stan", "batch"), ""),
                    ],
                )
            )
        k = info.keys
        if k:
            rows: list[Row] = [(self.tr("Key scheme"), k.scheme, (), "keys.scheme")]
            if not k.tmk_slots:
                rows.append((self.tr("Master key (TMK)"), self.tr("none loaded"), (), "keys.tmk"))
            for s in k.tmk_slots:
                active = self.tr(" (active)") if s.index == k.active_tmk_index else ""
                rows.append(
                    (
                        self.tr("TMK slot %1").replace("%1", f"{s.index:02d}"),
                        self.tr("%1-bit, check value %2")
                        .replace("%1", str(s.key_length * 8))
                        .replace("%2", s.check_value)
                        + active,
                        (),
                        "keys.tmk_kcv" if s.index == k.active_tmk_index else "",
                    )
                )
            for wk in k.working_keys:
                rows.append(
                    (
                        self.tr("Working key %1").replace("%1", wk.key_type.upper()),
                        self.tr("check value %1, loaded %2")
                        .replace("%1", wk.check_value)
                        .replace("%2", _t(wk.loaded_at)),
                        (),
                        "keys.working",
                    )
                )
            if not k.working_keys:
                rows.append((self.tr("Working keys"), self.tr("none"), (), "keys.working"))
            if k.ksn:
                rows.append((self.tr("DUKPT KSN"), k.ksn, (), "keys.dukpt"))
            rows.append((self.tr("Last sign-on"), _t(k.last_sign_on), (), ""))
            out.append((self.tr("Keys (check values only)"), rows))
        h = info.hardware
        if h:
            battery = (
                self.tr("%1%, health %2%, %3 cycles")
                .replace("%1", str(h.battery_level_pct))
                .replace("%2", str(h.battery_health_pct))
                .replace("%3", str(h.battery_cycles))
                if h.battery_present
                else self.tr("no battery")
            )
            out.append(
                (
                    self.tr("Hardware"),
                    [
                        (
                            self.tr("Printer"),
                            self.tr("%1, paper %2, cover %3")
                            .replace("%1", w(h.printer))
                            .replace("%2", w(h.printer_paper))
                            .replace("%3", w(h.printer_cover)),
                            (),
                            "hardware.printer",
                        ),
                        (self.tr("Magstripe reader"), w(h.magstripe), (), "hardware.magstripe"),
                        (self.tr("IC (chip) reader"), w(h.ic_reader), (), "hardware.ic_reader"),
                        (self.tr("Contactless reader"), w(h.contactless), (), "hardware.contactless"),
                        (self.tr("Keypad"), w(h.keypad), (), "hardware.keypad"),
                        (self.tr("Display"), w(h.display), (), "hardware.display"),
                        (self.tr("Battery"), battery, (), "hardware.battery"),
                        (
                            self.tr("Storage"),
                            self.tr("%1 of %2 KB free")
                            .replace("%1", str(h.storage_free_kb))
                            .replace("%2", str(h.storage_total_kb)),
                            (),
                            "hardware.storage",
                        ),
                        (self.tr("Tamper"), w(h.tamper), (), "hardware.tamper"),
                        (self.tr("Clock"), _t(h.clock) if h.clock else self.tr("not set"), (), "hardware.clock"),
                    ],
                )
            )
        c = info.counters
        if c:
            out.append(
                (
                    self.tr("Counters"),
                    [
                        (self.tr("Unsettled transactions"), c.unsettled_transactions, (), "counters.batch"),
                        (self.tr("Pending reversal"), yes if c.pending_reversal else no, (), "counters.reversal"),
                        (
                            self.tr("Transaction log"),
                            self.tr("%1 of %2")
                            .replace("%1", str(c.transaction_log_used))
                            .replace("%2", str(c.transaction_log_capacity)),
                            (),
                            "counters.log",
                        ),
                    ],
                )
            )
        if info.response_codes and out:
            last = info.response_codes[-1]
            out[-1][1].append(
                (
                    self.tr("Last response code"),
                    f"{last.code} {last.text} ({_t(last.time)})",
                    (),
                    "counters.response_codes",
                )
            )
        if info.errors:
            out.append(
                (
                    self.tr("Not read"),
                    [(self._section(e.section), self._error(e), (), "") for e in info.errors],
                )
            )
        return out

    @staticmethod
    def _error(e) -> str:
        """A section's error in plain words in the window's language; the driver's words if it has none."""
        text = getattr(e, "text", None)
        return text(lang()) if text is not None else e.message

    def _section(self, name: str) -> str:
        """A section of ``techapp info`` that could not be read, by its name on screen."""
        names = {
            "hello": self.tr("Protocol greeting"),
            "identity": self.tr("Identity"),
            "login": self.tr("Login"),
            "parameters": self.tr("Payment parameters"),
            "keys": self.tr("Keys (check values only)"),
            "hardware": self.tr("Hardware"),
            "counters": self.tr("Counters"),
            "response_codes": self.tr("Response code log"),
            "error_log": self.tr("Error log"),
            "logout": self.tr("Logout"),
        }
        return names.get(name, name)

    def judging(self, fields: tuple[str, ...], check_id: str) -> list[CheckResult]:
        """The checks that judged a row: those naming one of its parameters, else the row's own check."""
        if self.diagnosis is None:
            return []
        if fields:
            return [c for c in self.diagnosis.checks if set(c.fields) & set(fields)]
        return [c for c in self.diagnosis.checks if c.id == check_id] if check_id else []

    def _render(self) -> None:
        self.clear()
        language = lang()
        bold = QFont(self.font())
        bold.setBold(True)
        for section, rows in self._rows():
            head = QTreeWidgetItem([section])
            head.setFont(0, bold)
            self.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for label, value, fields, check_id in rows:
                item = QTreeWidgetItem([label, "" if value is None else str(value), ""])
                judged = [c for c in self.judging(fields, check_id) if c.status in _JUDGED]
                item.setData(0, Qt.ItemDataRole.UserRole, [c.id for c in judged])
                item.setData(1, Qt.ItemDataRole.UserRole, list(fields))
                if fields:
                    labels = parameter_labels()
                    item.setToolTip(
                        0, self.tr("Judged with: %1").replace("%1", ", ".join(labels.get(f, f) for f in fields))
                    )
                # only judged values get a mark; a check that could not run (link lost) says so in the
                # checklist, not here, where the last values read are kept
                item.setIcon(0, blank_icon() if self.diagnosis is not None else QIcon())
                if judged:
                    status = min((c.status for c in judged), key=_JUDGED.index)
                    item.setIcon(0, status_icon(status))
                    notes = []
                    for c in judged:
                        if c.status in ("fail", "warn"):
                            note = c.summary(language)
                            if c.compared_with:
                                note += f"  ({_texts().source_text(c.compared_with, language)})"
                            notes.append(note)
                    if notes:
                        note = "; ".join(notes)
                        item.setText(2, note)
                        item.setToolTip(1, note)
                        item.setToolTip(2, note)
                        for col in range(3):
                            item.setBackground(col, tint(status))
                if self.stale:
                    item.setForeground(1, self.palette().placeholderText())
                head.addChild(item)
        self.expandAll()
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)
        self.setColumnWidth(1, min(self.columnWidth(1) + 16, 460))

    def item_for(self, label: str) -> QTreeWidgetItem | None:
        """The row with this label (tests, screenshots)."""
        for i in range(self.topLevelItemCount()):
            head = self.topLevelItem(i)
            for j in range(head.childCount()):
                if head.child(j).text(0) == label:
                    return head.child(j)
        return None

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setHeaderLabels([self.tr("Item"), self.tr("Value"), self.tr("Note")])
        self._render()
