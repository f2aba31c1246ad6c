"""TECHAPP_SIM_TIME_SCALE: only in (0, 1] counts; anything else leaves simulated waits at their real length.

End to end, tests/test_diagnosis_scenarios.py runs every scenario scaled (host-unreachable
and wrong-tpdu among them) and asserts the findings a technician expects. The reports of
`techapp diagnose --port sim://host-unreachable` at scale 0.05 and 1 were compared by hand:
identical but for the clock times (docs/performance.md).
"""

from __future__ import annotations

import pytest

from drivers import timescale


@pytest.mark.parametrize(
    ("text", "factor"),
    [("", 1.0), ("0.05", 0.05), ("1", 1.0), ("0", 1.0), ("-1", 1.0), ("2", 1.0), ("fast", 1.0), ("nan", 1.0)],
)
def test_the_scale_is_a_fraction_or_nothing(monkeypatch, text, factor):
    monkeypatch.setenv(timescale.ENV, text)
    assert timescale.factor() == factor
    assert timescale.hopeless_wait(30) == pytest.approx(30 * factor)


def test_unset_means_real_time(monkeypatch):
    monkeypatch.delenv(timescale.ENV, raising=False)
    assert timescale.hopeless_wait(60) == 60
