"""Headless Chromium for the tests: the DOM of a page after its scripts ran, or a screenshot.

Debian's ``chromium`` package; ``make test`` installs it when run as root. A page is
loaded from disk with networking off, and ``--virtual-time-budget`` lets timers and
``onerror`` handlers fire before the DOM is read, so a script that would run in a
student's browser also runs here.
"""
import os
import shutil
import subprocess
import tempfile

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--no-first-run", "--disable-background-networking", "--disable-extensions",
    "--disable-sync", "--mute-audio", "--hide-scrollbars",
    # Feedback pages name CDN scripts (MathJax, require.js); there is no network here, and
    # a student page must not reach one either.
    "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
]


def _run(args, timeout=60):
    if CHROMIUM is None:
        raise RuntimeError("headless Chromium is missing: apt-get install chromium (make test does it as root)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout, check=True,
            env={**os.environ, "HOME": profile})


def dump_dom(path, budget_ms=3000):
    """The serialised DOM of the page at ``path`` once its scripts and timers had ``budget_ms``."""
    url = "file://" + os.path.abspath(path)
    return _run([f"--virtual-time-budget={budget_ms}", "--dump-dom", url]).stdout


def screenshot(path, png, width=1280, height=4000, budget_ms=3000):
    """Render the page at ``path`` into ``png``; returns ``png``."""
    url = "file://" + os.path.abspath(path)
    _run([f"--virtual-time-budget={budget_ms}", f"--window-size={width},{height}",
          f"--screenshot={os.path.abspath(png)}", url])
    return png
