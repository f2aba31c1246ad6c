"""Issue 14: the window never leaves the terminal's maintenance login open.

A real window on a real pty; what the simulated terminal received is recorded where it arrives.
After a diagnosis the session is logged in (a repair may follow); it logs out when the technician
disconnects, when the window closes, and when the session has been idle for $TECHAPP_IDLE_LOGOUT_S.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from conftest import run_job, wait_connected
from PySide6.QtCore import Qt

from drivers.maint.protocol import Command, decode_message
from drivers.sim import terminal as sim_terminal
from techapp.credentials import DEMO_PASSWORD
from ui import service as svc


@pytest.fixture
def wire(monkeypatch) -> list[str]:
    seen: list[str] = []
    lock = threading.Lock()
    dispatch = sim_terminal.Session.dispatch

    def recording(self, data: bytes) -> None:
        try:
            with lock:
                seen.append(Command(decode_message(data).command).name)
        except Exception:  # noqa: BLE001 - the terminal answers malformed requests itself
            pass
        return dispatch(self, data)

    monkeypatch.setattr(sim_terminal.Session, "dispatch", recording)
    return seen


def _diagnosed(qtbot, make_window, pty_sim, tmp_path):
    link = tmp_path / "ttyPOS"
    pty_sim("demo-97", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w)
    w.opt_person.setChecked(False)
    run_job(qtbot, w, lambda: qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton), timeout=60_000)
    assert w.link == svc.CONNECTED
    return w


def _last_is_logout(wire: list[str], qtbot) -> None:
    qtbot.waitUntil(lambda: bool(wire) and wire[-1] == "LOGOUT", timeout=5000)
    after_last_login = wire[len(wire) - 1 - wire[::-1].index("LOGIN") :]
    assert after_last_login.count("LOGOUT") == 1


def test_disconnect_logs_out(qtbot, make_window, pty_sim, tmp_path, wire):
    w = _diagnosed(qtbot, make_window, pty_sim, tmp_path)
    assert wire[-1] != "LOGOUT"  # logged in after the diagnosis: a repair may follow
    w.disconnect_terminal()
    qtbot.waitUntil(lambda: w.link == svc.IDLE, timeout=5000)
    _last_is_logout(wire, qtbot)


def test_closing_the_window_logs_out(qtbot, make_window, pty_sim, tmp_path, wire):
    w = _diagnosed(qtbot, make_window, pty_sim, tmp_path)
    w.close()
    _last_is_logout(wire, qtbot)


def test_an_idle_session_logs_out_and_says_so(qtbot, make_window, pty_sim, tmp_path, wire, monkeypatch):
    monkeypatch.setenv(svc.IDLE_LOGOUT_ENV, "2")
    w = _diagnosed(qtbot, make_window, pty_sim, tmp_path)
    assert w.session.idle_logout_s == 2
    started = time.monotonic()
    qtbot.waitUntil(lambda: w.link == svc.IDLE, timeout=10_000)
    assert time.monotonic() - started >= 1.5
    _last_is_logout(wire, qtbot)
    assert w.banner.isVisible() and "maintenance login was closed" in w.banner.text.text()


def test_the_idle_time_is_configurable_within_bounds(monkeypatch):
    default = svc.IDLE_LOGOUT_S
    for raw, wanted in (("30", 30), ("0", default), ("abc", default), ("9" * 40, default)):
        monkeypatch.setenv(svc.IDLE_LOGOUT_ENV, raw)
        assert svc.idle_logout_seconds() == wanted
    monkeypatch.delenv(svc.IDLE_LOGOUT_ENV)
    assert svc.idle_logout_seconds() == 600


def test_a_scenario_folder_name_too_long_does_not_stop_the_window(qtbot, make_window, monkeypatch, tmp_path):
    monkeypatch.setenv("TECHAPP_SCENARIO_PATH", str(tmp_path / ("a" * 5000)) + os.pathsep + str(tmp_path))
    monkeypatch.setenv("TECHAPP_PROFILE_PATH", str(tmp_path / ("b" * 5000)))
    w = make_window()
    assert w.isVisible()


def test_the_saved_traffic_log_is_private_masked_and_never_through_a_link(qtbot, make_window, pty_sim, tmp_path, wire):
    import stat

    w = _diagnosed(qtbot, make_window, pty_sim, tmp_path)
    w.session.flush_trace()
    qtbot.waitUntil(lambda: w.traffic.model.rowCount() > 0, timeout=5000)
    path = tmp_path / "traffic.txt"
    assert w.traffic.save(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = path.read_text(encoding="utf-8")
    assert "LOGIN" in saved and " ".join(["**"] * 32) in saved  # the proofs, masked
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "elsewhere.txt")
    assert not w.traffic.save(str(link))
    assert "symbolic link" in w.traffic.last_error and not (tmp_path / "elsewhere.txt").exists()


def test_a_data_folder_name_too_long_does_not_stop_the_window(qtbot, make_window, monkeypatch, tmp_path):
    monkeypatch.setenv("TECHAPP_DATA_DIR", str(tmp_path / ("d" * 5000)))
    w = make_window()
    assert w.isVisible()


def test_closing_the_window_during_a_diagnosis_still_logs_out(qtbot, make_window, pty_sim, tmp_path, wire):
    # every answer takes 0.3 s: the diagnosis is still running when the window closes
    link = tmp_path / "ttyPOS"
    pty_sim("demo-97", overrides="[link]\nprocessing_latency_ms = 300\n", link=str(link))
    w = make_window()
    w.connect_panel.port.setEditText(str(link))
    w.connect_panel.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(w.connect_panel.connect_button, Qt.MouseButton.LeftButton)
    wait_connected(qtbot, w, timeout=60_000)
    w.opt_person.setChecked(False)
    qtbot.mouseClick(w.diagnose_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wire.count("LOGIN") >= 2 and wire[-1] != "LOGIN", timeout=30_000)  # the diagnosis's login
    assert w.busy
    w.close()
    _last_is_logout(wire, qtbot)
