"""The technician's tools in the window: plain errors in the window's language, copy, logs, restore,
traffic save and decode, help."""

from __future__ import annotations

import os
import pty
import re

import pytest
from conftest import TIMEOUT_MS, run_job, wait_connected
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel

import techapp
from techapp.backups import save_backup
from ui import service as svc
from ui.app import setup_demo
from ui.help_dialogs import shortcut_rows

pytestmark = pytest.mark.gui

LATIN = re.compile(r"[A-Za-z]")


def _connect_to(qtbot, w, port: str) -> None:
    panel = w.connect_panel
    panel.sim.setChecked(False)
    panel.port.setEditText(port)
    panel.password.setText("123456")
    qtbot.mouseClick(panel.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.link == svc.FAILED and not w.busy, timeout=TIMEOUT_MS)


def test_a_missing_port_is_said_in_chinese_with_what_to_check(qtbot, make_window):
    w = make_window("zh")
    _connect_to(qtbot, w, "/dev/ttyTECHAPP-NONE")
    text = w.banner.text.text()
    assert w.banner.isVisible()
    assert "找不到端口" in text and "维护模式" in text
    assert not LATIN.search(text.replace("/dev/ttyTECHAPP-NONE", "")), text
    assert "Errno" not in text


def test_a_silent_terminal_is_no_answer_in_chinese(qtbot, make_window, monkeypatch):
    monkeypatch.setattr("techapp.diagnosis.engine.COMMON_BAUDS", (9600,))  # one other speed tried, not five
    master, slave = pty.openpty()  # a port where nothing answers
    try:
        w = make_window("zh")
        _connect_to(qtbot, w, os.ttyname(slave))
        text = w.banner.text.text()
        assert "终端没有应答" in text and "数据线" in text
        assert not LATIN.search(text), text
    finally:
        os.close(master)
        os.close(slave)


def test_permission_denied_gives_the_command_in_a_chinese_window(qtbot, make_window, monkeypatch):
    import errno

    import serial

    class DeniedPort:  # what pyserial does on Linux for a port of the dialout group
        exclusive = None

        def open(self):
            raise serial.SerialException(
                errno.EACCES, "could not open port /dev/ttyUSB7: [Errno 13] Permission denied: '/dev/ttyUSB7'"
            )

        def close(self):
            pass

    monkeypatch.setattr("drivers.transport.serial.serial_for_url", lambda *a, **k: DeniedPort())
    monkeypatch.setattr("sys.platform", "linux")
    w = make_window("zh")
    _connect_to(qtbot, w, "/dev/ttyUSB7")
    text = w.banner.text.text()
    assert "sudo usermod -aG dialout $USER" in text and "注销" in text
    rest = text.replace("/dev/ttyUSB7", "").replace("sudo usermod -aG dialout $USER", "")
    assert not LATIN.search(rest.replace("Linux", "").replace("dialout", "")), text
    assert "Errno" not in text and "Permission" not in text


def test_the_same_error_in_english_names_what_to_click(qtbot, make_window):
    w = make_window("en")
    _connect_to(qtbot, w, "/dev/ttyTECHAPP-NONE")
    text = w.banner.text.text()
    assert "is not there" in text and "Port list" in text
    assert "techapp ports" not in text and "Errno" not in text


# -- copy ----------------------------------------------------------------------------------------------
def _select(view, items) -> None:
    view.clearSelection()
    for item in items:
        item.setSelected(True)
    view.setCurrentItem(items[0], 0, QItemSelectionModel.SelectionFlag.NoUpdate)
    view.setFocus()


