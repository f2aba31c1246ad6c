"""The views on their own: terminal-view highlights from the checks' parameters, the confirmation's
parameter names, the traffic log's words, the port list, keyboard (mnemonics, tab order, shortcuts)
and what the window remembers."""

from __future__ import annotations

import copy
import dataclasses
import re
import threading
from pathlib import Path

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QGroupBox, QLabel, QWidget

from drivers.models import Parameters
from drivers.ports import TERMINAL, PortInfo
from techapp.diagnosis import Action, CheckResult, Finding
from techapp.diagnosis.model import T
from ui.app import setup_demo
from ui.diagnosis_views import RepairDialog
from ui.i18n import languages
from ui.terminal_view import parameter_label, parameter_labels

pytestmark = pytest.mark.gui


def _diagnosed(qtbot, make_window, lang: str = "en"):
    w = make_window(lang)
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    return w


def _row(view, label: str):
    item = view.item_for(label)
    assert item is not None, f"no row {label!r}"
    return item


# -- terminal view -------------------------------------------------------------------------------
def test_terminal_view_marks_the_rows_of_the_parameters_each_check_names(qtbot, make_window):
    w = _diagnosed(qtbot, make_window)
    view = w.terminal_view
    tid = _row(view, "Terminal ID (TID)")
    assert tid.data(0, Qt.ItemDataRole.UserRole) == ["params.tid"]
    assert "12345678" in tid.text(2) and "work order" in tid.text(2)  # why, and compared with what
    assert not tid.icon(0).isNull() and tid.background(1).color().alpha() > 0
    mid = _row(view, "Merchant ID (MID)")
    assert mid.data(0, Qt.ItemDataRole.UserRole) == ["params.mid"] and mid.text(2) == ""  # passed: a mark, no note
    assert _row(view, "Backup host").data(0, Qt.ItemDataRole.UserRole) == ["params.hosts"]
    assert _row(view, "Acquirer ID").data(0, Qt.ItemDataRole.UserRole) == []  # no check judges it

    # the checks' ``fields`` decide, not their ids: a new check about the backup port marks that row only,
    # and params.tid naming no parameter marks nothing
    d = copy.copy(w.diagnosis)
    d.checks = [dataclasses.replace(c, fields=[]) if c.id == "params.tid" else c for c in d.checks]
    d.checks.append(
        CheckResult(
            "params.backup-port-odd",
            "parameters",
            T("Backup port", "备用主机端口"),
            "warn",
            T("backup port 5001 is not the profile's", "备用主机端口不是配置的端口"),
            fields=["backup_port"],
        )
    )
    view.show_diagnosis(d)
    backup = _row(view, "Backup host")
    assert backup.data(0, Qt.ItemDataRole.UserRole) == ["params.hosts", "params.backup-port-odd"]
    assert "backup port 5001" in backup.text(2)
    assert "backup port 5001" not in _row(view, "Primary host").text(2)
    assert _row(view, "Terminal ID (TID)").data(0, Qt.ItemDataRole.UserRole) == []
    assert _row(view, "Terminal ID (TID)").text(2) == ""


