"""Drive headless Chromium over the DevTools protocol to check an HTML report.

The websocket client is ``websockets`` (installed with uvicorn[standard], a project dependency).

Chromium opens the file from disk with every network scheme blocked (proxy to a dead port, host
resolver mapped to nothing, and ``Network.setBlockedURLs``); the page's console errors, uncaught
exceptions and any attempted network request are collected, the charts counted, a screenshot taken.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-allow-origins=*",
    "--remote-debugging-port=0",
]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    charts_rendered: int | None = None
    charts_failed: int | None = None
    charts: list[dict[str, Any]] = field(default_factory=list)
    height: int = 0


class _Cdp:
    def __init__(self, ws_url: str, timeout: float) -> None:
        from websockets.sync.client import connect

        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(ws_url, open_timeout=timeout, max_size=None))
        self.timeout = timeout
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def evaluate(self, expr: str) -> Any:
        res = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return res.get("result", {}).get("value")

    def close(self) -> None:
        self._stack.close()


def _wait_port(user_dir: Path, proc: subprocess.Popen, timeout: float) -> int:
    marker = user_dir / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with {proc.returncode}")
        if marker.exists():
            first = marker.read_text().splitlines()
            if first and first[0].strip().isdigit():
                return int(first[0])
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


def check_page(
    html_file: Path,
    screenshot: Path | None = None,
    *,
    width: int = 1400,
    timeout: float = 60.0,
    clip: tuple[int, int] | None = None,
) -> PageCheck:
    """Open ``html_file``; ``clip`` = (top, height) limits the screenshot to a band of the page."""
    chromium = find_chromium()
    if chromium is None:
        raise FileNotFoundError("chromium is not installed")
    user_dir = Path(tempfile.mkdtemp(prefix="scalectl-chromium-"))
    proc = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={user_dir}",
            f"--window-size={width},900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cdp: _Cdp | None = None
    try:
        port = _wait_port(user_dir, proc, timeout)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=timeout) as resp:
            targets = json.loads(resp.read())
        page = next(t for t in targets if t.get("type") == "page")
        cdp = _Cdp(page["webSocketDebuggerUrl"], timeout)
        for domain in ("Runtime", "Log", "Network", "Page"):
            cdp.call(f"{domain}.enable")
        cdp.call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*", "ftp://*"])
        cdp.call(
            "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False
        )
        cdp.call("Page.navigate", url=Path(html_file).resolve().as_uri())
        result = PageCheck()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                cdp.evaluate("document.body && document.body.getAttribute('data-charts-rendered')")
                is not None
            ):
                break
            time.sleep(0.2)
        rendered = cdp.evaluate("document.body.getAttribute('data-charts-rendered')")
        failed = cdp.evaluate("document.body.getAttribute('data-charts-failed')")
        result.charts_rendered = int(rendered) if rendered is not None else None
        result.charts_failed = int(failed) if failed is not None else None
        result.charts = cdp.evaluate(
            """Array.from(document.querySelectorAll('.chart')).map(function (el) {
                 var r = el.getBoundingClientRect();
                 return {id: el.id, svg: el.querySelectorAll('svg.main-svg').length,
                         traces: el.querySelectorAll('g.trace').length,
                         points: el.querySelectorAll('g.trace path, g.trace .point').length,
                         width: Math.round(r.width), height: Math.round(r.height)};
               })"""
        )
        result.height = int(cdp.evaluate("document.documentElement.scrollHeight") or 0)
        if screenshot is not None:
            shot = cdp.call(
                "Page.captureScreenshot",
                format="png",
                captureBeyondViewport=True,
                clip={
                    "x": 0,
                    "y": clip[0] if clip else 0,
                    "width": width,
                    "height": clip[1] if clip else result.height,
                    "scale": 1,
                },
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        cdp.evaluate("1")  # drain events that arrived meanwhile
        for ev in cdp.events:
            method, params = ev["method"], ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = params.get("args", [])
                result.console_errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in args)
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                result.console_errors.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                result.console_errors.append(params["entry"].get("text", ""))
            elif method == "Network.requestWillBeSent":
                url = params.get("request", {}).get("url", "")
                if not url.startswith(("file:", "data:", "blob:", "about:")):
                    result.network_requests.append(url)
        return result
    finally:
        if cdp is not None:
            with contextlib.suppress(Exception):
                cdp.call("Browser.close")
            cdp.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(user_dir, ignore_errors=True)
