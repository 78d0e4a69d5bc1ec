"""Browser tests: Debian's chromium driven by playwright against pytest-django's live server.

No browser is ever downloaded: the tests use /usr/bin/chromium (``apt-get install
chromium``) and skip, saying so, when it or the playwright package is missing.
"""

import pytest

from tests.e2e.browser_kit import CHROMIUM, SCREENSHOTS, Shots

if not CHROMIUM.exists():
    pytest.skip(
        f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install -y chromium)",
        allow_module_level=True,
    )
pytest.importorskip(
    "playwright.sync_api", reason="browser tests need the playwright package (pip install .[dev])"
)


@pytest.fixture
def shots() -> Shots:
    return Shots(SCREENSHOTS)
