"""Browser tests: Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("METER_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test's thread; the ORM calls that the test
# makes there (creating users) are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        # Never a silent skip: scripts/test installs Chromium (scripts/system-packages).
        pytest.fail(
            f"Chromium was not found at {CHROMIUM}: apt-get install chromium, "
            "or set METER_CHROMIUM to its path"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


# Reports each Content-Security-Policy violation of any page to the test (PageProblems).
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__meterCspViolation({
    page: location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: `${event.sourceFile}:${event.lineNumber}`,
    sample: event.sample,
  });
});
"""


class PageProblems:
    """What went wrong in a browser context's pages: Content-Security-Policy violations
    (the securitypolicyviolation events), uncaught script errors, and console errors."""

    def __init__(self, context) -> None:
        self.violations: list[dict] = []
        self.script_errors: list[str] = []
        self.console_errors: list[str] = []
        context.expose_binding(
            "__meterCspViolation", lambda source, violation: self.violations.append(violation)
        )
        context.add_init_script(_REPORT_VIOLATIONS)
        context.on("page", self.watch)

    def summary(self) -> str:
        """Each distinct violation once, on a line of its own."""
        seen = dict.fromkeys(
            f"{v['directive']} blocked {v['blocked']} at {v['source']} ({v['sample']!r})"
            for v in self.violations
        )
        return "Content-Security-Policy violations:\n" + "\n".join(seen)

    def watch(self, page) -> None:
        page.on("pageerror", lambda error: self.script_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(
                    f"{page.url}: {message.text} ({message.location.get('url')})"
                )
                if message.type == "error"
                else None
            ),
        )


@pytest.fixture
def page(browser):
    """A page whose test fails if any page it opened broke the Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fa-IR")
    problems = PageProblems(context)
    page = context.new_page()
    page.problems = problems
    yield page
    context.close()
    assert problems.violations == [], problems.summary()