def test_ctrl_c_copies_the_selected_terminal_rows_name_and_value(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.show_tab(1)
    view = w.terminal_view
    tid, mid = view.item_for("Terminal ID (TID)"), view.item_for("Merchant ID (MID)")
    _select(view, [tid, mid])
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines == ["Terminal ID (TID)\t12345687", "Merchant ID (MID)\t123456789012345"]


def test_after_a_diagnosis_checklist_rows_copy_logs_explain_and_host_messages_decode(qtbot, make_window, tmp_path):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))

    # the checklist: Ctrl+C on the TID check copies its title and result
    w.show_tab(0)
    item = w.checklist.item_for("params.tid")
    _select(w.checklist, [item])
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(w.checklist, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().text()
    assert copied.count("\n") == 1 and "\t" in copied and "12345687" in copied

    # Copy all for a ticket: the report's verdict, the terminal's values and the logs
    w.tools.act_copy_all.trigger()
    ticket = QGuiApplication.clipboard().text()
    assert w.diagnosis.headline("en") in ticket
    assert "Terminal ID (TID)\t12345687" in ticket
    assert "Terminal logs:" in ticket and "PRN-01" in ticket

    # the Logs tab: the 97s explained by the demo acquirer's profile, and the filter
    qtbot.keyClick(w, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    logs = w.tools.logs
    assert w.tabs.currentWidget() is logs
    rows = logs.visible_rows()
    codes = [r for r in rows if r[1] == "Response code"]
    assert codes and all(r[2] == "97" for r in codes)
    assert all("Terminal ID not found" in r[4] for r in codes)  # from resources/acquirers/demo.toml
    assert any(r[1] == "Error" and r[2] == "PRN-01" for r in rows)
    logs.filter.setText("PRN")
    assert [r[2] for r in logs.visible_rows()] == ["PRN-01"]
    logs.filter.clear()
    logs.which.setCurrentIndex(logs.which.findData("errors"))
    assert {r[1] for r in logs.visible_rows()} == {"Error"}

    # the ISO 8583 messages field by field (pyiso8583 with the CUP spec): the laptop's echo test and the
    # terminal's own sign-on, whose 0810 carries the 97 of this terminal
    traffic = w.traffic
    rows = {raw[1]: i for i, raw in enumerate(traffic.model.raw)}
    assert {"to-host", "from-host", "terminal-to-host", "host-to-terminal"} <= set(rows)
    echo = traffic.detail_text(rows["from-host"])
    assert "MTI  Message type: 0830" in echo
    assert "39  Response code: 00" in echo
    assert "41  Terminal ID (TID): 12345687" in echo
    signon = traffic.detail_text(rows["host-to-terminal"])
    assert "MTI  Message type: 0810" in signon and "39  Response code: 97" in signon
    assert "0810, response code 97" in traffic.model.rows[rows["host-to-terminal"]][3]

    # Save writes every row, the ISO 8583 messages decoded under theirs
    path = tmp_path / "traffic.txt"
    assert traffic.save(str(path))
    saved = path.read_text(encoding="utf-8")
    assert "HELLO" in saved and "GET_PARAMETERS" in saved
    assert "Response code: 00" in saved
    assert len(saved.splitlines()) > traffic.model.rowCount()
    # and the ISO 8583 part as a pcap (Wireshark)
    pcap = tmp_path / "host.pcap"
    assert traffic.save_pcap(str(pcap))
    assert pcap.read_bytes()[:4] in (bytes.fromhex("d4c3b2a1"), bytes.fromhex("a1b2c3d4"))
    assert len(pcap.read_bytes()) > 24 + 100  # header and the messages' packets


# -- restore ----------------------------------------------------------------------------------------------
def _write_merchant_name(name: str):
    """A job on the worker's link: back up the parameters, then change the merchant name (like a repair)."""

    def job(driver, password):
        driver.login(password)
        save_backup(driver.parameters(), driver.identity(), reason="before test-change (test)")
        return driver.set_parameters({"merchant_name": name})

    return job


def _run(qtbot, w, name: str, job):
    got = {}
    w.session.jobDone.connect(lambda n, result: got.setdefault(n, result))
    w.session.run_job(name, job)
    qtbot.waitUntil(lambda: name in got and not w.busy, timeout=TIMEOUT_MS)
    return got[name]


def _terminal_parameters(qtbot, w):
    return _run(qtbot, w, "check", lambda d, p: (d.login(p), d.parameters())[1])


def test_restore_from_the_window_round_trips_and_enter_does_not_write(qtbot, make_window):
    w = make_window()
    setup_demo(w)
    wait_connected(qtbot, w)
    original = w.info.parameters.merchant_name
    written = _run(qtbot, w, "test-write", _write_merchant_name("Changed Shop"))
    assert written.merchant_name == "Changed Shop"

    dlg = w.tools.restore()
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    assert len(dlg.backups) == 1
    # compared with the values last read (before the change) the list says nothing would change;
    # the confirmation compares with the terminal as it is now
    dlg.list.setCurrentItem(dlg.list.topLevelItem(0))
    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.confirm is not None and dlg.confirm.isVisible(), timeout=TIMEOUT_MS)
    confirm = dlg.confirm
    assert confirm.diff_rows() == [("merchant_name", "Changed Shop", original)]
    assert confirm.cancel.hasFocus() and confirm.cancel.isDefault() and not confirm.write.autoDefault()
    qtbot.keyClick(confirm, Qt.Key.Key_Return)  # Enter on a just-opened confirmation never writes
    qtbot.waitUntil(lambda: dlg.confirm is None, timeout=5000)
    assert "nothing was written" in dlg.status.text()
    assert _terminal_parameters(qtbot, w).merchant_name == "Changed Shop"

    qtbot.mouseClick(dlg.restore_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.confirm is not None and dlg.confirm.isVisible(), timeout=TIMEOUT_MS)
    qtbot.mouseClick(dlg.confirm.write, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Restored and read back" in dlg.status.text() and not w.busy, timeout=TIMEOUT_MS)
    assert original in dlg.status.text()
    assert w.info.parameters.merchant_name == original  # the Terminal tab shows the value read back
    assert w.terminal_view.item_for("Merchant name").text(1) == original
    assert _terminal_parameters(qtbot, w).merchant_name == original  # and the terminal holds it
    assert len(dlg.backups) == 2  # the values before the restore were saved first
    dlg.close()


# -- help ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_f1_opens_the_guide_in_the_window_language_and_about_names_version_and_support(qtbot, make_window, lang):
    w = make_window(lang)
    qtbot.keyClick(w, Qt.Key.Key_F1)
    guide = w.findChild(QDialog, "guideDialog")
    assert guide is not None and guide.isVisible()
    text = guide.browser.toPlainText()
    assert ("maintenance mode" if lang == "en" else "维护模式") in text
    assert "sudo usermod -aG dialout $USER" in text
    guide.close()
    w.act_about.trigger()
    about = w.findChild(QDialog, "aboutDialog")
    assert about is not None and about.isVisible()
    assert techapp.__version__ in about.text.text()
    assert ("Support" if lang == "en" else "技术支持") in about.text.text()
    about.close()
    assert not w.windowIcon().isNull()


def test_the_response_code_reference_and_the_shortcuts(qtbot, make_window):
    w = make_window("zh")
    setup_demo(w, connect=False)
    codes = w.tools.response_codes()
    rows = {r[0]: r for r in codes.rows()}
    assert rows["97"][2] == "终端未登记" or "终端" in rows["97"][2]
    assert rows["00"][3] == "批准"
    codes.filter.setText("97")
    shown = [r for r in range(codes.table.rowCount()) if not codes.table.isRowHidden(r)]
    assert [codes.table.item(r, 0).text() for r in shown] == ["97"]
    codes.close()
    keys = dict((k, v) for v, k in shortcut_rows(w))
    assert {"F5", "F1", "Ctrl+4", "Ctrl+Shift+C"} <= set(keys)


def test_no_port_found_gives_a_hint_not_an_empty_list(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(svc, "list_ports", lambda: [])
    w = make_window()
    qtbot.waitUntil(lambda: w.ports.ports is not None, timeout=5000)
    hint = w.tools.no_ports
    qtbot.waitUntil(hint.isVisible, timeout=5000)
    assert "maintenance mode" in hint.text() and "cable" in hint.text()
    w.connect_panel.sim.setChecked(True)  # practising on the simulated terminal: no hint needed
    assert not hint.isVisible()


ID = re.compile(r"(?<![\w.:/-])[a-z]+(?:[-_][a-z0-9]+)+(?![\w.:/-])")  # dns-failure, not_configured, primary_host


def test_the_checklist_evidence_names_readings_and_outcomes_not_ids(qtbot, make_window):
    w = make_window("zh")
    setup_demo(w, connect=False)
    w.connect_panel.use_simulator("dns-failure")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    evidence = []
    for i in range(w.checklist.topLevelItemCount()):
        group = w.checklist.topLevelItem(i)
        for j in range(group.childCount()):
            check = group.child(j)
            evidence += [check.child(k).text(1) for k in range(check.childCount())]
    assert evidence
    leaks = [(ID.findall(text), text) for text in evidence if ID.findall(text)]
    assert not leaks, leaks
    joined = "\n".join(evidence)
    assert "域名解析失败" in joined or "未设置" in joined  # the hosts' outcomes in words
    assert "primary_host" not in joined and "outcome" not in joined


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_window_says_what_to_click_not_which_option_to_give(qtbot, make_window, lang):
    w = make_window(lang)
    setup_demo(w, connect=False)
    w.connect_panel.use_simulator("healthy")
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    w.opt_sign_on.setChecked(False)  # the diagnosis says the sign-on was not asked for, and how to ask
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton))
    shown = [label.text() for label in w.findings.findChildren(QLabel)]
    for i in range(w.checklist.topLevelItemCount()):
        group = w.checklist.topLevelItem(i)
        shown += [group.child(j).text(1) for j in range(group.childCount())]
    shown.append(w.step_label.text())
    said = "\n".join(shown)
    assert ("“Sign-on (签到) by the terminal”" if lang == "en" else "“终端签到”") in said
    options = OPTION.findall(said)
    assert not options, [line for line in shown if OPTION.search(line)]


def _diagnosis_texts() -> list[tuple[str, str, str]]:
    """Every T(en, zh) of the diagnosis and the host check that gives command-line advice: (where, lang, text).

    Texts made with ``outcome.CLI(en, zh)`` are the command line's alone (an untested entry's
    ``command_line``): the window never shows them, so they are not looked at here."""
    import ast
    from pathlib import Path

    root = Path(techapp.__file__).parent
    found = []
    for path in sorted((root / "diagnosis").glob("*.py")) + [root / "hostcheck.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "T" and len(node.args) == 2):
                continue
            for lang, arg in zip(("en", "zh"), node.args, strict=True):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    text = arg.value
                elif isinstance(arg, ast.JoinedStr):  # f-strings: the values stand in as 9600
                    text = "".join(v.value if isinstance(v, ast.Constant) else "9600" for v in arg.values)
                else:
                    continue
                if OPTION.search(text):
                    found.append((f"{path.name}:{node.lineno}", lang, text))
    return found


OPTION = re.compile(r"--[a-z][a-z-]+|techapp (?:ports|restore)|TECHAPP_PASSWORD|`techapp")


def test_every_command_line_advice_of_the_diagnosis_has_window_words():
    from ui.wording import gui_words

    texts = _diagnosis_texts()
    assert texts, "the diagnosis gives no command-line advice any more: this test can go"
    left = [(where, lang, gui_words(text, lang)) for where, lang, text in texts if OPTION.search(gui_words(text, lang))]
    assert not left, left
