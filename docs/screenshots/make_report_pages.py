"""Regenerate docs/screenshots/report-en.png and report-zh.png: page 1 of a real service report.

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_report_pages.py [OUT_DIR]

The demo "97" terminal is diagnosed and repaired (``techapp diagnose --demo --fix auto``) in a
temporary data folder, the report is made with a sample technician and rendered in English and
Chinese, and pdftoppm (poppler-utils) turns page 1 of each PDF into a PNG.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main(out_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["TECHAPP_DATA_DIR"] = str(work / "data")
        os.environ["TECHAPP_CONFIG_DIR"] = str(work / "data")  # the sample technician stays out of the real settings
        os.environ["TECHAPP_PASSWORD"] = "demo-2026"

        import ui.report_render as report_render
        from techapp import cli
        from techapp.report import load_report, render_pdf
        from techapp.settings import Settings, save_settings

        report_render.ensure_app()
        save_settings(Settings(technician_name="王伟 Wang Wei", technician_id="T-0042", company="Demo Field Service"))
        pdf = work / "report.pdf"
        code = cli.main(["diagnose", "--demo", "--fix", "auto", "--no-prompts", "--no-history", "--report", str(pdf)])
        if code not in (0, 1, 3):
            print(f"make_report_pages: the diagnosis failed (exit {code})", file=sys.stderr)
            return 1
        report = load_report(work / "report.json")
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            print("make_report_pages: pdftoppm (poppler-utils) is missing: run scripts/setup", file=sys.stderr)
            return 1
        out_dir.mkdir(parents=True, exist_ok=True)
        for lang in ("en", "zh"):
            page = work / f"report-{lang}.pdf"
            render_pdf(report, page, lang=lang, paper="A4")
            stem = work / f"report-{lang}"
            subprocess.run(
                [pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(page), str(stem)], check=True
            )
            shutil.copyfile(f"{stem}.png", out_dir / f"report-{lang}.png")
            print(out_dir / f"report-{lang}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent))
