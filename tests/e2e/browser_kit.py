"""What the browser tests share: chromium's flags, viewports and numbered screenshots."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
TIMEOUT_MS = 30_000
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


@contextmanager
def chromium() -> Iterator:
    """Debian's chromium, headless, through playwright.

    Playwright's sync API runs an event loop on the calling thread while it is open, and
    Django refuses ORM calls from such a thread: tests touch the database before and after
    this block, never inside it (the live server's own threads are unaffected).
    """
    from playwright.sync_api import expect, sync_playwright

    # Generous waits: CI machines have two cores and the preview runs the plan engine.
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Shots:
    """Numbered full-page screenshots: test-output/e2e/<nn>-<name>.png."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def take(self, page, name: str) -> Path:
        """A full-page screenshot; the page must fit its width without sideways scrolling."""
        width = page.evaluate("document.documentElement.scrollWidth")
        viewport = page.viewport_size["width"]
        assert width <= viewport, f"{name} is {width}px wide in a {viewport}px window"
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def tablet(self, page, name: str) -> Path:
        page.set_viewport_size(TABLET)
        try:
            return self.take(page, f"{name}-tablet")
        finally:
            page.set_viewport_size(DESKTOP)


# --- Accessibility: axe-core, pinned in tests/e2e/axe (``make axe`` runs ``npm ci``) ---------

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Violations of these impacts fail a page; moderate and minor ones are reported only.
AXE_BLOCKING = ("serious", "critical")


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now.

    The script is evaluated through the browser's debugging protocol rather than added as
    a script tag, so the pages' strict script policy stays as it is.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in result if v["impact"] in AXE_BLOCKING]


def assert_accessible(page, name: str = "") -> None:
    found = axe_violations(page)
    assert found == [], f"axe-core on {name or page.url}: {found}"
