"""Open a page in headless Chromium and read it back over the Chrome DevTools Protocol (CDP).

Plain CDP over a WebSocket (aiohttp, the `browser` extra): no browser download, no
driver versions to match; Debian's `chromium` (`make browser`) is the browser. What comes back:
the value of a JavaScript expression evaluated in the loaded page, every request the page made
(Network.requestWillBeSent), the console's errors and a PNG screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# Known to work as root in a container; the resolver rule sends any host name nowhere, so even a
# request the page should not make cannot leave the machine (the test still sees it in the log).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-port=0",
    "--hide-scrollbars",
)
LOCAL_SCHEMES = ("file:", "data:", "about:")
STARTUP_SECONDS = 60.0


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((path for name in CHROMIUM_CANDIDATES if (path := shutil.which(name))), None)


@dataclass
class PageReport:
    value: Any
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def outside_requests(self) -> list[str]:
        """Requests for anything but the page's own file and its inline data: nothing should be here."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]


class _Cdp:
    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.loaded = asyncio.Event()

    async def read(self) -> None:
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                future = self.pending.pop(data["id"])
                if "error" in data:
                    future.set_exception(RuntimeError(f"CDP error: {data['error']}"))
                else:
                    future.set_result(data.get("result", {}))
            elif "method" in data:
                self.events.append(data)
                if data["method"] == "Page.loadEventFired":
                    self.loaded.set()

    async def send(self, method: str, session: str | None = None, **params: Any) -> Any:
        self.next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        await self.ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, STARTUP_SECONDS)


def _devtools_address(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """ws://… of the browser, from the DevToolsActivePort file Chromium writes once it listens."""
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with status {process.returncode} before listening")
        if port_file.is_file():
            lines = port_file.read_text().split()
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.1)
    raise RuntimeError(f"chromium did not start listening within {STARTUP_SECONDS:.0f} s")


async def _inspect(address: str, url: str, expression: str, screenshot: Path | None, size: tuple[int, int]) -> Any:
    import aiohttp

    async with aiohttp.ClientSession() as http, http.ws_connect(address, max_msg_size=0) as ws:
        cdp = _Cdp(ws)
        reader = asyncio.create_task(cdp.read())
        target = await cdp.send("Target.createTarget", url="about:blank")
        session = (await cdp.send("Target.attachToTarget", targetId=target["targetId"], flatten=True))["sessionId"]
        for domain in ("Network.enable", "Page.enable", "Runtime.enable", "Log.enable"):
            await cdp.send(domain, session)
        width, height = size
        await cdp.send(
            "Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1, mobile=False
        )
        cdp.loaded.clear()
        await cdp.send("Page.navigate", session, url=url)
        await asyncio.wait_for(cdp.loaded.wait(), STARTUP_SECONDS)
        result = await cdp.send("Runtime.evaluate", session, expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"the check script failed in the page: {result['exceptionDetails']}")
        if screenshot is not None:
            shot = await cdp.send("Page.captureScreenshot", session, format="png")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        await cdp.send("Browser.close")
        reader.cancel()
        return result["result"].get("value"), cdp.events


def inspect_page(
    path: Path,
    expression: str = "null",
    screenshot: Path | None = None,
    size: tuple[int, int] = (1200, 900),
    chromium: str | None = None,
) -> PageReport:
    """Load `path` (a local file) in a fresh headless Chromium, evaluate `expression`, shoot the viewport."""
    executable = chromium or find_chromium()
    if executable is None:
        raise RuntimeError("no chromium found (`make browser` installs Debian's)")
    # Chromium's helper processes (renderer, crash handler) can still write into the profile after the
    # browser process exits: the whole process group is stopped, and a file they add late is no failure.
    with tempfile.TemporaryDirectory(prefix="arastance-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            address = _devtools_address(Path(profile), process)
            value, events = asyncio.run(_inspect(address, Path(path).resolve().as_uri(), expression, screenshot, size))
        finally:
            _stop_group(process)
    requests = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    errors = [
        e["params"]["entry"]["text"]
        for e in events
        if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"
    ]
    errors += [
        str(e["params"]["exceptionDetails"].get("text")) for e in events if e["method"] == "Runtime.exceptionThrown"
    ]
    return PageReport(value, requests, errors)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the browser and its helpers, SIGKILL to whatever is left after 10 s."""
    import os
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
