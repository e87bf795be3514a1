"""A headless Chromium driven over the DevTools protocol, through a pipe.

Chromium's `--remote-debugging-pipe` reads commands on its file descriptor 3
and writes answers and events on 4, each a JSON message ending in a NUL byte:
no WebSocket, no driver program and no Python dependency. Every request the
page makes is recorded (Network.requestWillBeSent), and so is every
Content-Security-Policy violation, so a test can prove what the page loaded
and that it was allowed to.

Chromium itself is Debian's (`apt-get install chromium`); nothing downloads a
browser build.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Quiet and isolated: no background requests of Chromium's own (updates, sync,
# safe browsing), and no host name resolves but the loopback address, so a page
# that asks for a CDN fails visibly instead of quietly reaching the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1280,1600",
    "--remote-debugging-pipe",
]
WAIT_SECONDS = 30

# Run in every page before its own scripts: keeps the page's CSP violations.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


class BrowserError(AssertionError):
    """Chromium answered a command with an error, or a wait ran out."""


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


class Page:
    """One tab, attached over the pipe; commands block until answered."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int):
        self._process = process
        self._to = to_browser
        self._from = from_browser
        self._buffer = b""
        self._next_id = 0
        self._session: str | None = None
        # Every URL the page asked for, and those the browser refused to send
        # (URL -> reason, "csp" for the page's Content-Security-Policy).
        self.requested: list[str] = []
        self.blocked: dict[str, str] = {}
        self._urls: dict[str, str] = {}

    # ----------------------------------------------------------- protocol

    def _send(self, method: str, params: dict[str, Any] | None = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if self._session:
            message["sessionId"] = self._session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from, 1 << 16)
            if not chunk:
                raise BrowserError(f"chromium closed the pipe (exit {self._process.poll()})")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        message: dict[str, Any] = json.loads(raw)
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            self._urls[params["requestId"]] = params["request"]["url"]
            self.requested.append(params["request"]["url"])
        elif message.get("method") == "Network.loadingFailed" and "blockedReason" in params:
            self.blocked[self._urls[params["requestId"]]] = params["blockedReason"]
        return message

    def command(self, method: str, **params: Any) -> dict[str, Any]:
        wanted = self._send(method, params)
        while True:
            message = self._receive()
            if message.get("id") == wanted:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def attach(self) -> None:
        (target,) = [
            t for t in self.command("Target.getTargets")["targetInfos"] if t["type"] == "page"
        ]
        attached = self.command("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        self._session = attached["sessionId"]
        self.command("Network.enable")
        self.command("Page.enable")
        self.command("Page.addScriptToEvaluateOnNewDocument", source=RECORD_CSP_VIOLATIONS)

    # ------------------------------------------------------------ actions

    def goto(self, url: str) -> None:
        self.command("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (awaited if a promise)."""
        result = self.command(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str) -> Any:
        """Poll until the expression is truthy; its value."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise BrowserError(f"waited {WAIT_SECONDS}s for {what}: {expression}")

    def _element(self, selector: str) -> str:
        """A JavaScript expression for the element, once it is on the page."""
        element = f"document.querySelector({json.dumps(selector)})"
        self.wait_for(f"{element} !== null", selector)
        return element

    def click(self, selector: str) -> None:
        self.evaluate(f"{self._element(selector)}.click()")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the field and type, as a keyboard would (the page's own input events fire)."""
        self.evaluate(f"{self._element(selector)}.focus()")
        self.command("Input.insertText", text=text)

    def csp_violations(self) -> list[str]:
        return list(self.evaluate("window.__cspViolations || []"))

    def screenshot(self, path: Path) -> Path:
        data = self.command("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def _above_4(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 5)
    os.close(fd)
    return moved


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[Page]:
    """A fresh headless Chromium with its own profile folder, closed on the way out."""
    # Kept above 4, so that putting them at 3 and 4 in the child clobbers neither.
    to_read, to_browser = (_above_4(fd) for fd in os.pipe())  # chromium reads commands on 3
    from_browser, to_write = (_above_4(fd) for fd in os.pipe())  # and writes answers on 4

    def give_pipes() -> None:
        os.dup2(to_read, 3)
        os.dup2(to_write, 4)

    process = subprocess.Popen(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=give_pipes,  # runs in the child, before chromium starts
        close_fds=False,
    )
    os.close(to_read)
    os.close(to_write)
    try:
        page = Page(process, to_browser, from_browser)
        page.attach()
        yield page
    finally:
        os.close(to_browser)  # chromium exits when its command pipe closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        os.close(from_browser)
