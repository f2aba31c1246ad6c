"""The technician's tools in the window: plain errors in the window's language, copy, logs, restore,
traffic save and decode, help."""

from __future__ import annotations

import os
import pty
import re

import pytest
from conftest import TIMEOUT_MS
from PySide6.QtCore import Qt

from ui import service as svc

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


def test_the_same_error_in_english_names_what_to_click(qtbot, make_window):
    w = make_window("en")
    _connect_to(qtbot, w, "/dev/ttyTECHAPP-NONE")
    text = w.banner.text.text()
    assert "is not there" in text and "Port list" in text
    assert "techapp ports" not in text and "Errno" not in text
