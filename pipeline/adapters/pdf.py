"""Print the report's HTML to PDF (and take screenshots) with headless Chromium.

Chromium is a system package (Debian ``chromium``; ``./dev test`` installs it as root), not a Python
dependency. Without it, making the PDF fails with a message that says what to install: a City Hall
report is never issued without its PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BASE_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-extensions",
    "--no-first-run",
    "--hide-scrollbars",
)
TIMEOUT_SECONDS = 120


class ChromiumError(RuntimeError):
    pass


def chromium_path() -> str:
    """The Chromium executable (``ANCHOR_CHROMIUM`` overrides the search of PATH)."""
    override = os.environ.get("ANCHOR_CHROMIUM")
    if override:
        if shutil.which(override):
            return shutil.which(override) or override
        raise ChromiumError(f"ANCHOR_CHROMIUM={override!r} is not an executable")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumError(
        "Chromium is needed to print the report as PDF but none of "
        f"{', '.join(CANDIDATES)} is on PATH: install the Debian package 'chromium' "
        "(apt-get install chromium; ./dev test does this when run as root) or set ANCHOR_CHROMIUM"
    )


def run_chromium(
    html_file: Path, *flags: str, timeout: int = TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on a local HTML file, with a throw-away profile of its own."""
    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="anchor-chromium-") as profile:
        command = [
            executable,
            *BASE_FLAGS,
            f"--user-data-dir={profile}",
            *flags,
            Path(html_file).resolve().as_uri(),
        ]
        env = {**os.environ, "HOME": profile}
        try:
            return subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise ChromiumError(f"Chromium did not finish within {timeout} s on {html_file}") from exc


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page, as Chromium prints it (A4 from the page's print CSS).

    Public bodies must publish accessible documents: Chromium tags the PDF (its structure follows the
    page's headings, tables and the charts' text alternatives), titles it with the page's ``<title>``,
    and with ``--generate-pdf-document-outline`` adds bookmarks from the headings so a reader can move
    through the report by section.
    """
    with tempfile.TemporaryDirectory(prefix="anchor-pdf-") as folder:
        source = Path(folder) / "report.html"
        source.write_text(html, encoding="utf-8")
        target = Path(folder) / "report.pdf"
        result = run_chromium(
            source,
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
            f"--print-to-pdf={target}",
        )
        if not target.exists() or target.stat().st_size == 0:
            raise ChromiumError(
                f"Chromium made no PDF (exit {result.returncode}): {result.stderr.strip()[-2000:]}"
            )
        data = target.read_bytes()
    if not data.startswith(b"%PDF"):
        raise ChromiumError("Chromium's output is not a PDF")
    return data


def screenshot(
    html_file: Path, png: Path, width: int = 1280, height: int = 2400
) -> subprocess.CompletedProcess[str]:
    """A PNG of the page as a browser shows it (for review), plus Chromium's run for its log."""
    return run_chromium(
        html_file,
        f"--window-size={width},{height}",
        f"--screenshot={Path(png).resolve()}",
        "--enable-logging=stderr",
        "--v=0",
    )
