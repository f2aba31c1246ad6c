"""Issue 17 in the window: the repairs' dependency order is shown, and F6 starts with what the others need."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from drivers.registry import open_terminal
from techapp.credentials import DEMO_PASSWORD
from techapp.diagnosis.engine import Diagnoser
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.workorder import load_work_order
from ui.diagnosis_views import FindingsView

ROOT = Path(__file__).resolve().parents[2]


def test_the_findings_view_shows_the_repair_order_and_f6_sets_the_clock_first(qtbot, pty_sim):
    server = pty_sim("clock-tls-and-tid")
    driver = open_terminal(server.path)
    try:
        diagnosis = Diagnoser(
            driver,
            DEMO_PASSWORD,
            port=server.path,
            work_order=load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml"),
            profile=load_profile("demo"),
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
        ).run()
    finally:
        driver.close()
    assert [f.id for f in diagnosis.findings] == ["tid-mismatch", "clock-drift"]
    view = FindingsView()
    qtbot.addWidget(view)
    view.show_diagnosis(diagnosis)
    order = view.findChild(QLabel, "repairOrder")
    assert order is not None
    lines = order.text().splitlines()
    assert lines[1].startswith("  1. Set the terminal's clock") and "which step 2 needs" in lines[1]
    assert lines[2].startswith("  2. Set the TID")
    assert view.first_action() == "sync-clock", "F6 offers the clock first, although the TID finding ranks higher"
