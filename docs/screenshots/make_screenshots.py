"""Take the README's screenshots from the real app, on a laptop-sized screen, in both languages.

    .venv/bin/python docs/screenshots/make_screenshots.py [--lang en zh] [--out DIR]

Each set runs in its own process on Qt's offscreen platform with a screen of
a technician's laptop (``offscreen:configfile``): 1366x768 at 100 % for every
state, and 1920x1080 at 150 % (``QT_SCALE_FACTOR``) for the 97 finding. The
window opens at the size the app chooses for that screen (nothing is resized
for the picture) and a shot whose window does not fit the screen's available
area is an error, as is any exception: the script then exits non-zero
(tests/gui/test_screenshots.py runs it to a temporary folder).

For each language: connected to the simulated 97 terminal, the diagnosis
running, the 97 finding with its actions, the terminal's values the checks
marked, the Logs tab, the guide (F1) and the response codes, the traffic log
with a host message decoded, the repair confirmation, after the fix, the
backups and the restore confirmation, the visit report and history, a
healthy terminal whose person tests were skipped (the prompt, then the verdict
naming what was not tested), a wrong maintenance password, and the link lost
half-way (a simulated terminal on a pty whose cable drops). PNG files land
next to this script unless ``--out`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

#: (name, screen width, height, scale): every state at 1366x768, the finding again at 150 %.
SCREENS = {"1366x768": (1366, 768, 1.0), "1920x1080-150": (1920, 1080, 1.5)}


class NotOnScreen(RuntimeError):
    pass


# -- the child process: one language on one screen -----------------------------------------


def wait(app, predicate, timeout_s: float = 60, what: str = "the window to get there") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.002)


def settle(app, ms: int = 150) -> None:
    end = time.monotonic() + ms / 1000
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)


class Shooter:
    def __init__(self, app, out: Path, prefix: str) -> None:
        self.app, self.out, self.prefix = app, out, prefix
        self.taken: list[Path] = []

    def check_fits(self, window) -> None:
        """The whole window, frame included, inside the screen's available area: nothing cut off."""
        screen = window.screen()
        avail = screen.availableGeometry()
        frame = window.frameGeometry()
        if not avail.contains(frame):
            raise NotOnScreen(
                f"{window.objectName() or type(window).__name__} at {frame.getRect()} does not fit the "
                f"screen's available area {avail.getRect()} ({screen.size().width()}x{screen.size().height()}"
                f" at {screen.devicePixelRatio():g}x)"
            )

    def shoot(self, widget, name: str, *, with_dialogs: bool = False) -> Path:
        """The widget as it draws itself; ``with_dialogs``: the screen's pixels where the window is,
        so a dialog open over it is in the picture too."""
        from PySide6.QtWidgets import QApplication  # only in the child, once its screen is set

        window = widget.window()
        self.check_fits(window)
        for dialog in QApplication.topLevelWidgets() if with_dialogs else []:
            if dialog is not window and dialog.isVisible():
                self.check_fits(dialog)
        path = self.out / f"{self.prefix}{name}.png"
        if with_dialogs:
            self.app.processEvents()
            picture = window.screen().grabWindow(0, *window.frameGeometry().getRect())
        else:
            picture = widget.grab()
        if picture.isNull() or not picture.save(str(path)):
            raise OSError(f"could not write {path}")
        self.taken.append(path)
        print(path, flush=True)
        return path


def show(app, window, lang: str) -> None:
    from ui.i18n import languages

    languages().set_language(lang)
    window.show()
    wait(app, lambda: window.isVisible(), what="the window to show")
    settle(app)


