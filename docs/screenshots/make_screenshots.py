"""Take the README's screenshots from the real app on the offscreen platform.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py [--lang en zh]

For each language: connected to the simulated 97 terminal, the diagnosis
running, the 97 finding with its actions, the terminal's values the checks
marked, the repair confirmation, after the fix, and the link lost half-way
(a simulated terminal on a pty whose cable drops). PNG files land next to
this script.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TECHAPP_LOOPBACK_ONLY", "1")
OUT = Path(__file__).resolve().parent
SIZE = (1360, 860)


def wait(app, predicate, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.002)


def settle(app, ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


def shoot(widget, name: str) -> Path:
    path = OUT / name
    widget.grab().save(str(path))
    print(path.relative_to(ROOT))
    return path


def connected_to_the_97_and_fixed(app, window, lang: str) -> None:
    from ui import service as svc
    from ui.app import setup_demo
    from ui.i18n import languages

    languages().set_language(lang)
    window.resize(*SIZE)
    window.show()
    settle(app)
    setup_demo(window)
    wait(app, lambda: window.link == svc.CONNECTED and not window.busy)
    window.opt_person.setChecked(False)
    window.tabs.setCurrentIndex(1)  # what the terminal told
    settle(app)
    shoot(window, f"{lang}-1-connected.png")

    shots = {}

    def on_progress(p) -> None:
        if p.step == "comm-test" and "running" not in shots:
            shots["running"] = True
            settle(app, 50)
            shoot(window, f"{lang}-2-diagnosis-running.png")

    window.session.progress.connect(on_progress)
    window.diagnose_button.click()
    wait(app, lambda: window.busy)
    wait(app, lambda: not window.busy)
    window.session.progress.disconnect(on_progress)
    settle(app)
    item = window.checklist.item_for("params.tid")
    if item is not None:
        item.setExpanded(True)
        window.checklist.scrollToItem(item)
        window.checklist.setCurrentItem(item)
    settle(app)
    shoot(window, f"{lang}-3-finding-97.png")
    window.tabs.setCurrentIndex(1)  # the values the checks judged, marked with why
    settle(app)
    shoot(window, f"{lang}-3b-terminal-marked.png")
    window.tabs.setCurrentIndex(0)

    window.findings.buttons["fix-tid"].click()
    wait(app, lambda: window._dialog is not None and window._dialog.isVisible())
    settle(app)
    shoot(window._dialog, f"{lang}-4-confirm-repair.png")
    window._dialog.apply.click()
    wait(app, lambda: not window.busy and bool(window.diagnosis.actions_taken))
    settle(app)
    shoot(window, f"{lang}-5-after-fix.png")


def take(lang: str) -> None:
    os.environ["TECHAPP_DATA_DIR"] = tempfile.mkdtemp(prefix="techapp-shots-")
    from drivers.sim.scenario import load_scenario_text
    from drivers.sim.server import PtyServer, forget_terminals
    from drivers.sim.terminal import SimulatedTerminal
    from ui import service as svc
    from ui.app import create_window, make_app
    from ui.i18n import languages

    forget_terminals()
    app = make_app()
    window, service = create_window()
    try:
        connected_to_the_97_and_fixed(app, window, lang)
    finally:
        window.close()
        service.shutdown()
        forget_terminals()

    # the cable drops half-way through a diagnosis (a pty whose cable is pulled after 16 frames)
    with tempfile.TemporaryDirectory(prefix="techapp-pty-") as tmp:
        link = Path(tmp) / "ttyUSB0"
        scenario = load_scenario_text(
            'extends = "demo-97"\n[link.faults]\ndisconnect_after_frames = 16\n', source="shots"
        )
        server = PtyServer(SimulatedTerminal(scenario), link=str(link)).start()
        window, service = create_window()
        try:
            languages().set_language(lang)
            window.resize(*SIZE)
            window.show()
            settle(app)
            window.work_order.load(str(ROOT / "resources" / "work-orders" / "demo-97.toml"))
            window.set_profile("demo")
            window.connect_panel.port.setEditText(str(link))
            window.connect_panel.password.setText("demo-2026")
            window.connect_panel.connect_button.click()
            wait(app, lambda: window.link == svc.CONNECTED and not window.busy)
            window.opt_person.setChecked(False)
            window.diagnose_button.click()
            wait(app, lambda: window.link == svc.LOST and not window.busy)
            window.tabs.setCurrentIndex(1)
            settle(app)
            shoot(window, f"{lang}-6-disconnected.png")
        finally:
            window.close()
            service.shutdown()
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    args = parser.parse_args()
    for lang in args.lang:
        take(lang)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
