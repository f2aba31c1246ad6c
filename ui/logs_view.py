"""The terminal's own logs: its response-code log and its error log, filterable, codes explained.

Both logs are read at Connect (``techapp info``) and by every diagnosis
(:class:`~techapp.info.TerminalInfo` ``response_codes`` / ``error_log``). A
response code means what the acquirer says it means: the meaning and the
action come from the chosen acquirer profile (:meth:`AcquirerProfile.explain
<techapp.profiles.AcquirerProfile.explain>`), never from the terminal's
display text. Without a profile the column says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .copying import copy_text, install_copy, tree_text
from .i18n import lang

if TYPE_CHECKING:
    from drivers.models import LogEntry
    from techapp.info import TerminalInfo
    from techapp.profiles import AcquirerProfile

RESPONSE_CODES, ERRORS = "response-codes", "errors"


class LogsView(QWidget):
    """Response-code log and error log in one list, newest first, with a text filter and a log chooser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("logsView")
        self.info: TerminalInfo | None = None
        self.profile: AcquirerProfile | None = None
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter_label = QLabel()
        self.filter = QLineEdit()
        self.filter.setObjectName("logsFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter_label.setBuddy(self.filter)
        self.which = QComboBox()
        self.which.setObjectName("logsWhich")
        self.copy_button = QPushButton()
        self.copy_button.setObjectName("logsCopy")
        top.addWidget(self.filter_label)
        top.addWidget(self.filter, 1)
        top.addWidget(self.which)
        top.addWidget(self.copy_button)
        lay.addLayout(top)
        self.hint = QLabel()
        self.hint.setObjectName("logsHint")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.tree = QTreeWidget()
        self.tree.setObjectName("logsTree")
        self.tree.setColumnCount(5)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        header = self.tree.header()
        for col in range(4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        lay.addWidget(self.tree, 1)
        self.detail = QLabel()
        self.detail.setObjectName("logsDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setMinimumHeight(3 * self.fontMetrics().height())
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.detail)
        install_copy(self.tree)
        self.tree.currentItemChanged.connect(lambda *_: self._show_detail())
        self.filter.textChanged.connect(self._apply_filter)
        self.which.currentIndexChanged.connect(self._apply_filter)
        self.copy_button.clicked.connect(self.copy)
        self.retranslate()

    # -- data ------------------------------------------------------------------------------
    def show_info(self, info: TerminalInfo | None) -> None:
        self.info = info
        self._render()

    def set_profile(self, profile: AcquirerProfile | None) -> None:
        if profile is not self.profile:
            self.profile = profile
            self._render()

    def rows(self) -> list[tuple[str, str, str, str, str, str]]:
        """(time, log id, log name, code, terminal's text, meaning), newest first."""
        info = self.info
        if info is None:
            return []
        entries: list[tuple[str, LogEntry]] = [(RESPONSE_CODES, e) for e in info.response_codes or []]
        entries += [(ERRORS, e) for e in info.error_log or []]
        entries.sort(key=lambda pair: pair[1].time, reverse=True)
        names = {RESPONSE_CODES: self.tr("Response code"), ERRORS: self.tr("Error")}
        return [
            (e.time.strftime("%Y-%m-%d %H:%M:%S"), kind, names[kind], e.code, e.text, self._meaning(kind, e.code))
            for kind, e in entries
        ]

    def _meaning(self, kind: str, code: str) -> str:
        if kind != RESPONSE_CODES or self.profile is None:
            return ""
        info = self.profile.explain(code)
        zh = lang() == "zh"
        meaning = info.zh if zh else info.en
        category = info.category_zh if zh else info.category_en
        action = info.action_zh if zh else info.action_en
        sep = "：" if zh else ": "
        head = f"{meaning}（{category}）" if zh and category else f"{meaning} ({category})" if category else meaning
        return head + (sep + action if action else "")

    # -- view ------------------------------------------------------------------------------
    def _render(self) -> None:
        self.tree.clear()
        for time, kind, name, code, text, meaning in self.rows():
            item = QTreeWidgetItem([time, name, code, text, meaning])
            item.setData(0, Qt.ItemDataRole.UserRole, kind)
            if meaning:
                item.setToolTip(4, meaning)
            self.tree.addTopLevelItem(item)
        self._hint()
        self._apply_filter()
        self._show_detail()

    def _show_detail(self) -> None:
        """The selected entry whole: code, the terminal's text, and the profile's meaning and action."""
        item = self.tree.currentItem()
        if item is None or item.isHidden():
            self.detail.setText("")
            return
        time, name, code, text, meaning = (item.text(c) for c in range(5))
        line = self.tr("%1  %2 %3: %4").replace("%1", time).replace("%2", name).replace("%3", code).replace("%4", text)
        self.detail.setText(line + ("\n" + meaning if meaning else ""))

    def _hint(self) -> None:
        info = self.info
        if info is None:
            text = self.tr("Connect to a terminal: its response-code log and error log are read then.")
        elif info.response_codes is None and info.error_log is None:
            text = self.tr("The logs could not be read (see the Terminal tab); connect again to read them.")
        elif not info.response_codes and not info.error_log:
            text = self.tr("Both logs are empty.")
        elif self.profile is None:
            text = self.tr(
                "No acquirer profile chosen: a response code means what the acquirer says. "
                "Choose the acquirer profile (left) to see each code explained."
            )
        else:
            name = self.profile.name.zh if lang() == "zh" else self.profile.name.en
            text = self.tr("Response codes explained by the acquirer profile %1.").replace("%1", name)
        self.hint.setText(text)

    def _apply_filter(self) -> None:
        needle = self.filter.text().strip().lower()
        which = self.which.currentData() or ""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            kind = item.data(0, Qt.ItemDataRole.UserRole)
            hay = " ".join(item.text(c) for c in range(self.tree.columnCount())).lower()
            item.setHidden(bool((which and kind != which) or (needle and needle not in hay)))

    def visible_rows(self) -> list[list[str]]:
        """The rows shown now (after the filter), as their cells (tests, copy)."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if not item.isHidden():
                out.append([item.text(c) for c in range(self.tree.columnCount())])
        return out

    def copy(self) -> None:
        """Copy the selected rows, or every shown row when none is selected."""
        selected = [i for i in self.tree.selectedItems() if not i.isHidden()]
        copy_text(tree_text(self.tree, selected_only=bool(selected)))

    # -- language --------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.filter_label.setText(self.tr("Filte&r:"))
        self.filter.setPlaceholderText(self.tr("code, text or date, e.g. 97"))
        current = max(self.which.currentIndex(), 0)
        self.which.blockSignals(True)
        self.which.clear()
        self.which.addItem(self.tr("Both logs"), "")
        self.which.addItem(self.tr("Response codes"), RESPONSE_CODES)
        self.which.addItem(self.tr("Errors"), ERRORS)
        self.which.setCurrentIndex(current)
        self.which.blockSignals(False)
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the selected rows, or every shown row (Ctrl+C)"))
        self.tree.setHeaderLabels(
            [
                self.tr("Time"),
                self.tr("Log"),
                self.tr("Code"),
                self.tr("Terminal's text"),
                self.tr("Meaning and action"),
            ]
        )
        self._render()


__all__ = ["LogsView"]
