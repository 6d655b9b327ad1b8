"""Browser test infrastructure: headless Debian Chromium driven by Playwright
against pytest-django's ``live_server``.

Fixtures
--------
``browser``      session-wide Chromium (skipped with a clear reason when
                 /usr/bin/chromium is missing; set YIWANG_CHROMIUM to use another)
``page``         a fresh context + page per test, desktop 1280×800, zh-CN locale
``phone_page``   the same on a 360×740 phone (device_scale_factor 2, mobile, touch)
``new_page``     factory for more pages/contexts in one test (two users at once):
                 ``new_page(viewport=..., phone=True, locale="en-US")``
``base_url``     the live server's URL (``live_server.url``)

Every fixture that opens a page depends on ``live_server`` and
``transactional_db``: the server thread must see the rows a test creates,
which it cannot inside a test transaction.

Helpers
-------
``screenshot(page, name)``  saves test-artifacts/screenshots/<name>.png (gitignored)
``login_as(page, live_server, username, password, otp=None)``  logs in through
                 the real login page (see its docstring for the field contract)
``no_horizontal_overflow(page)``  True when nothing scrolls sideways

Mark every browser test ``@pytest.mark.browser``; run them with
``.venv/bin/pytest -m browser tests/browser``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM
# calls from a thread with a running loop unless told that it is fine (it is:
# the test thread does not share connections with the loop).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("YIWANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DEFAULT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser is a browser test, marked or not."""
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set YIWANG_CHROMIUM)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("the playwright Python package is not installed")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture
def new_page(browser, live_server, transactional_db):
    """Open pages in fresh contexts (separate cookies): ``new_page()``,
    ``new_page(phone=True)``, ``new_page(locale="en-US")``. All are closed at
    the end of the test."""
    contexts = []

    def factory(*, phone: bool = False, locale: str = "zh-CN", **options):
        settings = {**(PHONE if phone else DESKTOP), "locale": locale, "base_url": live_server.url}
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A desktop page (1280×800) in a fresh context; relative URLs go to the
    live server: ``page.goto("/")``."""
    return new_page()


@pytest.fixture
def phone_page(new_page):
    """A 360×740 phone page (scale 2, mobile, touch) in a fresh context."""
    return new_page(phone=True)


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of ``page`` as test-artifacts/screenshots/<name>.png and
    return its path. Look at it: a Chinese page with boxes instead of glyphs
    means the CJK fonts are missing."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name)
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def no_horizontal_overflow(page) -> bool:
    """True when the page does not scroll sideways."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def overflowing_elements(page, limit: int = 10) -> list[str]:
    """Elements sticking out past the right edge (to explain a failure)."""
    return page.evaluate(
        """(limit) => {
            const w = document.documentElement.clientWidth, out = [];
            for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > w + 1 && r.width > 0) {
                    out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}` +
                             `.${[...el.classList].join('.')} right=${Math.round(r.right)}`);
                    if (out.length >= limit) break;
                }
            }
            return out;
        }""",
        limit,
    )


def login_as(
    page, live_server, username: str, password: str, otp: str | None = None, *, staff=None
):
    """Log in through the real login page and wait until the browser has left it.

    Field contract with the accounts app's login page (/accounts/login/):
    the citizen/enterprise tab fills ``#id_identifier`` (ID number, credit
    code or phone; ``#id_username`` if the page has no identifier field);
    the staff tab (``?tab=staff``) fills ``#id_username``, ``#id_password`` and
    ``#id_otp_token``. ``staff`` defaults to "an OTP was given". The form
    holding the password field is submitted with its submit button. If the
    form changes, change it here only: every browser test logs in through
    this function. Returns the page, now on wherever the login redirected.
    """
    staff = otp is not None if staff is None else staff
    page.goto(f"{live_server.url}/accounts/login/" + ("?tab=staff" if staff else ""))
    if not staff and page.locator("#id_identifier").count():
        page.fill("#id_identifier", username)
    else:
        page.fill("#id_username", username)
    page.fill("#id_password", password)
    if otp is not None:
        page.fill("#id_otp_token", otp)
    login_path = page.url.split("?")[0]
    with page.expect_navigation():
        page.locator("form:has(#id_password) [type=submit]").first.click()
    if page.url.split("?")[0] == login_path:
        raise AssertionError(f"login as {username!r} failed: still on {page.url}")
    return page
