"""The portal and workbench shells in headless Chromium: they fit a 360 px
phone, render Chinese, switch language and elderly mode."""

import pytest

from tests.browser.conftest import (
    login_as,
    no_horizontal_overflow,
    overflowing_elements,
    screenshot,
)
from yiwang.accounts.models import AccountKind, Role, StaffRole, User
from yiwang.regions.models import Hall, Level, Region

pytestmark = pytest.mark.browser


def body_font_px(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")


def assert_fits(page, what):
    assert no_horizontal_overflow(page), f"{what} scrolls sideways: {overflowing_elements(page)}"


def glyphs_render(page, text: str) -> bool:
    """True when ``text`` is drawn with a real CJK font (not tofu boxes): a
    CJK font draws different characters with different shapes, so their
    canvas pixels differ."""
    return page.evaluate(
        """(text) => {
            const c = document.createElement('canvas'); c.width = 64; c.height = 64;
            const g = c.getContext('2d');
            const font = getComputedStyle(document.body).fontFamily;
            const draw = (ch) => { g.clearRect(0, 0, 64, 64); g.font = `48px ${font}`;
                                   g.fillText(ch, 4, 52); return g.getImageData(0, 0, 64, 64).data.join(); };
            const shapes = new Set([...text].map(draw));
            return shapes.size === new Set(text).size;
        }""",
        text,
    )


def open_portal_menu(page):
    """Open the phone menu and wait until it has finished sliding down (a
    click during the slide can miss on a slow machine)."""
    page.get_by_role("button", name="打开菜单").click()
    page.locator("#yw-portal-menu.collapse.show").wait_for()


def tools_on_one_row(page) -> bool:
    """The header's tools (language, elderly mode, login/register) share one row."""
    tops = page.evaluate(
        """() => [...document.querySelectorAll('.yw-brandbar .yw-tools > *')]
                 .filter(el => el.offsetParent !== null)
                 .map(el => Math.round(el.getBoundingClientRect().top))"""
    )
    return bool(tops) and max(tops) - min(tops) <= 4


def footer_rows_starting_with_a_dot(page) -> list[str]:
    """Texts of the footer links that begin a wrapped row yet still show the
    separating dot before them."""
    return page.evaluate(
        """() => {
          const items = [...document.querySelectorAll('.yw-footer .list-inline-item')];
          return items.filter((li, i) => {
            const dot = getComputedStyle(li, '::before').content;
            const startsRow = i === 0 || li.offsetTop > items[i - 1].offsetTop + 2;
            return startsRow && dot && dot !== 'none' && dot !== 'normal' && dot.includes('·');
          }).map(li => li.textContent.trim());
        }"""
    )


def seed_halls():
    county = Region.objects.create(code="511602000000", name="示例县", level=Level.COUNTY)
    town = Region.objects.create(
        code="511602001000", name="浓洄街道", level=Level.TOWN, parent=county
    )
    Hall.objects.create(region=county, name="示例县政务服务中心")
    Hall.objects.create(region=town, name="浓洄街道便民服务中心")
    return town


@pytest.mark.browser
def test_home_on_desktop(page):
    seed_halls()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", name="三级政务服务体系").is_visible()
    assert page.locator("#yw-portal-menu").is_visible()  # expanded at 1280
    assert glyphs_render(page, "一网通办政务服务")
    assert_fits(page, "home at 1280")
    screenshot(page, "home-desktop")

    page.context.add_cookies([{"name": "yiwang_elderly", "value": "1", "url": page.url}])
    page.reload()
    assert body_font_px(page) >= 20
    assert_fits(page, "elderly home at 1280")
    assert tools_on_one_row(page), "the header tools break apart in elderly mode"
    screenshot(page, "home-desktop-elderly")


@pytest.mark.browser
def test_home_on_a_360px_phone(phone_page):
    page = phone_page
    seed_halls()
    page.goto("/")
    assert page.evaluate("() => document.documentElement.clientWidth") == 360
    assert_fits(page, "home at 360")
    assert footer_rows_starting_with_a_dot(page) == []
    menu = page.locator("#yw-portal-menu")
    assert not menu.is_visible()  # collapsed behind the toggler
    screenshot(page, "home-phone")

    page.get_by_role("button", name="打开菜单").click()
    page.locator("#yw-portal-menu.collapse.show").wait_for()  # the slide-down has finished
    assert page.get_by_role("link", name="首页").is_visible()
    assert page.get_by_test_id("elderly-toggle").is_visible()
    assert_fits(page, "home at 360 with the menu open")
    screenshot(page, "home-phone-menu", full_page=False)


@pytest.mark.browser
def test_elderly_mode_enlarges_the_type(phone_page):
    page = phone_page
    page.goto("/")
    before = body_font_px(page)
    open_portal_menu(page)
    with page.expect_navigation():
        page.get_by_test_id("elderly-toggle").click()
    assert page.url.endswith("/")
    assert "elderly" in page.locator("body").get_attribute("class")
    after = body_font_px(page)
    assert after >= 20 and after > before * 1.25, (before, after)
    assert page.get_by_test_id("elderly-toggle").get_attribute("aria-pressed") == "true"
    assert_fits(page, "elderly home at 360")
    assert footer_rows_starting_with_a_dot(page) == []
    screenshot(page, "home-phone-elderly")

    open_portal_menu(page)
    with page.expect_navigation():
        page.get_by_test_id("elderly-toggle").click()
    assert body_font_px(page) == before


@pytest.mark.browser
def test_language_switch_round_trip(page):
    page.goto("/?from=test")
    with page.expect_navigation():
        page.get_by_test_id("lang-en").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/?from=test")  # back where the user was
    assert page.get_by_test_id("lang-en").get_attribute("aria-pressed") == "true"
    with page.expect_navigation():
        page.get_by_test_id("lang-zh").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"


@pytest.mark.browser
def test_404_page(phone_page):
    resp = phone_page.goto("/no/such/page/")
    assert resp.status == 404
    assert phone_page.get_by_role("heading", name="抱歉，您访问的页面不存在").is_visible()
    assert_fits(phone_page, "404 at 360")
    screenshot(phone_page, "404-phone")


def make_clerk():
    town = seed_halls()
    user = User.objects.create_user(
        username="clerk1", password="Yiwang-test-pass-1", kind=AccountKind.STAFF, real_name="李四"
    )
    StaffRole.objects.create(user=user, role=Role.CLERK, region=town)
    return user


def log_in_with_session(page, live_server, user):
    """Log in by planting a session cookie (the login page is the accounts
    app's; its own browser tests use login_as)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )


@pytest.mark.browser
def test_workbench_on_desktop_and_phone(page, phone_page, live_server):
    clerk = make_clerk()
    log_in_with_session(page, live_server, clerk)
    page.goto("/workbench/")
    assert page.get_by_role("heading", name="工作台", exact=True).is_visible()
    assert page.locator("#yw-sidebar").is_visible()  # a fixed sidebar at 1280
    roles = page.locator(".yw-topbar .yw-identity-roles")
    assert roles.is_visible() and roles.inner_text() == "窗口人员 · 浓洄街道"
    assert_fits(page, "workbench at 1280")
    screenshot(page, "workbench-desktop")

    log_in_with_session(phone_page, live_server, clerk)
    phone_page.goto("/workbench/")
    sidebar = phone_page.locator("#yw-sidebar")
    assert not sidebar.is_visible()  # an offcanvas menu on phones
    assert_fits(phone_page, "workbench at 360")
    screenshot(phone_page, "workbench-phone")
    phone_page.get_by_role("button", name="打开菜单").click()
    phone_page.locator("#yw-sidebar.show:not(.showing)").wait_for()  # slid in
    assert phone_page.locator("#yw-sidebar").get_by_role("link", name="工作台").is_visible()
    assert phone_page.locator("#yw-sidebar").get_by_test_id("lang-en").is_visible()
    assert phone_page.locator("#yw-sidebar").get_by_text("窗口人员 · 浓洄街道").is_visible()
    screenshot(phone_page, "workbench-phone-menu", full_page=False)


@pytest.mark.browser
def test_pages_load_nothing_from_other_hosts(page, live_server):
    """Every request the browser makes goes to the live server."""
    hosts = set()
    page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
    failed = []
    page.on("requestfailed", lambda req: failed.append(req.url))
    bad = []
    page.on("response", lambda r: bad.append((r.status, r.url)) if r.status >= 400 else None)
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert hosts == {live_server.url.split("/")[2]}
    assert not failed and not bad, (failed, bad)
    # The icon font and Tabler's JS actually loaded.
    assert page.evaluate("() => document.fonts.check('16px tabler-icons')")
    assert page.evaluate(
        "() => typeof window.bootstrap === 'object' || typeof window.tabler === 'object'"
    )
    assert page.evaluate("() => typeof window.htmx === 'object'")


@pytest.mark.browser
def test_staff_logs_in_through_the_real_login_page(page, live_server):
    """login_as drives the accounts app's page; the workbench then opens."""
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("accounts:login")
    except NoReverseMatch:
        pytest.skip("the accounts login page is not mounted")
    make_clerk()
    login_as(page, live_server, "clerk1", "Yiwang-test-pass-1", staff=True)
    page.goto("/workbench/")
    assert page.locator(".yw-topbar .yw-identity-name").inner_text().strip() == "李四"
