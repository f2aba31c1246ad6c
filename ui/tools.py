"""The technician's tools, put on the main window in one call (:func:`install_tools`).

- Copy: Ctrl+C copies the selected rows of the checklist and the Terminal tab
  (name and value, tab-separated); Edit > Copy all for a ticket (Ctrl+Shift+C).
- The Logs tab (Ctrl+4): the terminal's response-code and error logs, response
  codes explained by the chosen acquirer profile.
- Terminal > Restore a backup (the same safety path as ``techapp restore``).
- File > Save the traffic log (Ctrl+S); the traffic log decodes ISO 8583 field by field.
- Help: the guide (F1), response codes, keyboard shortcuts, About; the window icon.
- A hint in the connection box when no serial port is found.

The main window stays the owner of its widgets and states; this module adds
to it and listens to it, so the tools do not crowd the window's own code.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMenu

import techapp
from techapp.diagnosis.render import render_text
from techapp.profiles import ProfileError, load_profile

from .copying import copy_text, install_copy, tree_text
from .help_dialogs import AboutDialog, GuideDialog, ResponseCodesDialog, ShortcutsDialog, app_icon
from .i18n import lang, languages
from .logs_view import LogsView
from .restore_dialog import RESTORE_JOB, RestoreDialog

if TYPE_CHECKING:
    from techapp.profiles import AcquirerProfile


def chosen_profile(window) -> AcquirerProfile | None:
    """The acquirer profile the window would diagnose with (its box, else the work order's); None if none."""
    name = window.profile.currentData()
    if name == "":
        order = window.work_order.order
        name = order.acquirer_profile if order is not None and order.acquirer_profile else None
    if not name:
        return None
    try:
        return load_profile(name)
    except ProfileError:
        return None


def ticket_text(window) -> str:
    """Everything a ticket needs, in the window's language: the diagnosis report and the terminal's values."""
    return window.tools.ticket_text()


class Tools(QObject):
    """The tools' actions, menus and tab on one main window (its child; retranslated with it)."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.setObjectName("tools")
        self.window = window
        w = window
        icon = app_icon()
        app = QApplication.instance()
        if app is not None:
            app.setWindowIcon(icon)
        w.setWindowIcon(icon)

        # -- copy --------------------------------------------------------------------------
        install_copy(w.terminal_view)
        install_copy(w.checklist)

        # -- the Logs tab ------------------------------------------------------------------
        self.logs = LogsView()
        placeholder = getattr(w, "logs_placeholder", None)  # the tab shown before the tools were in
        if placeholder is not None and w.tabs.indexOf(placeholder) >= 0:
            at, current = w.tabs.indexOf(placeholder), w.tabs.currentWidget() is placeholder
            w.tabs.insertTab(at, self.logs, w.tabs.tabText(at))
            w.tabs.removeTab(at + 1)
            if current:
                w.tabs.setCurrentWidget(self.logs)
            placeholder.deleteLater()
            w.logs_placeholder = None
        else:
            w.tabs.addTab(self.logs, "")
        w.session.infoRead.connect(self._info_read)  # connected after the window's own: it has merged the read
        w.profile.currentIndexChanged.connect(self._profile_changed)
        w.work_order.changed.connect(self._profile_changed)
        self._profile_changed()
        if w.info is not None:  # read before the tools were in (a window that showed first)
            self._info_read(w.info)

        # -- actions -----------------------------------------------------------------------
        def action(name: str, key: QKeySequence | None, slot) -> QAction:
            a = QAction(w)
            a.setObjectName(f"act-{name}")
            if key is not None:
                a.setShortcut(key)
                a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(lambda _=False: slot())
            w.addAction(a)
            return a

        self.act_logs_tab = action("tab3", QKeySequence("Ctrl+4"), self.show_logs)
        self.act_copy_all = action("copy-all", QKeySequence("Ctrl+Shift+C"), self.copy_all)
        self.act_restore = action("restore", None, self.restore)
        self.act_save_traffic = action("save-traffic", QKeySequence("Ctrl+S"), w.traffic.save_as)
        self.act_guide = action("guide", QKeySequence(QKeySequence.StandardKey.HelpContents), self.guide)
        if self.act_guide.shortcut().isEmpty():
            self.act_guide.setShortcut(QKeySequence("F1"))
        self.act_codes = action("response-codes", None, self.response_codes)
        self.act_shortcuts = action("shortcuts", None, self.shortcuts)

        self.menu_edit = getattr(w, "menu_edit", None)  # the window's own when it showed before the tools
        if self.menu_edit is None:
            self.menu_edit = QMenu(w)
            w.menuBar().insertMenu(w.menu_terminal.menuAction(), self.menu_edit)
        self.menu_edit.addAction(self.act_copy_all)
        w.menu_file.insertAction(w.act_quit, self.act_save_traffic)
        w.menu_file.insertSeparator(w.act_quit)
        w.menu_terminal.addSeparator()
        w.menu_terminal.addAction(self.act_restore)
        w.menu_view.addAction(self.act_logs_tab)
        help_menu = w.menu_help
        first = help_menu.actions()[0] if help_menu.actions() else None
        for a in (self.act_guide, self.act_codes, self.act_shortcuts):
            help_menu.insertAction(first, a)
        if first is not None:
            help_menu.insertSeparator(first)

        # -- results of a restore ----------------------------------------------------------
        w.session.jobDone.connect(self._job_done)

        # -- no port found -----------------------------------------------------------------
        panel = w.connect_panel
        self.no_ports = QLabel()
        self.no_ports.setObjectName("noPortsHint")
        self.no_ports.setWordWrap(True)
        self.no_ports.hide()
        panel.layout().insertWidget(1, self.no_ports)
        w.ports.portsChanged.connect(self._port_hint)
        panel.sim.toggled.connect(self._port_hint)

        languages().changed.connect(self.retranslate)
        self.retranslate()

    # -- slots ---------------------------------------------------------------------------------
    def _profile_changed(self, *_args) -> None:
        self.logs.set_profile(chosen_profile(self.window))

    def _info_read(self, _info) -> None:
        self.logs.show_info(self.window.info)

    def show_logs(self) -> None:
        self.window.tabs.setCurrentWidget(self.logs)
        self.logs.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def ticket_text(self) -> str:
        w = self.window
        stamp = f"{datetime.now():%Y-%m-%d %H:%M}"
        parts = [self.tr("techapp %1, %2").replace("%1", techapp.__version__).replace("%2", stamp)]
        if w.diagnosis is not None:
            parts.append(render_text(w.diagnosis, lang()).rstrip())
        values = tree_text(w.terminal_view, selected_only=False).rstrip()
        if values:
            parts.append(self.tr("What the terminal told:") + "\n" + values)
        logs = tree_text(self.logs.tree, selected_only=False).rstrip()
        if logs:
            parts.append(self.tr("Terminal logs:") + "\n" + logs)
        return "\n\n".join(parts) + "\n"

    def copy_all(self) -> None:
        copy_text(ticket_text(self.window))
        self.window.statusBar().showMessage(self.tr("Copied for a ticket: the result, the values and the logs."), 5000)

    def restore(self) -> RestoreDialog:
        dlg = RestoreDialog(self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.restore_dialog = dlg
        dlg.open()
        return dlg

    def _job_done(self, name: str, result) -> None:
        w = self.window
        if name == RESTORE_JOB and w.info is not None:
            _changes, _before, params = result
            w.info.parameters = params
            w.terminal_view.show_info(w.info)

    def guide(self) -> GuideDialog:
        dlg = GuideDialog(self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def response_codes(self) -> ResponseCodesDialog:
        profile = chosen_profile(self.window)
        dlg = ResponseCodesDialog(profile.id if profile is not None else None, self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def shortcuts(self) -> ShortcutsDialog:
        dlg = ShortcutsDialog(self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def about(self) -> AboutDialog:
        dlg = AboutDialog(self.window)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def _port_hint(self, *_args) -> None:
        ports = self.window.ports.ports
        empty = ports is not None and not ports and not self.window.connect_panel.sim.isChecked()
        self.no_ports.setVisible(empty)

    # -- language ------------------------------------------------------------------------------
    def retranslate(self, *_args) -> None:
        w = self.window
        w.tabs.setTabText(w.tabs.indexOf(self.logs), self.tr("Logs"))
        self.menu_edit.setTitle(self.tr("&Edit"))
        self.act_logs_tab.setText(self.tr("Logs"))
        self.act_copy_all.setText(self.tr("Copy &all for a ticket"))
        self.act_restore.setText(self.tr("Restore a &backup..."))
        self.act_save_traffic.setText(self.tr("&Save the traffic log..."))
        self.act_guide.setText(self.tr("&Guide"))
        self.act_codes.setText(self.tr("&Response codes"))
        self.act_shortcuts.setText(self.tr("&Keyboard shortcuts"))
        self.no_ports.setText(
            self.tr(
                "No serial port found. Plug the terminal's data cable into the laptop, switch the terminal on and "
                "into maintenance mode; the port then appears here by itself. A charging-only cable shows no port, "
                "and some terminals need their own USB or RS-232 cable. To practise, tick the simulated terminal."
            )
        )


def install_tools(window) -> Tools:
    """Add the tools to ``window`` (kept as ``window.tools``)."""
    window.tools = Tools(window)
    return window.tools


__all__ = ["Tools", "chosen_profile", "install_tools", "ticket_text"]
