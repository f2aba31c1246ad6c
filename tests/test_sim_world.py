"""The simulator's world (issue 9 §4): line noise per byte, a wrong APN, a wrong Wi-Fi password, relative times.

The end-to-end tests run as a technician would in two shells: ``techapp sim
NAME --pty --netmap FILE`` in one process, ``techapp diagnose --port
/dev/pts/N --json FILE`` in another (with ``TECHAPP_NETMAP``, so the laptop's
checks see the scenario's network), and assert the top finding, the outcome
and the exit code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drivers.registry import open_terminal
from drivers.sim.ports import ByteNoise
from drivers.sim.scenario import Faults, load_scenario_text
from techapp.diagnosis.engine import Diagnoser
from techapp.netcheck import MappedDialer
from techapp.profiles import load_profile
from techapp.workorder import load_work_order

ROOT = Path(__file__).resolve().parents[1]
WORK_ORDER = ROOT / "resources" / "work-orders" / "demo-97.toml"
PASSWORD = "demo-2026"

pytestmark = pytest.mark.timeout(60)


# -- two shells: the simulator and techapp diagnose --------------------------------------------------


def _env(**extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if k not in ("TECHAPP_PASSWORD", "TECHAPP_SCENARIO_PATH")}
    e["PYTHONIOENCODING"] = "utf-8"
    e.update(extra)
    return e


class Served:
    """``techapp sim NAME --pty --netmap FILE`` in the background, as in a second shell."""

    def __init__(self, scenario: str, netmap: Path) -> None:
        self.netmap = netmap
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "techapp", "sim", scenario, "--pty", "--netmap", str(netmap)],
            cwd=ROOT,
            env=_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        assert self.proc.stdout is not None
        lines = [self.proc.stdout.readline(), self.proc.stdout.readline()]
        paths = [line.removeprefix("pty ").strip() for line in lines if line.startswith("pty ")]
        assert paths, f"no pty in {lines!r}; stderr: {self.stop()}"
        self.path = paths[0]

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@dataclass
class Diagnosed:
    code: int
    report: dict[str, Any]
    stdout: str
    stderr: str

    @property
    def top(self) -> dict[str, Any]:
        assert self.report["findings"], f"no finding; stdout:\n{self.stdout}"
        return self.report["findings"][0]

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def said(self) -> str:
        """The top finding as the technician reads it: title, cause, evidence, actions and their steps."""
        top = self.top
        parts = [top["title"]["en"], top["cause"]["en"], *(e["en"] for e in top["evidence"])]
        for a in top["actions"]:
            parts += [a["title"]["en"], *(s["en"] for s in a.get("steps", []))]
        return "\n".join(parts)


@pytest.fixture
def diagnose_pty(tmp_path) -> Iterator[Callable[..., Diagnosed]]:
    """``diagnose_pty(scenario)``: serve it with ``techapp sim --pty`` and run ``techapp diagnose`` on the pty."""
    served: list[Served] = []

    def run(scenario: str, *extra: str) -> Diagnosed:
        netmap = tmp_path / f"{Path(scenario).stem}.netmap.json"
        sim = Served(scenario, netmap)
        served.append(sim)
        out = tmp_path / f"{Path(scenario).stem}.json"
        result = subprocess.run(
            [sys.executable, "-m", "techapp", "diagnose", "--port", sim.path, "--work-order", str(WORK_ORDER)]
            + ["--no-prompts", "--lang", "en", "--json", str(out), *extra],
            cwd=ROOT,
            env=_env(TECHAPP_PASSWORD=PASSWORD, TECHAPP_NETMAP=str(netmap)),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=50,
        )
        assert "Traceback" not in result.stderr, result.stderr
        report = json.loads(out.read_text(encoding="utf-8"))
        return Diagnosed(result.returncode, report, result.stdout, result.stderr)

    yield run
    for sim in served:
        sim.stop()


# -- 1. line noise per byte ------------------------------------------------------------------------


def _faults(**keys: Any) -> Faults:
    return Faults(**keys)


def test_byte_noise_is_the_same_for_the_same_seed_and_differs_for_another():
    data = bytes(range(256)) * 40
    faults = _faults(seed=7, byte_corrupt_rate=0.01, byte_drop_rate=0.01, byte_insert_rate=0.01)
    first = ByteNoise(faults, "to-laptop").apply(data)
    assert first != data
    assert ByteNoise(faults, "to-laptop").apply(data) == first
    assert ByteNoise(_faults(**{**faults.model_dump(), "seed": 8}), "to-laptop").apply(data) != first
    assert ByteNoise(faults, "to-terminal").apply(data) != first, "each direction has its own generator"


def test_byte_noise_rates_are_per_byte():
    data = bytes(100_000)
    for key, count, length in (
        ("byte_corrupt_rate", "corrupted", lambda out: len(out) == len(data)),
        ("byte_drop_rate", "dropped", lambda out: len(out) < len(data)),
        ("byte_insert_rate", "inserted", lambda out: len(out) > len(data)),
    ):
        noise = ByteNoise(_faults(seed=3, **{key: 0.01}), "to-laptop")
        out = noise.apply(data)
        assert 800 < noise.counts[count] < 1200, (key, noise.counts)
        assert length(out), key
        assert sum(noise.counts.values()) == noise.counts[count]


def test_byte_noise_direction_limits_where_it_hits():
    faults = _faults(byte_corrupt_rate=0.5, byte_noise_direction="to-terminal")
    assert ByteNoise(faults, "to-laptop").apply(bytes(1000)) == bytes(1000)
    assert ByteNoise(faults, "to-terminal").apply(bytes(1000)) != bytes(1000)


def test_a_byte_rate_above_half_is_refused():
    with pytest.raises(ValueError, match=r"link\.faults\.byte_drop_rate"):
        load_scenario_text('extends = "healthy"\n[link.faults]\nbyte_drop_rate = 0.7\n')


def test_noisy_cable_completes_with_a_cable_finding(diagnose_pty):
    run = diagnose_pty("noisy-cable")
    assert run.top["id"] == "cable", [f["id"] for f in run.report["findings"]]
    assert [a["id"] for a in run.top["actions"]] == ["swap-cable"]
    quality = run.check("link.quality")
    assert quality["status"] == "warn"
    assert quality["observed"]["naks_sent"] + quality["observed"]["retransmissions"] > 0
    assert run.report["outcome"] == "faults"
    assert run.code == 1
    # the terminal itself was read whole: nothing else is blamed
    assert {f["id"] for f in run.report["findings"]} == {"cable"}


def test_a_cable_too_noisy_to_finish_says_so_and_blames_the_cable(pty_sim, tmp_path):
    """Never an all-clear, never "the terminal stopped answering": the retries run out on the cable."""
    server = pty_sim(
        "healthy",
        overrides="[link.faults]\nseed = 5\nbyte_corrupt_rate = 0.01\nbyte_drop_rate = 0.01\nbyte_insert_rate = 0.01\n",
    )
    driver = open_terminal(server.path, response_timeout=1.0)
    try:
        result = Diagnoser(
            driver,
            PASSWORD,
            port=server.path,
            work_order=load_work_order(WORK_ORDER),
            profile=load_profile("demo"),
            dialer=MappedDialer.from_dict(server.terminal.world.laptop_netmap()),
        ).run()
    finally:
        driver.close()
    assert result.findings and result.findings[0].id == "link-noisy", [f.id for f in result.findings]
    top = result.findings[0]
    assert "not the terminal" in top.cause.en and "rejected" in top.cause.en
    assert [a.id for a in top.actions] == ["swap-cable"]
    assert result.could_not_run is not None
    assert result.exit_code == 2
