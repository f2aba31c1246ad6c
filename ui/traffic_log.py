"""The traffic log: every frame, ACK and NAK on the maintenance link, with time, direction, hex and
the decoded message; login proofs (derived from the password) are masked; filterable and copyable.

After a diagnosis the laptop's own ISO 8583 echo tests to the acquirer's hosts follow. Rows keep
what was seen (direction, hex, decoded message); the words around it are put in the current
language when shown, so switching the language rewords the rows already there.

The pane under the list shows the selected row field by field: a maintenance message's fields,
or an ISO 8583 message decoded with the CUP spec (:data:`drivers.hostlink.cup.SPEC`, pyiso8583):
TPDU, header, MTI and every field with its name. Save writes every row (not only the filtered
ones) as UTF-8 text, with the ISO 8583 messages decoded under their row.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSaveFile,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from drivers.addr import hostport

from .service import TraceLine

MAX_ROWS = 50_000
MASK = "•• masked ••"  # in the decoded text; shown in the current language
# Directions of a row: the maintenance link (tx, rx) and the laptop's own host messages.
OUTGOING = ("tx", "to-host", "terminal-to-host")
#: Rows that hold an ISO 8583 message (decoded field by field).
HOST_ROWS = ("to-host", "from-host", "terminal-to-host", "host-to-terminal")


def decode(line: TraceLine, password: str | None) -> tuple[str, str]:
    """(hex, decoded) for one trace line, with login proofs and the password masked."""
    raw = line.raw
    if line.kind == "bad":
        return raw.decode("ascii", "replace"), ""
    if line.kind in ("ack", "nak"):
        return raw.hex(" ").upper(), line.kind.upper()
    from drivers.registry import describe_frame, masked_hex  # the one masking, also the CLI's --trace

    secrets: list[bytes] = []
    if password:
        secrets.append(password.encode("utf-8"))
    text = describe_frame(raw, MASK) or ""  # decoded by the driver that knows it, its secret fields masked
    hexed = masked_hex(raw, secrets)
    if password:
        text = text.replace(password, MASK)
    return hexed, text


def _spaced(hexed: str) -> str:
    return " ".join(hexed[i : i + 2] for i in range(0, len(hexed), 2)).upper()


def _mti_and_code(wire: bytes) -> tuple[str, str]:
    """(MTI, field 39) of an ISO 8583 message on the wire; ("", "-") when it does not decode."""
    from drivers.hostlink import cup

    body = wire[2:] if len(wire) > 2 and int.from_bytes(wire[:2], "big") == len(wire) - 2 else wire
    try:
        msg = cup.decode(body)
    except Exception:  # noqa: BLE001 - a damaged or cut message: shown as hex
        return "", "-"
    return msg.mti, msg.get(39) or "-"


def _iso_names() -> dict[str, str]:
    """ISO 8583 fields of the CUP messages by their names (the CUP specification's Chinese names)."""
    return {
        "2": QCoreApplication.translate("TrafficLog", "Primary account number"),
        "3": QCoreApplication.translate("TrafficLog", "Processing code"),
        "4": QCoreApplication.translate("TrafficLog", "Amount"),
        "11": QCoreApplication.translate("TrafficLog", "System trace audit number (STAN)"),
        "12": QCoreApplication.translate("TrafficLog", "Local time (hhmmss)"),
        "13": QCoreApplication.translate("TrafficLog", "Local date (MMDD)"),
        "32": QCoreApplication.translate("TrafficLog", "Acquiring institution code"),
        "37": QCoreApplication.translate("TrafficLog", "Retrieval reference number"),
        "39": QCoreApplication.translate("TrafficLog", "Response code"),
        "41": QCoreApplication.translate("TrafficLog", "Terminal ID (TID)"),
        "42": QCoreApplication.translate("TrafficLog", "Merchant ID (MID)"),
        "48": QCoreApplication.translate("TrafficLog", "Additional data (settlement totals)"),
        "49": QCoreApplication.translate("TrafficLog", "Currency code"),
        "60": QCoreApplication.translate("TrafficLog", "Field 60 (type, batch, network management code)"),
        "62": QCoreApplication.translate("TrafficLog", "Field 62 (device data or working keys)"),
        "63": QCoreApplication.translate("TrafficLog", "Field 63 (operator code)"),
        "64": QCoreApplication.translate("TrafficLog", "Message authentication code (MAC)"),
    }


def iso_fields(wire: bytes) -> list[tuple[str, str, str]]:
    """An ISO 8583 message (length prefix optional) as (field, name, value) rows; [] when it does not decode.

    Field 62 of a reply carries working keys (encrypted under the master key): only its length is shown.
    """
    from drivers.hostlink import cup

    body = wire[2:] if len(wire) > 2 and int.from_bytes(wire[:2], "big") == len(wire) - 2 else wire
    try:
        msg = cup.decode(body)
    except Exception:  # noqa: BLE001 - a damaged answer: hex only
        return []
    names = _iso_names()
    rows = [
        ("TPDU", QCoreApplication.translate("TrafficLog", "Transport header"), msg.tpdu.hex().upper()),
        ("", QCoreApplication.translate("TrafficLog", "Message header"), msg.header.hex().upper()),
        ("MTI", QCoreApplication.translate("TrafficLog", "Message type"), msg.mti),
    ]
    for key in sorted(msg.fields, key=lambda k: (len(k), k)):
        value = msg.fields[key]
        if key == "62" and msg.mti.endswith("10"):
            hidden = QCoreApplication.translate("TrafficLog", "%1 bytes (working keys, encrypted: not shown)")
            value = hidden.replace("%1", str(len(value) // 2))
        elif key == "60":
            try:
                f60 = cup.parse_field_60(value)
                batch = f"{f60.batch:06d}" if f60.batch is not None else "-"
                value = f"{value}  (60.1={f60.message_type}, 60.2={batch}, 60.3={f60.nmc or '-'})"
            except Exception:  # noqa: BLE001 - shown as it came
                pass
        rows.append((key, names.get(key, cup.SPEC.get(key, {}).get("desc", "")), value))
    return rows


class TraceModel(QAbstractTableModel):
    """The rows as seen (``raw``) and as shown in the current language (``rows``: time, direction, hex, decoded)."""

    COLUMNS = 4

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.raw: list[tuple[str, str, str, tuple]] = []  # time, direction, hex, (what, *details)
        self.rows: list[tuple[str, str, str, str]] = []
        self.headers = ["", "", "", ""]
        self.password: str | None = None
        self._reword()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.rows[index.row()][index.column()]
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def direction(self, row: int) -> str:
        return self.raw[row][1]

    def _reword(self) -> None:
        """The words around the rows, in the current language (looked up once, not per row)."""
        self._words = {
            "tx": self.tr("→ tx"),
            "rx": self.tr("← rx"),
            "to-host": self.tr("→ host"),
            "terminal-to-host": self.tr("terminal → host"),
            "host-to-terminal": self.tr("host → terminal"),
            "from-host": self.tr("← host"),
            "echo-request": self.tr("laptop → %1: 0820 echo test"),
            "echo-answer": self.tr("%1 → laptop: 0830, response code %2"),
            "terminal-request": self.tr("terminal → %1: %2 (the terminal's own, as it reported it)"),
            "terminal-answer": self.tr("%1 → terminal: %2, response code %3"),
            "mask": self.tr("•• masked ••"),
            "bad": self.tr("bytes outside any frame (line noise, wrong baud rate?)"),
        }

    def _shown(self, raw: tuple[str, str, str, tuple]) -> tuple[str, str, str, str]:
        time, direction, hexed, (what, *details) = raw
        words = self._words
        if what == "echo-request":
            text = words["echo-request"].replace("%1", details[0])
        elif what == "echo-answer":
            text = words["echo-answer"].replace("%1", details[0]).replace("%2", details[1])
        elif what == "terminal-request":
            text = words["terminal-request"].replace("%1", details[0]).replace("%2", details[1])
        elif what == "terminal-answer":
            text = words["terminal-answer"].replace("%1", details[0]).replace("%2", details[1])
            text = text.replace("%3", details[2])
        elif what == "bad":
            text = words["bad"]
        else:
            text = details[0].replace(MASK, words["mask"])
        return time, words.get(direction, direction), hexed, text

    def add(self, lines: list[TraceLine]) -> None:
        new = []
        for line in lines:
            hexed, text = decode(line, self.password)
            what = line.kind if line.kind in ("bad",) else "frame"  # ACK / NAK: decoded as such
            new.append((line.time.strftime("%H:%M:%S.%f")[:-3], line.direction, hexed, (what, text)))
        self.add_raw(new)

    def add_raw(self, new: list[tuple[str, str, str, tuple]]) -> None:
        if not new:
            return
        overflow = len(self.rows) + len(new) - MAX_ROWS
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            del self.raw[:overflow]
            self.endRemoveRows()
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self.raw.extend(new)
        self.rows.extend(self._shown(r) for r in new)
        self.endInsertRows()

    def retranslate(self) -> None:
        self._reword()
        self.rows = [self._shown(r) for r in self.raw]
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.COLUMNS - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.raw = []
        self.endResetModel()

    def set_headers(self, headers: list[str]) -> None:
        self.headers = headers
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self.COLUMNS - 1)


class _Filter(QSortFilterProxyModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.direction = ""
        self.needle = ""

    def set(self, direction: str, needle: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9
            self.beginFilterChange()
            self.direction, self.needle = direction, needle.lower().strip()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.direction, self.needle = direction, needle.lower().strip()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent) -> bool:
        model = self.sourceModel()
        if self.direction and (model.direction(row) in OUTGOING) != (self.direction == "tx"):
            return False
        return not self.needle or any(self.needle in cell.lower() for cell in model.rows[row])


def _button() -> QToolButton:
    """A text button as narrow as its text (push buttons keep 80 px each: the tab would not fit 800 px)."""
    b = QToolButton()
    b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return b


class TrafficLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trafficLog")
        self.model = TraceModel(self)
        self.diagnosis = None  # the last diagnosis: its host traffic can be saved as pcap
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter_label = QLabel()
        self.filter = QLineEdit()
        self.filter.setObjectName("traceFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter_label.setBuddy(self.filter)
        self.direction = QComboBox()
        self.direction.setObjectName("traceDirection")
        self.copy_button = _button()
        self.copy_button.setObjectName("traceCopy")
        self.save_button = _button()
        self.save_button.setObjectName("traceSave")
        self.clear_button = _button()
        self.follow = True
        top.addWidget(self.filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.direction)
        top.addWidget(self.copy_button)
        top.addWidget(self.save_button)
        top.addWidget(self.clear_button)
        lay.addLayout(top)
        self.view = QTableView()
        self.view.setObjectName("traceView")
        self.view.setModel(self.proxy)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 4)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.view.setColumnWidth(2, 380)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.view.setFont(mono)
        self.detail = QPlainTextEdit()
        self.detail.setObjectName("traceDetail")
        self.detail.setReadOnly(True)
        self.detail.setFont(mono)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.view)
        self.split.addWidget(self.detail)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([400, 130])
        lay.addWidget(self.split)
        self.view.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.filter.textChanged.connect(self._refilter)
        self.direction.currentIndexChanged.connect(self._refilter)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self.save_as)
        self.clear_button.clicked.connect(self.model.clear)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        QShortcut(QKeySequence.StandardKey.Copy, self.view, activated=self.copy)
        self.retranslate()

    def set_password(self, password: str | None) -> None:
        self.model.password = password

    def _scrolled(self, value: int) -> None:
        """The log follows new rows until the technician scrolls up to read; scrolling to the end follows again."""
        if self.view.isVisible():
            self.follow = value >= self.view.verticalScrollBar().maximum() - 2

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.follow:  # once the shown view has its size
            QTimer.singleShot(0, self.view, self.view.scrollToBottom)

    def add(self, lines: list[TraceLine]) -> None:
        self.model.add(lines)
        if self.follow:
            self.view.scrollToBottom()

    def add_host_messages(self, diagnosis) -> None:
        """The ISO 8583 messages of a diagnosis, after the link frames: the terminal's own sign-on 0800/0810
        (and a settlement's 0500/0510) as it reported them (HOST_EXCHANGE), and the laptop's echo tests
        0820/0830; in time order (:func:`techapp.evidence.conversations`), card fields masked."""
        if diagnosis is None:
            return
        self.diagnosis = diagnosis
        from datetime import datetime

        from techapp.evidence import conversations, mask_wire

        def at(seconds: float | None) -> str:
            return datetime.fromtimestamp(seconds).strftime("%H:%M:%S.%f")[:-3] if seconds else ""

        rows: list[tuple[str, str, str, tuple]] = []
        for c in conversations(diagnosis):
            host = hostport(c.server, c.server_port)
            sent, got = mask_wire(c.sent) if c.sent else b"", mask_wire(c.received) if c.received else b""
            mti_sent, _ = _mti_and_code(sent)
            mti_got, code = _mti_and_code(got)
            if c.origin == "laptop":
                if sent:
                    rows.append((at(c.sent_at), "to-host", _spaced(sent.hex()), ("echo-request", host)))
                if got:
                    rows.append((at(c.received_at), "from-host", _spaced(got.hex()), ("echo-answer", host, code)))
            else:
                if sent:
                    rows.append(
                        (at(c.sent_at), "terminal-to-host", _spaced(sent.hex()), ("terminal-request", host, mti_sent))
                    )
                if got:
                    what = ("terminal-answer", host, mti_got, code)
                    rows.append((at(c.received_at), "host-to-terminal", _spaced(got.hex()), what))
        self.add_rows(rows)

    def add_rows(self, rows: list[tuple[str, str, str, tuple]]) -> None:
        self.model.add_raw(rows)
        if self.follow:
            self.view.scrollToBottom()

    def _refilter(self) -> None:
        self.proxy.set(self.direction.currentData() or "", self.filter.text())

    def text(self, selected_only: bool = True) -> str:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedIndexes()}) if selected_only else []
        if not rows:
            rows = list(range(self.proxy.rowCount()))
        out = []
        for r in rows:
            src = self.proxy.mapToSource(self.proxy.index(r, 0)).row()
            out.append("  ".join(self.model.rows[src]))
        return "\n".join(out) + ("\n" if out else "")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    # -- one row, field by field -----------------------------------------------------------
    def detail_text(self, source_row: int) -> str:
        """The row's message field by field: ISO 8583 fields with their names, or the maintenance fields."""
        time, direction, hexed, (what, *details) = self.model.raw[source_row]
        if direction in HOST_ROWS:
            rows = iso_fields(bytes.fromhex(hexed.replace(" ", "")))
            if not rows:
                return self.tr("Not a complete ISO 8583 message: shown as hex only.")
            width = max(len(f) for f, _, _ in rows)
            return "\n".join(f"{f:>{width}}  {name}: {value}" for f, name, value in rows)
        shown = self.model.rows[source_row][3]
        head, _, fields = shown.partition("  ")
        lines = [head] + [f"    {part}" for part in fields.split(", ") if part]
        return "\n".join(line for line in lines if line.strip())

    def _show_detail(self) -> None:
        index = self.view.currentIndex()
        if not index.isValid():
            self.detail.setPlainText("")
            return
        self.detail.setPlainText(self.detail_text(self.proxy.mapToSource(index).row()))

    # -- save ------------------------------------------------------------------------------
    def save_text(self) -> str:
        """Every row (the filter does not apply), ISO 8583 messages decoded under their row."""
        out = ["\t".join(self.model.headers)]
        for i, row in enumerate(self.model.rows):
            out.append("\t".join(row))
            if self.model.raw[i][1] in HOST_ROWS:
                out += ["\t" + line for line in self.detail_text(i).splitlines()]
        return "\n".join(out) + "\n"

    def save(self, path: str) -> bool:
        """Write the log to ``path`` (UTF-8), whole or not at all, mode 0600; False when it could not be written.

        Never onto a link, a device, a FIFO or a folder (drivers.safeio.check_output_path, as the command line).
        """
        import os

        from drivers.safeio import OutputPathError, check_output_path

        try:
            check_output_path(path)
        except OutputPathError as err:
            self.last_error = err.strerror or str(err)
            return False
        f = QSaveFile(path)
        if not f.open(QSaveFile.OpenModeFlag.WriteOnly):
            self.last_error = f.errorString()
            return False
        f.write(self.save_text().encode("utf-8"))
        if not f.commit():
            self.last_error = f.errorString()
            return False
        try:
            os.chmod(path, 0o600)
        except OSError:
            pass  # written; a file system without modes (FAT stick) keeps its own
        return True

    def save_pcap(self, path: str) -> bool:
        """The host traffic (ISO 8583) of the last diagnosis as a pcap for Wireshark (techapp.evidence)."""
        from techapp.evidence import conversations, write_pcap

        try:
            write_pcap(conversations(self.diagnosis) if self.diagnosis is not None else [], path)
        except (OSError, ImportError) as err:
            self.last_error = str(err)
            return False
        return True

    def save_as(self) -> None:
        """Save as text (every row) or, after a diagnosis, its ISO 8583 host traffic as pcap."""
        from datetime import datetime

        from PySide6.QtWidgets import QMessageBox

        text_filter = self.tr("Text files (*.txt)")
        pcap_filter = self.tr("ISO 8583 host traffic for Wireshark (*.pcap)")
        filters = [text_filter] + ([pcap_filter] if self.diagnosis is not None else []) + [self.tr("All files (*)")]
        suggested = f"techapp-traffic-{datetime.now():%Y%m%d-%H%M%S}.txt"
        path, chosen = QFileDialog.getSaveFileName(self, self.tr("Save the traffic log"), suggested, ";;".join(filters))
        if not path:
            return
        pcap = chosen == pcap_filter or path.lower().endswith(".pcap")
        if pcap and not path.lower().endswith(".pcap"):
            path += ".pcap"
        if not (self.save_pcap(path) if pcap else self.save(path)):
            QMessageBox.warning(
                self,
                self.tr("Save the traffic log"),
                self.tr("The traffic log could not be saved in %1. Choose another folder.").replace("%1", path),
            )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.filter_label.setText(self.tr("Filte&r:"))
        self.filter.setPlaceholderText(self.tr("text, hex or command, e.g. GET_PARAMETERS"))
        current = self.direction.currentIndex()
        self.direction.blockSignals(True)
        self.direction.clear()
        self.direction.addItem(self.tr("Both directions"), "")
        self.direction.addItem(self.tr("Sent (tx)"), "tx")
        self.direction.addItem(self.tr("Received (rx)"), "rx")
        self.direction.setCurrentIndex(max(current, 0))
        self.direction.blockSignals(False)
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the selected rows, or every shown row"))
        self.save_button.setText(self.tr("Save..."))
        self.save_button.setToolTip(self.tr("Save every row as a text file, ISO 8583 messages decoded"))
        self.clear_button.setText(self.tr("Clear"))
        self.model.set_headers([self.tr("Time"), self.tr("Dir."), self.tr("Hex"), self.tr("Decoded")])
        self.model.retranslate()
        self._refilter()
