"""What each command imports, from ``python -X importtime`` (the figures kept in docs/performance.md).

    .venv/bin/python bench/imports.py [--top 12] [--rounds 5]

For ``techapp --version``, ``techapp diagnose --demo`` and the window (``techapp --demo`` until it
is connected, offscreen), prints the total import time (median of the rounds) and the heaviest
top-level imports of the last round (cumulative microseconds, as ``-X importtime`` reports them).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PYTHON, ROOT, bench_env  # noqa: E402

COMMANDS = {
    "techapp --version": (["--version"], {}),
    "techapp diagnose --demo": (["diagnose", "--demo", "--no-prompts", "--lang", "en"], {}),
    "window (techapp --demo, until connected)": (["--demo"], {"TECHAPP_EXIT_WHEN_READY": "1"}),
}


def importtime(args: list[str], extra: dict[str, str]) -> tuple[float, list[tuple[int, str]], set[str]]:
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "ui.launcher", *args],
        env=bench_env(**extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    total = 0
    top: list[tuple[int, str]] = []
    modules = set()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, cumulative, name = line.removeprefix("import time:").split("|")
        if not self_us.strip().isdigit():
            continue  # the header line
        total += int(self_us)
        modules.add(name.strip())
        if not name.startswith("  "):  # imported by the command itself, not by another module
            top.append((int(cumulative), name.strip()))
    return total / 1e6, sorted(top, reverse=True), modules


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    for title, (cmd, extra) in COMMANDS.items():
        totals = []
        for _ in range(args.rounds):
            total, top, modules = importtime(cmd, extra)
            totals.append(total)
        heavy = [m for m in ("PySide6", "cryptography", "pydantic", "psutil", "ssl") if m in modules]
        print(
            f"== {title}: imports {statistics.median(totals) * 1000:.0f} ms "
            f"(min {min(totals) * 1000:.0f}, max {max(totals) * 1000:.0f}), {len(modules)} modules; "
            f"loads {', '.join(heavy) or 'none of PySide6/cryptography/pydantic/psutil/ssl'}"
        )
        for cumulative, name in top[: args.top]:
            print(f"  {cumulative / 1000:8.1f} ms  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
