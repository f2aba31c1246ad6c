"""Shared by the bench scripts: interleaved rounds, medians with min-max, ratios.

Every bench measures a thing and its reference in the same run, alternating
them round by round (A B A B ...), so a machine that slows down half way
slows both; the ratio is of the medians.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def bench_env(**extra: str) -> dict[str, str]:
    """A clean environment: offscreen Qt, loopback only, a throw-away data folder, no time scale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TECHAPP_"))}
    env.update(
        QT_QPA_PLATFORM=env.get("QT_QPA_PLATFORM", "offscreen"),
        TECHAPP_LOOPBACK_ONLY="1",
        TECHAPP_DATA_DIR=tempfile.mkdtemp(prefix="techapp-bench-"),
        TECHAPP_PASSWORD="demo-2026",
    )
    env.update(extra)
    return env


def techapp(*args: str) -> list[str]:
    """The installed ``techapp`` command (what a technician types), else ``python -m ui.launcher``."""
    exe = Path(PYTHON).with_name("techapp")
    return [str(exe), *args] if exe.exists() else [PYTHON, "-m", "ui.launcher", *args]


def run_timed(cmd: Sequence[str], env: dict[str, str], *, until: str | None = None, ok=(0,)) -> float:
    """Wall time of ``cmd`` from start to exit (or to the first stdout line starting with ``until``)."""
    start = time.perf_counter()
    if until is None:
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        took = time.perf_counter() - start
        if done.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-2000:]}")
        return took
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    took = None
    for line in proc.stdout:
        if line.startswith(until):
            took = time.perf_counter() - start
            break
    proc.communicate(timeout=60)
    if took is None:
        raise SystemExit(f"{' '.join(cmd)} never printed {until!r} (exit {proc.returncode})")
    return took


def run_timed_lines(cmd: Sequence[str], env: dict[str, str], prefixes: Sequence[str]) -> list[float]:
    """Times from start to the first stdout line starting with each of ``prefixes`` (in that order)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    took: list[float] = []
    for line in proc.stdout:
        if len(took) < len(prefixes) and line.startswith(prefixes[len(took)]):
            took.append(time.perf_counter() - start)
            if len(took) == len(prefixes):
                break
    _out, err = proc.communicate(timeout=60)
    if len(took) < len(prefixes):
        missing = prefixes[len(took)]
        raise SystemExit(f"{' '.join(cmd)} never printed {missing!r} (exit {proc.returncode}):\n{err[-2000:]}")
    return took


def interleave(measures: dict[str, Callable[[], float]], rounds: int, warmup: int = 1) -> dict[str, list[float]]:
    """Each measure once per round, in turn; ``warmup`` rounds first (not kept: cold caches)."""
    for _ in range(warmup):
        for fn in measures.values():
            fn()
    out: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, fn in measures.items():
            out[name].append(fn())
    return out


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def report(
    title: str, thing: str, values: list[float], reference: str, ref_values: list[float] | float, target: float
) -> float:
    """Print the thing, its reference, the ratio of medians and the target; return the ratio."""
    ref = ref_values if isinstance(ref_values, float) else statistics.median(ref_values)
    ratio = statistics.median(values) / ref
    print(f"== {title}")
    print(f"  {thing:<34} {summary(values)}")
    if isinstance(ref_values, float):
        print(f"  {reference:<34} {ref:.3f} s (computed)")
    else:
        print(f"  {reference:<34} {summary(ref_values)}")
    verdict = "meets" if ratio <= target else "misses"
    print(f"  ratio {ratio:.2f}x  (target <= {target:g}x: {verdict})")
    return ratio
