"""The speed table of issue 15, each row against its reference measured in the same run.

    .venv/bin/python bench/ratios.py [--rounds 7] [--only version,diagnose,parallel,window]

Rows (docs/performance.md explains the method and what limits each):

version   ``techapp --version`` vs ``python -c pass``                                 target <= 2x
diagnose  ``techapp diagnose`` on the 97 demo over a pty vs the wire floor              target <= 1.25x
          (the bytes of that same diagnosis at the line's baud rate, plus every latency the
          scenario declares that the run waited: the terminal's processing, the network's
          connect latencies on the terminal's and on the laptop's side). The terminal paces
          its bytes at 115200 baud (``[link] pace = true``), as a real one does.
parallel  8 diagnoses at once (8 terminals, 8 ptys) vs one alone                         target <= 1.5x
window    ``techapp --demo`` start to the main window's first paint (its ``painted:`` line)  target <= 1.5x
          vs a bare PySide6 window's start to first paint (the floor of any Qt window on this
          machine); then first paint to connected (``ready:``, the demo terminal read)   target <= 0.3 s

Rounds interleave the thing and its reference; medians and min-max are printed.
Exit status 0 always: this measures, the tests assert behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    PYTHON,
    ROOT,
    bench_env,
    interleave,
    report,
    run_timed,
    run_timed_lines,
    summary,
    techapp,
)

WORK_ORDER = str(ROOT / "resources" / "work-orders" / "demo-97.toml")
PACED_97 = 'extends = "demo-97"\n[link]\npace = true\n'


# -- version -------------------------------------------------------------------------------------------
def bench_version(rounds: int) -> None:
    env = bench_env()
    times = interleave(
        {
            "version": lambda: run_timed(techapp("--version"), env),
            "pass": lambda: run_timed([PYTHON, "-c", "pass"], env),
        },
        rounds,
    )
    report("techapp --version", "techapp --version", times["version"], "python -c pass", times["pass"], 2.0)


# -- diagnose over a pty ---------------------------------------------------------------------------------
class SimProcess:
    """``techapp sim SCENARIO --pty --link L --netmap N`` in its own process (a terminal of its own)."""

    def __init__(self, scenario: Path, folder: Path, name: str, env: dict[str, str]) -> None:
        self.link = folder / f"{name}.tty"
        self.netmap = folder / f"{name}.netmap.json"
        self.proc = subprocess.Popen(
            techapp("sim", str(scenario), "--pty", "--link", str(self.link), "--netmap", str(self.netmap)),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while not (self.link.exists() and self.netmap.exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"techapp sim did not start: {self.proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.02)

    def diagnose_cmd(self) -> list[str]:
        return techapp("diagnose", "--port", str(self.link), "--work-order", WORK_ORDER, "--no-prompts", "--lang", "en")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _diagnose_once(scenario: Path, folder: Path, env: dict[str, str], n: int = 1) -> float:
    """Wall time of ``n`` diagnoses started together, each on a fresh terminal of its own."""
    sims = [SimProcess(scenario, folder, f"t{i}", env) for i in range(n)]
    try:
        envs = [{**env, "TECHAPP_NETMAP": str(s.netmap)} for s in sims]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(s.diagnose_cmd(), env=e, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for s, e in zip(sims, envs, strict=True)
        ]
        codes = [p.wait(timeout=120) for p in procs]
        took = time.perf_counter() - start
        if any(c != 1 for c in codes):  # the 97 demo has findings: exit 1
            raise SystemExit(f"diagnose exited {codes}: {procs[0].stderr.read().decode()[-2000:]}")
        return took
    finally:
        for s in sims:
            s.stop()


LAPTOP_HOOK = textwrap.dedent(
    """
    import atexit, sys, time
    import techapp.netcheck as nc
    spent = [0.0]
    real = nc.MappedDialer._connect_address
    def hooked(self, address, port, timeout):
        ip = nc._ip(address)
        route = self.routes.get((str(ip) if ip is not None else address, port))
        if route is not None and route.fail is None:
            spent[0] += route.latency_ms / 1000
        return real(self, address, port, timeout)
    nc.MappedDialer._connect_address = hooked
    atexit.register(lambda: print(f"laptop-latency {spent[0]:.4f}", file=sys.stderr))
    from ui.launcher import main
    sys.exit(main(sys.argv[1:]))
    """
)


def wire_floor(scenario: Path, folder: Path, env: dict[str, str]) -> tuple[float, dict]:
    """The floor of one diagnosis: its bytes at the line rate plus the latencies it waited (measured on one run)."""
    from drivers.framing import FrameLink
    from drivers.sim import ports
    from drivers.sim.scenario import load_scenario
    from drivers.sim.server import PtyServer
    from drivers.sim.terminal import SimulatedTerminal

    counts = {"bytes": 0, "terminal_waits": 0.0}
    lock = threading.Lock()
    real_write, real_fill, real_service = ports.FdPort.write, ports.FdPort._fill, FrameLink.service

    def write(self, data):
        with lock:
            counts["bytes"] += len(data)
        return real_write(self, data)

    def fill(self, wait):
        before = len(self._buf)
        real_fill(self, wait)
        with lock:
            counts["bytes"] += len(self._buf) - before

    def service(self, seconds):
        with lock:
            counts["terminal_waits"] += max(seconds, 0.0)
        return real_service(self, seconds)

    ports.FdPort.write, ports.FdPort._fill, FrameLink.service = write, fill, service
    terminal = SimulatedTerminal(load_scenario(scenario))
    server = PtyServer(terminal).start()
    try:
        netmap = folder / "floor.netmap.json"
        terminal.world.write_laptop_netmap(netmap)
        cmd = [
            PYTHON,
            "-c",
            LAPTOP_HOOK,
            "diagnose",
            "--port",
            server.path,
            "--work-order",
            WORK_ORDER,
            "--no-prompts",
            "--lang",
            "en",
        ]
        done = subprocess.run(
            cmd, env={**env, "TECHAPP_NETMAP": str(netmap)}, cwd=ROOT, capture_output=True, text=True, check=False
        )
    finally:
        server.stop()
        terminal.world.close()
        ports.FdPort.write, ports.FdPort._fill, FrameLink.service = real_write, real_fill, real_service
    laptop = float(next(line.split()[1] for line in done.stderr.splitlines() if line.startswith("laptop-latency")))
    baud = terminal.scenario.link.line_baud
    parts = {
        "bytes": counts["bytes"],
        "wire_s": counts["bytes"] * 10 / baud,
        "terminal_latency_s": counts["terminal_waits"],
        "laptop_latency_s": laptop,
    }
    return parts["wire_s"] + parts["terminal_latency_s"] + parts["laptop_latency_s"], parts


def bench_diagnose(rounds: int, parallel: bool, only_diagnose: bool = True) -> None:
    env = bench_env()
    folder = Path(tempfile.mkdtemp(prefix="techapp-bench-diag-"))
    scenario = folder / "demo-97-paced.toml"
    scenario.write_text(PACED_97, encoding="utf-8")
    if only_diagnose:
        floor, parts = wire_floor(scenario, folder, env)
        one = [_diagnose_once(scenario, folder, env) for _ in range(rounds + 1)][1:]
        report("techapp diagnose, 97 demo over a pty", "techapp diagnose", one, "wire floor", floor, 1.25)
        print("  floor:", json.dumps({k: round(v, 4) for k, v in parts.items()}))
    if parallel:
        times = interleave(
            {
                "eight": lambda: _diagnose_once(scenario, folder, env, 8),
                "one": lambda: _diagnose_once(scenario, folder, env, 1),
            },
            rounds,
        )
        report("8 diagnoses at once", "8 at once (wall)", times["eight"], "one alone", times["one"], 1.5)


# -- window -------------------------------------------------------------------------------------------------
BARE_WINDOW = textwrap.dedent(
    """
    import sys
    from PySide6.QtWidgets import QApplication, QWidget
    class W(QWidget):
        def paintEvent(self, event):
            print("painted", flush=True)
            QApplication.instance().quit()
    app = QApplication(sys.argv)
    w = W(); w.resize(800, 600); w.show()
    app.exec()
    """
)


def bench_window(rounds: int) -> None:
    """Each ``techapp --demo`` run gives both of its times: start to ``painted:`` and ``painted:`` to ``ready:``."""
    env = bench_env(TECHAPP_EXIT_WHEN_READY="1", TECHAPP_PRINT_STARTUP="1")
    after_paint: list[float] = []
    to_ready: list[float] = []

    def demo() -> float:
        painted, ready = run_timed_lines(techapp("--demo"), env, ("painted:", "ready:"))
        after_paint.append(ready - painted)
        to_ready.append(ready)
        return painted

    times = interleave(
        {"techapp": demo, "bare": lambda: run_timed([PYTHON, "-c", BARE_WINDOW], env, until="painted")}, rounds
    )
    del after_paint[: len(after_paint) - rounds], to_ready[: len(to_ready) - rounds]  # the warm-up run
    thing, reference = "techapp --demo to first paint", "bare window to first paint"
    report("window", thing, times["techapp"], reference, times["bare"], 1.5)
    print(f"  {'first paint to connected':<34} {summary(after_paint)}  (target <= 0.3 s: ", end="")
    print("meets)" if statistics.median(after_paint) <= 0.3 else "misses)")
    print(f"  {'(start to connected)':<34} {summary(to_ready)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="version,diagnose,parallel,window")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    if "version" in only:
        bench_version(args.rounds)
    if "diagnose" in only or "parallel" in only:
        bench_diagnose(args.rounds, "parallel" in only, "diagnose" in only)
    if "window" in only:
        bench_window(args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
