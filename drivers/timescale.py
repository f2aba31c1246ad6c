"""Simulated waits for things that will never happen, scaled down for tests.

A simulated terminal dialling a host that never answers waits its whole
connect time-out (30 s on a default terminal) for real, and one that waits for
an answer no host will send waits its whole response time-out (60 s). Nothing
can arrive during such a wait, so shortening it changes only the wall clock:
the terminal still reports the time-out it has (``connect_ms`` 30000, "no
answer within 60 s").

``TECHAPP_SIM_TIME_SCALE`` (a number in (0, 1], default 1) multiplies those
waits and nothing else: latencies, delays and every wait that an answer can
end keep their real length, so what the terminal and the laptop conclude is
the same at any scale. The test suite sets 0.05 (tests/conftest.py).
"""

from __future__ import annotations

import os

ENV = "TECHAPP_SIM_TIME_SCALE"


def factor() -> float:
    """The scale in force: ``$TECHAPP_SIM_TIME_SCALE`` when it is a number in (0, 1], else 1."""
    text = os.environ.get(ENV, "")
    if not text:
        return 1.0
    try:
        value = float(text)
    except ValueError:
        return 1.0
    return value if 0 < value <= 1 else 1.0


def hopeless_wait(seconds: float) -> float:
    """How long to really wait out ``seconds`` in which nothing can happen."""
    return seconds * factor()
