"""The screenshot generator runs: every shot of docs/screenshots in each language, to a temporary folder.

Pixels are not compared; the generator fails (and so this test) when it
raises, when the app does not reach a state it shoots, or when a window does
not fit the laptop screen it runs on (1366x768, and 1920x1080 at 150 %).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "docs" / "screenshots" / "make_screenshots.py"
README = ROOT / "README.md"


def shots_in(markdown: Path) -> set[str]:
    import re

    # the generator's names (en-..., zh-...), not other pictures in the folder (report-en.png ...)
    return set(re.findall(r"(?<![\w-])((?:en|zh)-[\w-]+\.png)", markdown.read_text(encoding="utf-8")))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("lang", ["en", "zh"])  # one language per test: xdist runs them side by side
def test_the_screenshot_generator_takes_every_shot_in_each_language(tmp_path, lang):
    done = subprocess.run(
        [sys.executable, str(GENERATOR), "--lang", lang, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    taken = {p.name for p in tmp_path.glob("*.png")}
    assert all(name.startswith(f"{lang}-") for name in taken), taken  # only the language asked for
    for name in (
        "1-connected",
        "2-diagnosis-running",
        "3-finding-97",
        "3b-terminal-marked",
        "4-confirm-repair",
        "5-after-fix",
        "6-disconnected",
        "7a-person-prompt",
        "7-incomplete",
        "8-logs",
        "9-help-guide",
        "9b-response-codes",
        "10-restore",
        "10b-confirm-restore",
        "11-wrong-password",
        "12-traffic-decoded",
        "13-report",
        "14-history",
    ):
        assert f"{lang}-{name}.png" in taken
    assert f"{lang}-1920x1080-150-3-finding-97.png" in taken
    for name in taken:
        image = QImage(str(tmp_path / name))
        assert not image.isNull(), name
        if "1920x1080" in name:  # 150 %: the picture is in device pixels
            assert 1280 < image.width() <= 1920 and image.height() <= 1080, (name, image.size())
        else:
            assert image.width() <= 1366 and image.height() <= 768, (name, image.size())
    # the READMEs show what the generator makes, and nothing it no longer makes (this language's part)
    for markdown in (README, GENERATOR.parent / "README.md"):
        shown = shots_in(markdown)
        assert shown, markdown
        shown = {name for name in shown if name.startswith(f"{lang}-")}
        assert shown <= taken, f"{markdown.name} shows screenshots the generator does not make: {shown - taken}"
        assert all((GENERATOR.parent / name).exists() for name in shown), markdown