def connected_to_the_97_and_fixed(app, window, shots: Shooter, lang: str, only: set[str] | None) -> None:
    from ui import service as svc
    from ui.app import setup_demo

    def wanted(name: str) -> bool:
        return only is None or name in only

    show(app, window, lang)
    setup_demo(window)
    wait(app, lambda: window.link == svc.CONNECTED and not window.busy, what="the demo terminal to connect")
    window.opt_person.setChecked(False)
    window.tabs.setCurrentIndex(1)  # what the terminal told
    settle(app)
    if wanted("1-connected"):
        shots.shoot(window, "1-connected")

    running = []

    def on_progress(p) -> None:
        if p.step == "comm-test" and not running:
            running.append(True)
            settle(app, 50)
            if wanted("2-diagnosis-running"):
                shots.shoot(window, "2-diagnosis-running")

    window.tabs.setCurrentIndex(0)
    window.session.progress.connect(on_progress)
    window.diagnose_button.click()
    wait(app, lambda: window.busy, what="the diagnosis to start")
    wait(app, lambda: not window.busy, what="the diagnosis to finish")
    window.session.progress.disconnect(on_progress)
    settle(app)
    item = window.checklist.item_for("params.tid")
    if item is not None:
        item.setExpanded(True)
        window.checklist.scrollToItem(item)
        window.checklist.setCurrentItem(item)
    settle(app)
    if wanted("3-finding-97"):
        shots.shoot(window, "3-finding-97")
    if only is not None and not only - {"1-connected", "2-diagnosis-running", "3-finding-97"}:
        return
    window.tabs.setCurrentIndex(1)  # the values the checks judged, marked with why
    settle(app)
    shots.shoot(window, "3b-terminal-marked")
    window.tools.show_logs()  # the terminal's response-code and error logs, codes explained by the profile
    settle(app)
    shots.shoot(window, "8-logs")
    guide = window.tools.guide()  # F1
    wait(app, guide.isVisible, what="the guide")
    settle(app)
    shots.shoot(guide, "9-help-guide")
    guide.close()
    codes = window.tools.response_codes()
    wait(app, codes.isVisible, what="the response codes")
    settle(app)
    shots.shoot(codes, "9b-response-codes")
    codes.close()
    window.tabs.setCurrentWidget(window.traffic)  # the last host message, decoded field by field
    settle(app)
    window.traffic.view.selectRow(window.traffic.proxy.rowCount() - 1)
    settle(app)
    shots.shoot(window, "12-traffic-decoded")
    window.tabs.setCurrentIndex(0)

    window.findings.buttons["fix-tid"].click()
    wait(app, lambda: window._dialog is not None and window._dialog.isVisible(), what="the confirmation")
    settle(app)
    shots.shoot(window._dialog, "4-confirm-repair")
    window._dialog.apply.click()
    wait(app, lambda: not window.busy and bool(window.diagnosis.actions_taken), what="the repair")
    settle(app)
    shots.shoot(window, "5-after-fix")

    restore = window.tools.restore()  # the backup the repair made, and what a restore would change
    wait(app, lambda: restore.isVisible() and restore.list.topLevelItemCount() > 0, what="the backups")
    settle(app)
    shots.shoot(restore, "10-restore")
    restore.restore_button.click()  # reads the terminal, then the confirmation with the exact change
    wait(app, lambda: restore.confirm is not None and restore.confirm.isVisible(), what="the restore confirmation")
    settle(app)
    shots.shoot(restore.confirm, "10b-confirm-restore")
    restore.confirm.reject()
    restore.reject()
    wait(app, lambda: not window.busy, what="the window to be idle")

    report = window.report.open()  # Ctrl+P: the visit report to save as PDF or print
    if report is None:
        raise RuntimeError("no report after a diagnosis")
    wait(app, report.isVisible, what="the report dialog")
    settle(app, 300)
    shots.shoot(report, "13-report")
    report.reject()
    history = window.history.show()  # this visit in the history, compared with the last one
    wait(app, lambda: history.isVisible() and history.list.topLevelItemCount() > 0, what="the visit history")
    history.list.setCurrentItem(history.list.topLevelItem(0))
    settle(app, 300)
    shots.shoot(history, "14-history")
    history.close()


def cable_pulled(app, shots: Shooter, lang: str) -> None:
    """A pty whose cable is pulled after 16 frames, half-way through the diagnosis."""
    from drivers.sim.scenario import load_scenario_text
    from drivers.sim.server import PtyServer
    from drivers.sim.terminal import SimulatedTerminal
    from ui import service as svc
    from ui.app import create_window

    with tempfile.TemporaryDirectory(prefix="techapp-pty-") as tmp:
        link = Path(tmp) / "ttyUSB0"
        scenario = load_scenario_text(
            'extends = "demo-97"\n[link.faults]\ndisconnect_after_frames = 16\n', source="shots"
        )
        server = PtyServer(SimulatedTerminal(scenario), link=str(link)).start()
        window, service = create_window()
        try:
            show(app, window, lang)
            window.work_order.load(str(ROOT / "resources" / "work-orders" / "demo-97.toml"))
            window.set_profile("demo")
            window.connect_panel.port.setEditText(str(link))
            window.connect_panel.password.setText("demo-2026")
            window.connect_panel.connect_button.click()
            wait(app, lambda: window.link == svc.CONNECTED and not window.busy, what="the pty terminal")
            window.opt_person.setChecked(False)
            window.diagnose_button.click()
            wait(app, lambda: window.link == svc.LOST and not window.busy, what="the cable to drop")
            window.tabs.setCurrentIndex(1)
            settle(app)
            shots.shoot(window, "6-disconnected")
        finally:
            window.close()
            service.shutdown()
            server.stop()


