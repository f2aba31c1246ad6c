"""The link's waits: ending at the first byte vs the old 20 ms read slices, one in-process diagnosis each.

    .venv/bin/python bench/read_slices.py [--rounds 7]

Diagnoses the 97 demo on a fresh in-process terminal (``sim://demo-97?fresh``), alternating the
link's waits as they are (``drivers.framing.readable_waiter``) with the 20 ms blocking reads it used
before (``readable_waiter`` answering None, as it does for rfc2217:// ports). No process start, no
pacing: the difference is the rounding alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TECHAPP_DATA_DIR", tempfile.mkdtemp(prefix="techapp-bench-"))
os.environ.setdefault("TECHAPP_LOOPBACK_ONLY", "1")

import drivers.framing as framing  # noqa: E402
from drivers.registry import open_terminal  # noqa: E402
from drivers.sim.server import forget_terminals  # noqa: E402
from techapp.diagnosis.engine import Diagnoser  # noqa: E402
from techapp.laptopnet import laptop_dialer, trusted_ca  # noqa: E402
from techapp.profiles import load_profile  # noqa: E402
from techapp.workorder import load_work_order  # noqa: E402

WORK_ORDER = load_work_order(ROOT / "resources" / "work-orders" / "demo-97.toml")
PROFILE = load_profile("demo")
WAITER = framing.readable_waiter


def once(sliced: bool) -> float:
    framing.readable_waiter = (lambda port: None) if sliced else WAITER
    forget_terminals()
    port = "sim://demo-97?fresh"
    dialer = laptop_dialer(port)
    with trusted_ca(getattr(dialer, "ca_pem", None)) as cafile:
        start = time.perf_counter()
        driver = open_terminal(port)
        try:
            result = Diagnoser(
                driver, "demo-2026", port=port, work_order=WORK_ORDER, profile=PROFILE, dialer=dialer, cafile=cafile
            ).run()
        finally:
            driver.close()
        took = time.perf_counter() - start
    assert result.findings, "the 97 demo has a finding"
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    once(False), once(True)  # warm-up
    now, before = [], []
    for _ in range(args.rounds):
        now.append(once(False))
        before.append(once(True))
    for name, values in (("waits end at the first byte", now), ("20 ms read slices (before)", before)):
        print(f"{name:<30} {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})")
    print(f"saved per diagnosis: {statistics.median(before) - statistics.median(now):.3f} s")
    framing.readable_waiter = WAITER
    forget_terminals()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
