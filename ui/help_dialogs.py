"""Help: the user guide (F1), the response-code reference, the keyboard shortcuts, About.

The guide is HTML in ``resources/help/`` (``guide.en.html``, ``guide.zh_CN.html``),
shipped with the other resources. The response-code reference is the chosen
acquirer profile's table (the only source of what a code means), shown in the
window's language with the terminal's Chinese display text beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import techapp
from drivers.resources import resource_root
from techapp.profiles import ProfileError, list_profiles, load_profile

from .i18n import LOCALE, lang

if TYPE_CHECKING:
    from techapp.profiles import AcquirerProfile


def app_icon() -> QIcon:
    """The window icon (resources/icons: SVG, with PNGs for platforms without the SVG plugin)."""
    icon = QIcon()
    folder = resource_root() / "icons"
    for name in ("techapp.svg", "techapp.png", "techapp-48.png"):
        path = folder / name
        if path.exists():
            icon.addFile(str(path))
    return icon


def guide_path(language: str | None = None):
    """resources/help/guide.en.html or guide.zh_CN.html."""
    language = language or lang()
    return resource_root() / "help" / f"guide.{LOCALE.get(language, 'en')}.html"


def _close_box(dialog: QDialog) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    box.rejected.connect(dialog.reject)
    box.accepted.connect(dialog.accept)
    return box


class GuideDialog(QDialog):
    """The short user guide in the window's language; follows a language switch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("guideDialog")
        self.resize(640, 620)
        lay = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideText")
        self.browser.setOpenExternalLinks(False)
        lay.addWidget(self.browser)
        lay.addWidget(_close_box(self))
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("techapp guide"))
        path = guide_path()
        self.browser.setHtml(path.read_text(encoding="utf-8") if path.exists() else "")