def person_tests_skipped(app, shots: Shooter, lang: str) -> None:
    """A healthy terminal; nobody swipes a card or presses the keys: the verdict says what was not tested."""
    from ui import service as svc
    from ui.app import create_window

    window, service = create_window()
    try:
        show(app, window, lang)
        window.connect_panel.use_simulator("healthy")
        window.connect_panel.connect_button.click()
        wait(app, lambda: window.link == svc.CONNECTED and not window.busy, what="the healthy terminal")
        window.opt_person.setChecked(True)
        window.diagnose_button.click()
        wait(app, lambda: window.busy, what="the diagnosis to start")
        prompted = []
        while window.busy:
            if window.prompt.isVisible() and window.prompt.skip_button.isVisible():
                if not prompted:
                    settle(app, 50)
                    shots.shoot(window, "7a-person-prompt")
                prompted.append(True)
                window.prompt.skip_button.click()
            settle(app, 20)
        if not prompted:
            raise RuntimeError("the diagnosis never asked for a person (card swipe, keypad)")
        settle(app)
        shots.shoot(window, "7-incomplete")
    finally:
        window.close()
        service.shutdown()


def wrong_password(app, shots: Shooter, lang: str) -> None:
    """A wrong maintenance password: what the terminal said (tries left), and the window asks again."""
    from ui import service as svc
    from ui.app import create_window

    window, service = create_window()
    try:
        show(app, window, lang)
        window.connect_panel.use_simulator("demo-97")
        window.connect_panel.password.setText("not-the-password")
        window.connect_panel.connect_button.click()
        wait(
            app,
            lambda: window._password_dialog is not None and window._password_dialog.isVisible(),
            what="the password to be asked again",
        )
        if window.link == svc.CONNECTED:
            raise RuntimeError("a wrong password shows Connected")
        settle(app)
        shots.shoot(window, "11-wrong-password", with_dialogs=True)
        window._password_dialog.reject()
        settle(app)
    finally:
        window.close()
        service.shutdown()


def child(lang: str, screen: str, out: Path, only: set[str] | None) -> int:
    os.environ["TECHAPP_DATA_DIR"] = tempfile.mkdtemp(prefix="techapp-shots-")
    os.environ.setdefault("TECHAPP_LOOPBACK_ONLY", "1")
    sys.path.insert(0, str(ROOT))
    from drivers.sim.server import forget_terminals
    from ui.app import create_window, make_app

    app = make_app()
    suffix = "" if screen == "1366x768" else f"{screen}-"
    shots = Shooter(app, out, f"{lang}-{suffix}")
    forget_terminals()
    window, service = create_window()
    try:
        connected_to_the_97_and_fixed(app, window, shots, lang, only)
    finally:
        window.close()
        service.shutdown()
        forget_terminals()
    if only is None:
        person_tests_skipped(app, shots, lang)
        forget_terminals()
        wrong_password(app, shots, lang)
        forget_terminals()
        cable_pulled(app, shots, lang)
        forget_terminals()
    return 0


# -- the parent: one child per language and screen ------------------------------------------


def run_child(lang: str, screen: str, out: Path, only: list[str] | None) -> int:
    width, height, scale = SCREENS[screen]
    with tempfile.TemporaryDirectory(prefix="techapp-screen-") as tmp:
        config = Path(tmp) / "screen.json"
        config.write_text(
            json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height}]})
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("QT_")}
        env["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
        if scale != 1.0:
            env["QT_SCALE_FACTOR"] = f"{scale:g}"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", lang, screen, "--out", str(out)]
        if only:
            cmd += ["--only", *only]
        return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", nargs="+", default=["en", "zh"], choices=["en", "zh"])
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNG files (default: next to this)")
    parser.add_argument("--child", nargs=2, metavar=("LANG", "SCREEN"), help=argparse.SUPPRESS)
    parser.add_argument("--only", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        lang, screen = args.child
        return child(lang, screen, args.out, set(args.only) if args.only else None)
    failed = []
    for lang in args.lang:
        for screen, only in (("1366x768", None), ("1920x1080-150", ["3-finding-97"])):
            if run_child(lang, screen, args.out, only) != 0:
                failed.append(f"{lang} {screen}")
    if failed:
        print(f"make_screenshots: failed for {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
