"""Bounded fault-injection measurement behind docs/reliability.md's fault matrix.

Each run serves a fresh simulated terminal on a real pty with one ``[link.faults]``
profile and a seed, then drives the real driver through it the way techapp does:
``collect_info`` (HELLO, identity, login, every read), then a parameter write with
its read-back, then LOGOUT. A run ends in one of:

* ``ok``: everything read and the write verified;
* ``typed-error``: a ``TerminalError`` naming the operation (which one is counted);
* ``hang``: the run took longer than its bound (must never happen);
* ``crash``: any other exception (must never happen).

After every run the terminal's stored TID is checked: it must be the old or the new
value, never anything else (no half-written terminal).

    .venv/bin/python bench/link_faults.py [--runs N] [--json FILE]

Loopback and a pty only; no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.errors import TerminalError  # noqa: E402
from drivers.maint.driver import RESPONSE_TIMEOUT, MaintenanceDriver  # noqa: E402
from drivers.maint.protocol import Tag  # noqa: E402
from drivers.sim.scenario import load_scenario_text  # noqa: E402
from drivers.sim.server import PtyServer  # noqa: E402
from drivers.sim.terminal import SimulatedTerminal  # noqa: E402
from techapp.info import collect_info  # noqa: E402

PASSWORD = "demo-2026"
OLD_TID, NEW_TID = "12345678", "87654321"

#: name -> (faults TOML body, runs multiplier, where the fault acts)
PROFILES: dict[str, tuple[str, float, str]] = {
    "clean": ("", 1, "none"),
    "frame-corrupt-20%": ("corrupt_rate = 0.2", 1, "terminal -> laptop: one byte of a frame flipped"),
    "frame-garbage-30%": ("garbage_rate = 0.3", 1, "terminal -> laptop: junk bytes before a frame"),
    "frame-drop-byte-20%": ("drop_rate = 0.2", 1, "terminal -> laptop: one byte of a frame lost"),
    "spurious-nak-20%": ("spurious_nak_rate = 0.2", 1, "terminal NAKs an intact laptop frame"),
    "all-four-10%": (
        "corrupt_rate = 0.1\ngarbage_rate = 0.1\ndrop_rate = 0.1\nspurious_nak_rate = 0.1",
        1,
        "all four frame faults at once",
    ),
    "byte-noise-0.2%": (
        "byte_corrupt_rate = 0.002\nbyte_drop_rate = 0.002\nbyte_insert_rate = 0.002",
        1,
        "every byte, both directions: flipped, lost or an extra byte, 0.2 % each",
    ),
    "byte-noise-2%": (
        "byte_corrupt_rate = 0.02\nbyte_drop_rate = 0.02\nbyte_insert_rate = 0.02",
        1,
        "every byte, both directions, 2 % each (a bad cable)",
    ),
    "cable-pulled": ("disconnect_after_frames = {cut}", 1, "cable pulled after frame N (N varies with the seed)"),
    "terminal-hangs": ("silent_after_frames = {cut}", 0.5, "the terminal goes silent after frame N"),
}


def terminal(faults: str, seed: int) -> SimulatedTerminal:
    text = f'extends = "healthy"\n[link]\nprocessing_latency_ms = 0\n[link.faults]\nseed = {seed}\n{faults}\n'
    return SimulatedTerminal(load_scenario_text(text, source="bench"))


def one_run(faults: str, seed: int, bound_s: float, timeout: float) -> tuple[str, str, dict[str, int], float]:
    server = PtyServer(terminal(faults, seed)).start()
    started = time.monotonic()
    driver = None
    outcome, detail = "ok", ""
    try:
        driver = MaintenanceDriver(server.path, response_timeout=timeout)
        info = collect_info(driver, PASSWORD, port=server.path)
        if info.errors:
            first = info.errors[0]
            outcome, detail = "typed-error", f"{first.error_type} ({first.section})"
        else:
            driver.login(PASSWORD)
            back = driver.set_parameters({"tid": NEW_TID})
            if back.tid != NEW_TID:
                outcome, detail = "crash", f"read back {back.tid!r}"
    except TerminalError as err:
        outcome, detail = "typed-error", f"{type(err).__name__} ({err.action or 'link'})"
    except Exception as err:  # noqa: BLE001 - counted, never expected
        outcome, detail = "crash", f"{type(err).__name__}: {err}"
    finally:
        stats = dict(driver.link_stats) if driver is not None and driver.is_open else {}
        if driver is not None:
            driver.close()
        elapsed = time.monotonic() - started
        stored = server.terminal.params[Tag.TID]
        server.stop()
    if elapsed > bound_s:
        outcome, detail = "hang", f"{elapsed:.1f} s"
    if stored not in (OLD_TID, NEW_TID):
        outcome, detail = "crash", f"half-written TID {stored!r}"
    return outcome, detail, stats, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="runs per profile (default 10)")
    parser.add_argument(
        "--response-timeout",
        type=float,
        default=RESPONSE_TIMEOUT,
        help=f"the driver's answer time-out in seconds (default {RESPONSE_TIMEOUT:g}, techapp's; tests use 1-3)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    # the longest legitimate run: a timeout per section is not allowed (one timeout, then stop), plus the reads
    bound_s = 30.0 + 4 * args.response_timeout
    results = []
    for name, (faults, share, where) in PROFILES.items():
        runs = max(1, round(args.runs * share))
        outcomes: Counter[str] = Counter()
        details: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        longest = 0.0
        for seed in range(1, runs + 1):
            body = faults.format(cut=1 + (seed * 5) % 19)  # frames 1..19: every step of a run
            outcome, detail, stats, elapsed = one_run(body, seed, bound_s, args.response_timeout)
            outcomes[outcome] += 1
            if detail:
                details[detail] += 1
            totals.update(stats)
            longest = max(longest, elapsed)
        row = {
            "profile": name,
            "where": where,
            "runs": runs,
            "outcomes": dict(outcomes),
            "errors": dict(details),
            "retransmissions": totals["retransmissions"],
            "naks_sent": totals["naks_sent"],
            "garbage_bytes": totals["garbage_bytes"],
            "longest_s": round(longest, 1),
            "response_timeout_s": args.response_timeout,
        }
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    bad = sum(r["outcomes"].get("hang", 0) + r["outcomes"].get("crash", 0) for r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
