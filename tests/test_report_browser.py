"""Reports opened in a real headless Chromium, driven over the DevTools protocol (a pipe).

No console error, no network request (only the report's own file:// URL is loaded), and a
screenshot that is a non-empty PNG. Skipped, saying why, where Debian's chromium is absent.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.report.html import render_report
from grader.report.summary import render_summary
from tests.report_builders import late, make_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium; `make install`)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
]


class DevTools:
    """Chromium's DevTools protocol over --remote-debugging-pipe: it reads fd 3, writes fd 4."""

    def __init__(self, profile: Path) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def in_child() -> None:
            read, write = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(read, 3)
            os.dup2(write, 4)

        assert CHROMIUM is not None
        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=in_child,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.events: list[dict[str, Any]] = []
        self._replies: dict[int, dict[str, Any]] = {}
        self._next = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        pending = b""
        while chunk := os.read(self._from_chrome, 1 << 16):
            pending += chunk
            while b"\0" in pending:
                message, pending = pending.split(b"\0", 1)
                parsed = json.loads(message)
                if "id" in parsed:
                    self._replies[parsed["id"]] = parsed
                else:
                    self.events.append(parsed)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        self.wait(lambda: self._next in self._replies, method)
        reply = self._replies[self._next]
        assert "error" not in reply, reply
        return dict(reply.get("result", {}))

    def wait(self, ready: Any, what: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise TimeoutError(f"chromium did not answer {what}")
            time.sleep(0.02)

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(timeout=10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            os.close(self._to_chrome)


@dataclass
class Visit:
    events: list[dict[str, Any]]
    screenshot: bytes
    pdf: bytes
    phone_overflow: int  # CSS pixels wider than a 375-pixel phone screen
    score_bar: float  # the width of the score bar's filled part in CSS pixels; -1: no bar


SCORE_BAR = """(() => {
    const filled = document.querySelector('.bar > span');
    return filled ? filled.getBoundingClientRect().width : -1;
})()"""


def open_in_chromium(page: Path, profile: Path) -> Visit:
    browser = DevTools(profile)
    try:
        targets = browser.send("Target.getTargets")["targetInfos"]
        target = next(t for t in targets if t["type"] == "page")
        session = browser.send("Target.attachToTarget", targetId=target["targetId"], flatten=True)[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Network", "Page"):
            browser.send(f"{domain}.enable", session)
        browser.send("Page.navigate", session, url=page.as_uri())
        browser.wait(
            lambda: any(e["method"] == "Page.loadEventFired" for e in browser.events), "load"
        )
        time.sleep(0.3)  # late console messages, if any
        shot = browser.send("Page.captureScreenshot", session, format="png")
        pdf = browser.send("Page.printToPDF", session)
        bar = browser.send("Runtime.evaluate", session, expression=SCORE_BAR, returnByValue=True)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=375,
            height=800,
            deviceScaleFactor=2,
            mobile=False,  # a 375-pixel-wide window: a mobile one would zoom out to fit
        )
        overflow = browser.send(
            "Runtime.evaluate",
            session,
            expression="document.documentElement.scrollWidth - window.innerWidth",
            returnByValue=True,
        )
        return Visit(
            list(browser.events),
            base64.b64decode(shot["data"]),
            base64.b64decode(pdf["data"]),
            int(overflow["result"]["value"]),
            float(bar["result"]["value"]),
        )
    finally:
        browser.close()


def problems(events: list[dict[str, Any]], page: Path) -> list[str]:
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            found.append(f"console error: {params.get('args')}")
        elif method == "Runtime.exceptionThrown":
            found.append(f"exception: {params.get('exceptionDetails')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            found.append(f"log error: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if url != page.as_uri() and not url.startswith("data:"):
                found.append(f"network request: {url}")
    return found


@pytest.mark.slow
def test_reports_open_in_chromium_without_errors_or_requests(tmp_path: Path) -> None:
    report = tmp_path / "reports" / "alice.html"
    report.parent.mkdir()
    report.write_text(render_report(late(make_report()), "TP mini"), encoding="utf-8")
    summary = tmp_path / "summary.html"
    reports = [make_report("alice"), make_report("bruno", 4.0)]
    summary.write_text(render_summary(reports, "tp-mini", "TP mini", "en"), encoding="utf-8")
    for number, page in enumerate((report, summary)):
        visit = open_in_chromium(page, tmp_path / f"profile-{number}")
        assert problems(visit.events, page) == []
        loaded = [e for e in visit.events if e["method"] == "Network.requestWillBeSent"]
        assert [e["params"]["request"]["url"] for e in loaded] == [page.as_uri()]
        assert visit.screenshot.startswith(b"\x89PNG") and len(visit.screenshot) > 5000
        assert visit.pdf.startswith(b"%PDF") and len(visit.pdf) > 5000  # printable
        assert visit.phone_overflow <= 0  # no sideways scrolling on a phone
        if page == report:  # the score bar is drawn: its CSS reached the browser unescaped
            assert visit.score_bar > 0


def test_a_console_error_would_be_caught(tmp_path: Path) -> None:
    """The detectors themselves: a console error, a remote image, a page too wide for a phone."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width">'
        '</head><body><img src="http://127.0.0.1:9/x.png"><div style="width:1000px">wide</div>'
        "<script>console.error('boom')</script></body></html>"
    )
    visit = open_in_chromium(page, tmp_path / "profile")
    found = problems(visit.events, page)
    assert visit.phone_overflow > 0
    assert any("console error" in p for p in found)
    assert any("network request: http://127.0.0.1:9/x.png" in p for p in found)
