"""The repair bench: 8 simulated terminals diagnosed at once against one alone (issue 12; docs/performance.md).

Starts N simulated terminals as separate processes on real ptys (``techapp sim --pty``), each a healthy
terminal with its own serial number, paced at 115200 baud with the scenario's latencies ([link] pace = true).
Then, alternating round by round (one, N, one, N, ...):

- command line: ``techapp bench --port P1 [... PN] --no-prompts --no-history`` wall time and peak memory
  (the child's own maxrss, from wait4);
- window (``--window``): the Bench view (ui/bench_view.py, offscreen) in a child process, "Diagnose all"
  until every row is done: wall time, the longest event-loop stall (gaps of a 1 ms QTimer) and peak memory.

    .venv/bin/python bench/bench_many.py [--terminals 8] [--rounds 3] [--window]

Prints a table and the ratio N-at-once / one-alone (target <= 1.5) and, for the window, the longest stall
(target < 50 ms). Not a timed test: a measurement to read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
PASSWORD = "demo-2026"  # the simulator's published demo password


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TECHAPP_")}
    env.update(
        QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"),
        TECHAPP_LOOPBACK_ONLY="1",
        TECHAPP_DATA_DIR=tempfile.mkdtemp(prefix="techapp-bench-many-"),
        TECHAPP_PASSWORD=PASSWORD,
    )
    return env


def start_terminals(count: int, folder: Path, env: dict[str, str]) -> tuple[list[subprocess.Popen], list[str]]:
    procs, ports = [], []
    for i in range(count):
        scenario = folder / f"bench-{i + 1}.toml"
        scenario.write_text(
            f'extends = "healthy"\n[identity]\nserial_number = "BENCH{i + 1:03d}"\n[link]\npace = true\n',
            encoding="utf-8",
        )
        proc = subprocess.Popen(
            [PYTHON, "-m", "techapp", "sim", str(scenario), "--pty"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("pty "):
            raise SystemExit(f"the simulator did not start: {line!r}")
        procs.append(proc)
        ports.append(line.split(" ", 1)[1])
    return procs, ports


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time, peak memory (KiB, the child's own) and standard output of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return took, usage.ru_maxrss, out


def cli(ports: list[str], env: dict[str, str]) -> tuple[float, int]:
    cmd = [PYTHON, "-m", "techapp", "bench", "--no-prompts", "--no-history", "--lang", "en"]
    for p in ports:
        cmd += ["--port", p]
    took, rss, out = run_child(cmd, env)
    if out.count("incomplete") + out.count("healthy") < len(ports):  # every row must have finished
        raise SystemExit(f"the bench did not finish every terminal:\n{out}")
    return took, rss


def window(ports: list[str], env: dict[str, str]) -> tuple[float, int, float]:
    took, rss, out = run_child([PYTHON, __file__, "--window-child", *ports], env)
    doc = json.loads(out.strip().splitlines()[-1])
    if doc["done"] != len(ports):
        raise SystemExit(f"the window's bench did not finish every terminal: {doc}")
    return doc["wall_s"], rss, doc["max_gap_ms"]


def window_child(ports: list[str]) -> None:
    """In a child process: the Bench view diagnoses ``ports``; prints one JSON line."""
    from PySide6.QtCore import QElapsedTimer, QTimer
    from PySide6.QtWidgets import QApplication

    from ui import service as svc
    from ui.bench_view import BenchView

    app = QApplication.instance() or QApplication([])
    service = svc.TerminalService()
    view = BenchView(service, watch_ports=False)
    view.show()
    for p in ports:
        view.add_port(p)
    view.opt_person.setChecked(False)
    view.password.setText(PASSWORD)
    end = time.perf_counter() + 0.3  # the window's first layout and paint are not the bench's
    while time.perf_counter() < end:
        app.processEvents()
    clock = QElapsedTimer()
    gaps: list[float] = []
    last = [0]

    def tick() -> None:
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now
        if all(not e.running for e in view.entries.values()):
            app.quit()

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(tick)
    start = time.perf_counter()
    clock.start()
    view.diagnose_all()
    timer.start()
    app.exec()
    wall = time.perf_counter() - start
    timer.stop()
    done = sum(1 for e in view.entries.values() if e.outcome in ("healthy", "incomplete"))
    view.close_bench()
    service.shutdown()
    print(json.dumps({"wall_s": wall, "max_gap_ms": max(gaps[1:] or [0.0]), "done": done}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--terminals", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--window", action="store_true", help="also measure the window's Bench view")
    ap.add_argument("--window-child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.window_child:
        window_child(args.window_child)
        return 0
    env = _env()
    with tempfile.TemporaryDirectory(prefix="techapp-bench-many-") as tmp:
        procs, ports = start_terminals(args.terminals, Path(tmp), env)
        try:
            rows: dict[str, list[tuple]] = {"cli 1": [], f"cli {len(ports)}": []}
            if args.window:
                rows.update({"window 1": [], f"window {len(ports)}": []})
            cli(ports[:1], env)  # warm-up: imports, caches
            for _ in range(args.rounds):
                rows["cli 1"].append(cli(ports[:1], env))
                rows[f"cli {len(ports)}"].append(cli(ports, env))
                if args.window:
                    rows["window 1"].append(window(ports[:1], env))
                    rows[f"window {len(ports)}"].append(window(ports, env))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(10)
    print(f"{'run':<12} {'wall (median, min-max)':<28} {'peak memory':>12} {'longest stall':>14}")
    for name, values in rows.items():
        walls = [v[0] for v in values]
        rss = max(v[1] for v in values) / 1024
        stall = f"{max(v[2] for v in values):.1f} ms" if len(values[0]) > 2 else "-"
        wall = f"{statistics.median(walls):.2f} s ({min(walls):.2f}-{max(walls):.2f})"
        print(f"{name:<12} {wall:<28} {rss:>9.0f} MiB {stall:>14}")
    ok = True
    for kind in ("cli", "window"):
        if f"{kind} 1" not in rows:
            continue
        one = statistics.median(v[0] for v in rows[f"{kind} 1"])
        many = statistics.median(v[0] for v in rows[f"{kind} {len(ports)}"])
        ratio = many / one
        ok = ok and ratio <= 1.5
        verdict = "meets" if ratio <= 1.5 else "misses"
        print(f"{kind}: {len(ports)} at once / one alone = {ratio:.2f}x (target <= 1.5x: {verdict})")
    if args.window:
        stall = max(v[2] for v in rows[f"window {len(ports)}"])
        ok = ok and stall < 50
        print(f"window: longest event-loop stall with {len(ports)} running {stall:.1f} ms (target < 50 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
