"""What the terminal told: identity, parameters, keys (check values only), hardware, counters.

After a diagnosis, rows whose check did not pass are tinted and the note
column says why (the check's own summary, in the current language).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from techapp.diagnosis import Diagnosis
from techapp.diagnosis.render import source_text
from techapp.info import TerminalInfo

from .i18n import lang
from .style import status_icon, tint


def _t(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


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
    def _rows(self) -> list[tuple[str, list[tuple[str, Any, str]]]]:
        """(section, [(label, value, check id)])."""
        info = self.info
        if info is None:
            return []
        yes, no = self.tr("yes"), self.tr("no")
        w = self._word
        out: list[tuple[str, list[tuple[str, Any, str]]]] = []
        i = info.identity
        if i:
            out.append(
                (
                    self.tr("Identity"),
                    [
                        (self.tr("Vendor / model"), f"{i.vendor} {i.model}", ""),
                        (self.tr("Serial number"), i.serial_number, "identity.serial"),
                        (self.tr("Hardware revision"), i.hardware_revision, ""),
                        (self.tr("Firmware"), f"{i.os_version} / {i.firmware_version}", "identity.firmware"),
                        (self.tr("Payment application"), f"{i.app_name} {i.app_version}", "identity.app"),
                        (self.tr("EMV kernels"), f"{i.emv_contact_kernel} / {i.emv_contactless_kernel}", ""),
                    ],
                )
            )
        p = info.parameters
        if p:
            blank = self.tr("(blank)")
            out.append(
                (
                    self.tr("Payment parameters"),
                    [
                        (self.tr("Terminal ID (TID)"), p.tid or blank, "params.tid"),
                        (self.tr("Merchant ID (MID)"), p.mid or blank, "params.mid"),
                        (self.tr("Merchant name"), p.merchant_name, ""),
                        (self.tr("Acquirer ID"), p.acquirer_id, ""),
                        (
                            self.tr("Primary host"),
                            f"{p.primary_host}:{p.primary_port}" if p.primary_host else blank,
                            "params.hosts",
                        ),
                        (
                            self.tr("Backup host"),
                            f"{p.backup_host}:{p.backup_port}" if p.backup_host else self.tr("(none)"),
                            "params.hosts",
                        ),
                        (self.tr("TLS"), yes if p.tls else no, "params.comms"),
                        (self.tr("TPDU"), p.tpdu, "params.tpdu"),
                        (self.tr("Header status"), w(p.header_status), "params.header"),
                        (self.tr("Comm mode"), w(p.comm_mode) + (f" (APN {p.apn})" if p.apn else ""), "params.comms"),
                        (self.tr("DNS"), " ".join(x for x in (p.dns_primary, p.dns_secondary) if x) or "-", ""),
                        (
                            self.tr("Timeouts"),
                            self.tr("connect %1 s, response %2 s")
                            .replace("%1", str(p.connect_timeout_s))
                            .replace("%2", str(p.response_timeout_s)),
                            "",
                        ),
                        (self.tr("STAN / batch"), f"{p.stan:06d} / {p.batch:06d}", "params.counters"),
                    ],
                )
            )
        k = info.keys
        if k:
            rows: list[tuple[str, Any, str]] = [(self.tr("Key scheme"), k.scheme, "keys.scheme")]
            if not k.tmk_slots:
                rows.append((self.tr("Master key (TMK)"), self.tr("none loaded"), "keys.tmk"))
            for s in k.tmk_slots:
                active = self.tr(" (active)") if s.index == k.active_tmk_index else ""
                rows.append(
                    (
                        self.tr("TMK slot %1").replace("%1", f"{s.index:02d}"),
                        self.tr("%1-bit, check value %2")
                        .replace("%1", str(s.key_length * 8))
                        .replace("%2", s.check_value)
                        + active,
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
                        "keys.working",
                    )
                )
            if not k.working_keys:
                rows.append((self.tr("Working keys"), self.tr("none"), "keys.working"))
            if k.ksn:
                rows.append((self.tr("DUKPT KSN"), k.ksn, "keys.dukpt"))
            rows.append((self.tr("Last sign-on"), _t(k.last_sign_on), ""))
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
                            "hardware.printer",
                        ),
                        (self.tr("Magstripe reader"), w(h.magstripe), "hardware.magstripe"),
                        (self.tr("IC (chip) reader"), w(h.ic_reader), "hardware.ic_reader"),
                        (self.tr("Contactless reader"), w(h.contactless), "hardware.contactless"),
                        (self.tr("Keypad"), w(h.keypad), "hardware.keypad"),
                        (self.tr("Display"), w(h.display), "hardware.display"),
                        (self.tr("Battery"), battery, "hardware.battery"),
                        (
                            self.tr("Storage"),
                            self.tr("%1 of %2 KB free")
                            .replace("%1", str(h.storage_free_kb))
                            .replace("%2", str(h.storage_total_kb)),
                            "hardware.storage",
                        ),
                        (self.tr("Tamper"), w(h.tamper), "hardware.tamper"),
                        (self.tr("Clock"), _t(h.clock) if h.clock else self.tr("not set"), "hardware.clock"),
                    ],
                )
            )
        c = info.counters
        if c:
            out.append(
                (
                    self.tr("Counters"),
                    [
                        (self.tr("Unsettled transactions"), c.unsettled_transactions, "counters.batch"),
                        (self.tr("Pending reversal"), yes if c.pending_reversal else no, "counters.reversal"),
                        (
                            self.tr("Transaction log"),
                            self.tr("%1 of %2")
                            .replace("%1", str(c.transaction_log_used))
                            .replace("%2", str(c.transaction_log_capacity)),
                            "counters.log",
                        ),
                    ],
                )
            )
        if info.response_codes:
            last = info.response_codes[-1]
            out[-1][1].append(
                (self.tr("Last response code"), f"{last.code} {last.text} ({_t(last.time)})", "counters.response_codes")
            )
        if info.errors:
            out.append(
                (
                    self.tr("Not read"),
                    [(e.section, f"{e.message} [{e.error_type}]", "") for e in info.errors],
                )
            )
        return out

    def _render(self) -> None:
        self.clear()
        language = lang()
        checks = {c.id: c for c in self.diagnosis.checks} if self.diagnosis else {}
        bold = QFont(self.font())
        bold.setBold(True)
        for section, rows in self._rows():
            head = QTreeWidgetItem([section])
            head.setFont(0, bold)
            head.setFirstColumnSpanned(True)
            self.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for label, value, check_id in rows:
                item = QTreeWidgetItem([label, "" if value is None else str(value), ""])
                item.setData(0, Qt.ItemDataRole.UserRole, check_id)
                check = checks.get(check_id)
                # only judged values get a mark; a check that could not run (link lost) says so in the
                # checklist, not here, where the last values read are kept
                if check is not None and check.status in ("pass", "warn", "fail"):
                    item.setIcon(0, status_icon(check.status))
                    if check.status in ("fail", "warn"):
                        note = check.summary(language)
                        if check.compared_with:
                            note += f"  ({source_text(check.compared_with, language)})"
                        item.setText(2, note)
                        item.setToolTip(1, note)
                        item.setToolTip(2, note)
                        for col in range(3):
                            item.setBackground(col, tint(check.status))
                if self.stale:
                    item.setForeground(1, self.palette().placeholderText())
                head.addChild(item)
        self.expandAll()
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(1)
        self.setColumnWidth(1, min(self.columnWidth(1) + 16, 460))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setHeaderLabels([self.tr("Item"), self.tr("Value"), self.tr("Note")])
        self._render()
