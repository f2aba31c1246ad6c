"""The traffic log: every frame, ACK and NAK on the maintenance link, with time, direction, hex and
the decoded message; login proofs (derived from the password) are masked; filterable and copyable."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .service import TraceLine

MAX_ROWS = 50_000
MASK = "•• masked ••"


def _sensitive_tags():
    try:
        from drivers.maint.protocol import Tag
    except ImportError:  # another driver: nothing known to mask
        return set()
    return {Tag.CLIENT_PROOF, Tag.TERMINAL_PROOF}


def decode(line: TraceLine, password: str | None) -> tuple[str, str]:
    """(hex, decoded) for one trace line, with login proofs and the password masked."""
    raw = line.raw
    if line.kind == "bad":
        return raw.decode("ascii", "replace"), ""
    if line.kind in ("ack", "nak"):
        return raw.hex(" ").upper(), line.kind.upper()
    secrets: list[bytes] = []
    if password:
        secrets.append(password.encode("utf-8"))
    text = ""
    try:
        from drivers.maint.protocol import decode_message

        msg = decode_message(raw)
        hidden = _sensitive_tags()
        parts = []
        for tag, value in msg.fields:
            name = getattr(tag, "name", str(tag))
            if tag in hidden:
                if isinstance(value, bytes | bytearray):
                    secrets.append(bytes(value))
                parts.append(f"{name}={MASK}")
            else:
                shown = value.hex().upper() if isinstance(value, bytes | bytearray) else str(value)
                parts.append(f"{name}={shown}")
        text = msg.describe() + ("  " + ", ".join(parts) if parts else "")
    except Exception:  # not a maintenance message (another driver, noise): hex only
        text = ""
    hexed = raw.hex(" ").upper()
    for s in secrets:
        if s and s in raw:
            hexed = hexed.replace(s.hex(" ").upper(), " ".join(["**"] * len(s)))
    if password:
        text = text.replace(password, MASK)
    return hexed, text


def _spaced(hexed: str) -> str:
    return " ".join(hexed[i : i + 2] for i in range(0, len(hexed), 2)).upper()


class TraceModel(QAbstractTableModel):
    COLUMNS = 4

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, str, str, str]] = []  # time, direction, hex, decoded
        self.headers = ["", "", "", ""]
        self.password: str | None = None

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

    def add(self, lines: list[TraceLine]) -> None:
        new = []
        for line in lines:
            hexed, text = decode(line, self.password)
            arrow = "→ tx" if line.direction == "tx" else "← rx"
            kind = "" if line.kind == "frame" else f"[{line.kind}] "
            new.append((line.time.strftime("%H:%M:%S.%f")[:-3], arrow, hexed, kind + text))
        if not new:
            return
        overflow = len(self.rows) + len(new) - MAX_ROWS
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            self.endRemoveRows()
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self.rows.extend(new)
        self.endInsertRows()

    def add_rows(self, rows: list[tuple[str, str, str, str]]) -> None:
        if not rows:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
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
        rows = self.sourceModel().rows
        r = rows[row]
        if self.direction and not r[1].startswith("→" if self.direction == "tx" else "←"):
            return False
        return not self.needle or any(self.needle in cell.lower() for cell in r)


class TrafficLog(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trafficLog")
        self.model = TraceModel(self)
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
        self.copy_button = QPushButton()
        self.copy_button.setObjectName("traceCopy")
        self.clear_button = QPushButton()
        self.follow = True
        top.addWidget(self.filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.direction)
        top.addWidget(self.copy_button)
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
        lay.addWidget(self.view)
        self.filter.textChanged.connect(self._refilter)
        self.direction.currentIndexChanged.connect(self._refilter)
        self.copy_button.clicked.connect(self.copy)
        self.clear_button.clicked.connect(self.model.clear)
        QShortcut(QKeySequence.StandardKey.Copy, self.view, activated=self.copy)
        self.retranslate()

    def set_password(self, password: str | None) -> None:
        self.model.password = password

    def add(self, lines: list[TraceLine]) -> None:
        bar = self.view.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 2
        self.model.add(lines)
        if at_end:
            self.view.scrollToBottom()

    def add_host_messages(self, diagnosis) -> None:
        """The laptop's ISO 8583 echo tests (0820/0830) from the diagnosis's evidence, after the link frames."""
        check = diagnosis.check("network.laptop") if diagnosis is not None else None
        echoes = check.observed.get("echo") if check is not None else None
        if not echoes:
            return
        when = diagnosis.finished_at.strftime("~%H:%M:%S") if diagnosis.finished_at else ""
        rows = []
        for e in echoes:
            host = f"{e.get('host')}:{e.get('port')}"
            code = e.get("response_code") or e.get("outcome", "")
            if e.get("request_hex"):
                rows.append((when, "→ host", _spaced(e["request_hex"]), f"laptop → {host}: 0820 echo test"))
            if e.get("answer_hex"):
                rows.append((when, "← host", _spaced(e["answer_hex"]), f"{host} → laptop: 0830, response code {code}"))
        self.model.add_rows(rows)

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

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.filter_label.setText(self.tr("&Filter:"))
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
        self.clear_button.setText(self.tr("Clear"))
        self.model.set_headers([self.tr("Time"), self.tr("Dir."), self.tr("Hex"), self.tr("Decoded")])