class ResponseCodesDialog(QDialog):
    """Every response code of an acquirer profile: what it means, its class, what to do; with a filter."""

    def __init__(self, profile_name: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responseCodesDialog")
        self.resize(980, 600)
        self.profile: AcquirerProfile | None = None
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.profile_label = QLabel()
        self.profiles = QComboBox()
        self.profiles.setObjectName("codesProfile")
        for name, _path in list_profiles():
            self.profiles.addItem(name, name)
        self.profile_label.setBuddy(self.profiles)
        self.filter_label = QLabel()
        self.filter = QLineEdit()
        self.filter.setObjectName("codesFilter")
        self.filter.setClearButtonEnabled(True)
        self.filter_label.setBuddy(self.filter)
        top.addWidget(self.profile_label)
        top.addWidget(self.profiles)
        top.addSpacing(12)
        top.addWidget(self.filter_label)
        top.addWidget(self.filter, 1)
        lay.addLayout(top)
        self.note = QLabel()
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("codesTable")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col in (0, 1, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnHidden(5, True)  # what to do: in the pane below, whole
        lay.addWidget(self.table, 1)
        self.action = QLabel()
        self.action.setObjectName("codesAction")
        self.action.setWordWrap(True)
        self.action.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action.setMinimumHeight(3 * self.fontMetrics().height())
        self.action.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        lay.addWidget(self.action)
        lay.addWidget(_close_box(self))
        if profile_name:
            i = self.profiles.findData(profile_name)
            if i >= 0:
                self.profiles.setCurrentIndex(i)
        self.profiles.currentIndexChanged.connect(self._load)
        self.filter.textChanged.connect(self._apply_filter)
        self.table.currentCellChanged.connect(lambda *_: self._show_action())
        self._load()

    def _load(self) -> None:
        name = self.profiles.currentData()
        try:
            self.profile = load_profile(name) if name else None
        except ProfileError:
            self.profile = None
        self.retranslate()

    def rows(self) -> list[list[str]]:
        """(code, terminal shows, meaning, class, points at, what to do) in the window's language."""
        p = self.profile
        if p is None:
            return []
        zh = lang() == "zh"
        out = []
        for code in sorted(p.response_codes):
            info = p.explain(code)
            sides = info.side_zh if zh else info.side_en
            out.append(
                [
                    code,
                    info.zh,
                    info.zh if zh else info.en,
                    info.category_zh if zh else info.category_en,
                    ("、" if zh else ", ").join(sides),
                    info.action_zh if zh else info.action_en,
                ]
            )
        return out

    def _fill(self) -> None:
        rows = self.rows()
        # in Chinese the meaning is the terminal's display text: one column, not the same twice
        self.table.setColumnHidden(2, lang() == "zh")
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        self._apply_filter()
        if rows:
            self.table.setCurrentCell(0, 0)
        self._show_action()

    def _show_action(self) -> None:
        row = self.table.currentRow()
        if row < 0 or self.table.item(row, 5) is None:
            self.action.setText("")
            return
        code, meaning, todo = (self.table.item(row, c).text() for c in (0, 2, 5))
        said = self.tr("%1 %2. What to do: %3").replace("%1", code).replace("%2", meaning)
        self.action.setText(said.replace("%3", todo))

    def _apply_filter(self) -> None:
        needle = self.filter.text().strip().lower()
        for r in range(self.table.rowCount()):
            hay = " ".join(self.table.item(r, c).text() for c in range(self.table.columnCount())).lower()
            self.table.setRowHidden(r, bool(needle) and needle not in hay)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Response codes"))
        self.profile_label.setText(self.tr("&Acquirer profile:"))
        self.filter_label.setText(self.tr("Filte&r:"))
        self.filter.setPlaceholderText(self.tr("code or words, e.g. 97"))
        p = self.profile
        if p is None:
            self.note.setText(self.tr("No acquirer profile could be read."))
        else:
            name = p.name.zh if lang() == "zh" else p.name.en
            self.note.setText(
                self.tr(
                    "What each response code (field 39) means for %1. The same code can mean something else at "
                    "another acquirer: judge a code by this table, not by the terminal's display text."
                ).replace("%1", name)
            )
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Code"),
                self.tr("Terminal shows"),
                self.tr("Meaning"),
                self.tr("Class"),
                self.tr("Points at"),
                self.tr("What to do"),
            ]
        )
        self._fill()


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(what, key) for every action of the window that has a key, plus the keys of the views."""
    rows = []
    seen = set()
    for a in window.findChildren(type(window.act_diagnose)):
        key = a.shortcut()
        if key.isEmpty() or not a.text():
            continue
        text = a.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip(".…")
        shown = key.toString(QKeySequence.SequenceFormat.NativeText)
        if (text, shown) in seen:
            continue
        seen.add((text, shown))
        rows.append((text, shown))
    from PySide6.QtCore import QCoreApplication

    copy = QKeySequence(QKeySequence.StandardKey.Copy).toString(QKeySequence.SequenceFormat.NativeText)
    rows.append(
        (
            QCoreApplication.translate("ShortcutsDialog", "Copy the selected rows (checklist, Terminal, Logs)"),
            copy,
        )
    )
    rows.append(
        (
            QCoreApplication.translate("ShortcutsDialog", "Answer or skip a prompt, move between fields"),
            QCoreApplication.translate("ShortcutsDialog", "Tab, Space"),
        )
    )
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.setObjectName("shortcutsDialog")
        self.window_ = window
        self.resize(560, 480)
        lay = QVBoxLayout(self)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("shortcutsTable")
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.table)
        lay.addWidget(_close_box(self))
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.table.setHorizontalHeaderLabels([self.tr("What"), self.tr("Key")])
        rows = shortcut_rows(self.window_)
        self.table.setRowCount(len(rows))
        for r, (what, key) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(what))
            self.table.setItem(r, 1, QTableWidgetItem(key))
        self.table.resizeRowsToContents()


class AboutDialog(QDialog):
    """Version, licence, support contact, and the versions a bug report needs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setMinimumWidth(480)
        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        self.text = QLabel()
        self.text.setObjectName("aboutText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.text, 1)
        lay.addLayout(head)
        lay.addWidget(_close_box(self))
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        from .crash import version_details

        self.setWindowTitle(self.tr("About techapp"))
        parts = [
            "<b>techapp %1</b>".replace("%1", techapp.__version__),
            self.tr("Diagnose and repair card-payment terminals."),
            self.tr(
                "Licence: set by the publisher of this build. Built with Qt for Python (PySide6, LGPL-3.0), "
                "pyserial (BSD), pyiso8583 (MIT), pydantic (MIT) and platformdirs (MIT)."
            ),
            self.tr("Support: (placeholder: the publisher's support contact goes here)"),
            "<small>" + version_details().replace("\n", "<br>") + "</small>",
        ]
        self.text.setText("<p>" + "</p><p>".join(parts) + "</p>")


__all__ = [
    "AboutDialog",
    "GuideDialog",
    "ResponseCodesDialog",
    "ShortcutsDialog",
    "app_icon",
    "guide_path",
    "shortcut_rows",
]
