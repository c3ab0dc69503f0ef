"""Browser tests: Debian's Chromium driven by Playwright (never `playwright install`).

Each test gets a fresh browser context with a watcher that collects console errors, uncaught page
errors, failed requests and Content-Security-Policy violations; ``watch.assert_clean()`` fails on any.
Screenshots go to ``test-results/screenshots/`` (git-ignored), or to ``$JICENG_SCREENSHOT_DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"width": 1366, "height": 900},
    "phone": {"width": 390, "height": 844},
}
SCREENSHOT_DIR = Path(
    os.environ.get("JICENG_SCREENSHOT_DIR")
    or Path(__file__).resolve().parents[2] / "test-results" / "screenshots"
)

# Records CSP violations in the page itself (init scripts run before the page's own scripts and are
# not subject to the page's CSP).
_CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@dataclass
class PageWatch:
    page: Any
    problems: list[str] = field(default_factory=list)

    def on_console(self, message: Any) -> None:
        if message.type in ("error", "assert") or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text} @ {message.location}")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"page error: {error}")

    def on_request_failed(self, request: Any) -> None:
        # A background request cut off because the page moved on (a badge refresh during a form
        # submission) is the browser's doing, not a failure of the platform.
        if request.failure == "net::ERR_ABORTED" and request.resource_type in ("xhr", "fetch"):
            return
        self.problems.append(f"request failed: {request.method} {request.url} {request.failure}")

    def on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.request.method} {response.url}")

    def assert_clean(self, ignore: tuple[str, ...] = ()) -> None:
        """No problem reported so far, except those containing one of ``ignore`` (expected ones)."""
        violations = self.page.evaluate("window.__cspViolations || []")
        problems = self.problems + [f"CSP violation: {v}" for v in violations]
        problems = [p for p in problems if not any(text in p for text in ignore)]
        assert not problems, "browser reported problems:\n" + "\n".join(problems)

    def screenshot(self, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


# Module scope: Playwright's event loop must be gone before other test modules run in this process.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped outside CI")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django's ORM refuses to run while an
    # event loop is there unless told it is safe (it is: the loop only drives the browser).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(chromium: Any) -> Iterator[Any]:
    """``page, watch = open_page("phone")``: a page in a fresh context at that viewport (keyword
    arguments go to the context, e.g. ``service_workers="block"`` so that ``page.route`` sees all)."""
    contexts: list[Any] = []

    def make(device: str = "desktop", **options: Any) -> tuple[Any, PageWatch]:
        phone = device == "phone"
        context = chromium.new_context(
            **{
                "viewport": VIEWPORTS[device],
                "is_mobile": phone,
                "has_touch": phone,
                "device_scale_factor": 2 if phone else 1,
                "locale": "zh-CN",
                "timezone_id": "Asia/Shanghai",
                **options,
            }
        )
        context.set_default_timeout(10_000)
        context.add_init_script(_CSP_WATCH)
        contexts.append(context)
        page = context.new_page()
        watch = PageWatch(page)
        page.on("console", watch.on_console)
        page.on("pageerror", watch.on_page_error)
        page.on("requestfailed", watch.on_request_failed)
        page.on("response", watch.on_response)
        return page, watch

    yield make
    for context in contexts:
        context.close()