def test_every_payment_parameter_has_a_label_and_a_row(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    names = [f.name for f in dataclasses.fields(Parameters)]
    assert all(parameter_label(n) != n for n in names)
    shown = set()
    view = w.terminal_view
    for i in range(view.topLevelItemCount()):
        head = view.topLevelItem(i)
        for j in range(head.childCount()):
            shown |= set(head.child(j).data(1, Qt.ItemDataRole.UserRole) or [])
    assert shown == set(names)  # so any parameter a check names has a row to mark


def test_the_confirmation_names_the_parameters_as_the_terminal_view_does(qtbot, make_window):
    w = make_window("zh")
    action = Action(
        "fix-hosts",
        "automatic",
        T("Set the hosts", "改正主机地址"),
        changes={"tid": ("12345687", "12345678"), "backup_port": (5001, 5000), "tls": (False, True)},
        operation="write-parameters",
    )
    finding = Finding("wrong-host", "high", "sure", T("Wrong host", "主机地址错误"), T("x", "x"))
    for lang, tid_label in (("zh", "终端号（TID）"), ("en", "Terminal ID (TID)")):
        languages().set_language(lang)
        dlg = RepairDialog(action, finding, w)
        qtbot.addWidget(dlg)
        assert dlg.diff_rows()[0] == ("tid", "12345687", "12345678")
        assert dlg.table.item(0, 0).text() == tid_label == parameter_labels()["tid"]
        cell = dlg.table.cellWidget(0, 0)
        assert tid_label in cell.text() and "<small" in cell.text() and ">tid</small>" in cell.text()
        assert "tid" in cell.toolTip()
        assert dlg.table.item(2, 1).text() == ("否" if lang == "zh" else "no")
        assert dlg.table.rowHeight(0) >= cell.sizeHint().height()  # the small name is not cut off
        dlg.close()


def test_a_repair_outcome_names_the_parameter_by_its_label(qtbot, make_window):
    w = _diagnosed(qtbot, make_window)
    qtbot.keyClick(w, Qt.Key.Key_F6)
    qtbot.waitUntil(lambda: w._dialog is not None and w._dialog.isVisible(), timeout=10_000)
    qtbot.mouseClick(w._dialog.apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not w.busy and bool(w.diagnosis.actions_taken), timeout=20_000)
    card = w.findings.findChild(QLabel, "outcome-fix-tid").parent()
    text = "\n".join(lab.text() for lab in card.findChildren(QLabel))
    assert "Terminal ID (TID): 12345687 → 12345678 (read back 12345678)" in text
    assert not w.act_apply.isEnabled()  # nothing left to fix


# -- traffic log -----------------------------------------------------------------------------------
def test_the_traffic_log_rewords_its_rows_when_the_language_changes(qtbot, make_window):
    w = _diagnosed(qtbot, make_window)
    english = w.traffic.text(selected_only=False)
    assert "→ tx" in english and "0820 echo test" in english and "•• masked ••" in english
    w.act_lang["zh"].trigger()
    qtbot.waitUntil(lambda: w.tabs.tabText(2) == "通讯日志", timeout=5000)
    chinese = w.traffic.text(selected_only=False)
    assert "→ 发送" in chinese and "← 接收" in chinese and "0820 回响测试" in chinese and "•• 已隐藏 ••" in chinese
    assert "→ tx" not in chinese and "masked" not in chinese
    w.traffic.direction.setCurrentIndex(w.traffic.direction.findData("tx"))
    shown = [w.traffic.proxy.index(r, 1).data() for r in range(w.traffic.proxy.rowCount())]
    # the laptop's own requests are sent too, and so is the terminal's own 0800 to its host
    assert shown and set(shown) == {"→ 发送", "→ 主机", "终端 → 主机"}


# -- ports -----------------------------------------------------------------------------------------
def test_ports_are_listed_off_the_gui_thread_terminals_first_and_typing_is_kept(qtbot, make_window, monkeypatch):
    from ui import service as svc

    threads = []
    ports = [
        PortInfo("/dev/ttyACM0", "PAX S90", "USB VID:PID=2FB8:2200", 0x2FB8, 0x2200, None, "PAX", "PAX", TERMINAL),
        PortInfo("/dev/ttyS0", "ttyS0", "n/a", None, None, None, None, None, "unknown"),
    ]

    def fake_list_ports():
        threads.append(threading.current_thread())
        return list(ports)

    monkeypatch.setattr(svc, "list_ports", fake_list_ports)
    w = make_window()
    w.connect_panel.port.setEditText("/dev/ttyUSB9")
    watcher = w.service.port_watcher()
    watcher.refresh()
    qtbot.waitUntil(lambda: w.connect_panel.port.count() == 2, timeout=5000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert w.connect_panel.port.itemData(0) == "/dev/ttyACM0"
    assert w.connect_panel.port.itemData(0, Qt.ItemDataRole.ToolTipRole) == "Recognised payment terminal"
    assert w.connect_panel.port.currentText() == "/dev/ttyUSB9"  # what was typed stays
    w.connect_panel.set_connected(True)  # re-words the panel, tooltips of the ports included
    assert w.connect_panel.port.currentText() == "/dev/ttyUSB9"
    w.connect_panel.set_connected(False)
    ports.pop(0)  # the terminal's adapter is unplugged
    watcher.refresh()
    qtbot.waitUntil(lambda: w.connect_panel.port.count() == 1, timeout=5000)
    assert w.connect_panel.port.currentText() == "/dev/ttyUSB9"


# -- keyboard ----------------------------------------------------------------------------------------
def _mnemonics(window: QWidget) -> dict[str, list[str]]:
    """Alt+letter -> the visible widgets (and menus) that answer it."""
    found: dict[str, list[str]] = {}

    def add(text: str, who: str) -> None:
        m = re.search(r"&([^&])", text.replace("&&", ""))
        if m:
            found.setdefault(m.group(1).lower(), []).append(f"{who} {text!r}")

    for w in window.findChildren(QWidget):
        if not w.isVisibleTo(window):
            continue
        if isinstance(w, QLabel) and w.buddy() is not None:
            add(w.text(), "label")
        elif isinstance(w, QAbstractButton):
            add(w.text(), type(w).__name__)
        elif isinstance(w, QGroupBox) and w.isCheckable():
            add(w.title(), "group")
    for a in window.menuBar().actions():
        add(a.text(), "menu")
    return found


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_alt_letter_on_screen_does_one_thing(qtbot, make_window, lang):
    w = make_window(lang)
    setup_demo(w)
    wait_connected(qtbot, w)
    for tab in range(w.tabs.count()):
        w.show_tab(tab)
        QApplication.processEvents()
        clashes = {k: v for k, v in _mnemonics(w).items() if len(v) > 1}
        assert not clashes, f"tab {tab}: {clashes}"


def test_tab_order_follows_the_screen(qtbot, make_window):
    w = make_window()
    setup_demo(w, connect=False)
    cp, wo = w.connect_panel, w.work_order
    wanted = [
        cp.scenario,
        cp.password,
        cp.connect_button,
        w.profile,
        w.opt_sign_on,
        w.opt_person,
        w.opt_real_net,
        wo.edit_button,
        wo.import_button,
        w.tabs.tabBar(),
        w.checklist,
        w.findings,
    ]
    seen = []
    widget = cp.sim
    for _ in range(200):
        widget = widget.nextInFocusChain()
        if widget is cp.sim:
            break
        if widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget.isVisibleTo(w) and widget.isEnabled():
            seen.append(widget)
    order = [seen.index(x) for x in wanted]
    assert order == sorted(order), [type(x).__name__ + ":" + x.objectName() for x in seen]


def test_shortcuts_reach_the_tabs_with_the_focus(qtbot, make_window):
    w = make_window()
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentIndex() == 1 and w.terminal_view.hasFocus()
    qtbot.keyClick(w, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentIndex() == 2 and w.traffic.view.hasFocus()
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentIndex() == 0 and w.checklist.hasFocus()
    keys = {a.objectName(): a.shortcut().toString() for a in w.actions() if not a.shortcut().isEmpty()}
    assert {"act-connect", "act-diagnose", "act-apply", "act-cancel", "act-reconnect", "act-import"} <= set(keys)


# -- what the window remembers ------------------------------------------------------------------------
def test_the_tab_columns_and_connection_choices_are_remembered(qtbot, make_window):
    w = make_window()
    w.show_tab(2)
    w.connect_panel.port.setEditText("/dev/ttyUSB3")
    w.connect_panel.baud.setCurrentIndex(w.connect_panel.baud.findData(9600))
    w.traffic.view.horizontalHeader().resizeSection(2, 333)
    w.connect_panel.use_simulator("tampered")  # fills the simulator's published password
    w.connect_panel.password.setText("secret-123")
    w.close()
    w2 = make_window()
    assert w2.tabs.currentIndex() == 2
    assert w2.connect_panel.port.currentText() == "/dev/ttyUSB3"
    assert w2.connect_panel.baud.currentData() == 9600
    assert w2.traffic.view.horizontalHeader().sectionSize(2) == 333
    assert w2.connect_panel.scenario.currentData() == "tampered"
    assert not w2.connect_panel.sim.isChecked()  # a real terminal is the default, never the simulator by surprise
    assert w2.connect_panel.password.text() == ""  # never saved
    assert "secret-123" not in Path(w2.settings.fileName()).read_text(encoding="utf-8")


def test_the_findings_scroll_only_when_they_do_not_fit(qtbot, make_window):
    w = _diagnosed(qtbot, make_window)
    w.resize(1320, 820)
    QApplication.processEvents()
    f = w.findings
    body = f.widget()
    assert body.heightForWidth(f.viewport().width()) < f.viewport().height()
    assert f.verticalScrollBar().maximum() == 0  # it all fits: no scroll bar
    w.resize(1320, 420)
    qtbot.waitUntil(lambda: f.verticalScrollBar().maximum() > 0, timeout=2000)
    assert body.height() == body.heightForWidth(f.viewport().width())  # the whole text, scrollable


def test_forty_findings_come_in_batches_and_all_get_their_card_button_and_tab_stop(qtbot, make_window):
    from PySide6.QtWidgets import QPushButton

    from ui.style import SEVERITY_COLOR, Card

    w = _diagnosed(qtbot, make_window)
    real = w.diagnosis
    [own] = real.findings  # the demo's TID typo
    many = [dataclasses.replace(own, id=f"{own.id}-{i}") for i in range(40)]
    for i, f in enumerate(many):  # each its own action id, as different findings have
        f.actions = [dataclasses.replace(a, id=f"{a.id}-{i}") for a in own.actions]
    big = dataclasses.replace(real, findings=many)
    view = w.findings
    w._on_diagnosis(big)
    first = view.CARDS_AT_ONCE
    cards = lambda: [c for c in view.widget().findChildren(Card) if c.property("finding")]  # noqa: E731
    assert len(cards()) == first  # the rest wait for their turn: the window paints first
    assert view.first_action() == many[0].actions[0].id  # F6 knows every card, built or not
    qtbot.waitUntil(lambda: len(cards()) == 40, timeout=5000)
    titles = [c.findChild(QLabel, f"finding-{f.id}") for c, f in zip(cards(), many, strict=True)]
    assert [t.text() for t in titles] == [f"{n}. {own.title('en')}" for n in range(1, 41)]  # in order
    assert all(c.accent == SEVERITY_COLOR[own.severity] for c in cards())
    assert set(view.buttons) == {f.actions[0].id for f in many}
    # Tab reaches every card's button in reading order
    order, widget = [], view
    for _ in range(60):
        widget = widget.nextInFocusChain()
        if isinstance(widget, QPushButton) and widget.objectName().startswith("apply-"):
            order.append(widget.objectName())
    assert order[:40] == [f"apply-{f.actions[0].id}" for f in many]
    assert not view._card_timer.isActive()  # done: no timer left running


def test_a_finding_cards_text_becomes_selectable_when_the_mouse_is_over_it(qtbot, make_window):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QEnterEvent

    from ui.style import Card

    w = _diagnosed(qtbot, make_window)
    [card] = [c for c in w.findings.widget().findChildren(Card) if c.property("finding")]
    cause = next(lab for lab in card.findChildren(QLabel) if lab.text().startswith("Cause: "))
    selectable = Qt.TextInteractionFlag.TextSelectableByMouse
    assert not cause.textInteractionFlags() & selectable  # nothing to lay out twice before anyone points at it
    QApplication.sendEvent(card, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert cause.textInteractionFlags() & selectable  # the technician can select and copy the cause
    heading = next(lab for lab in card.findChildren(QLabel) if lab.text() == "Evidence:")
    assert not heading.textInteractionFlags() & selectable  # a heading is not text to copy
