"""The shells' pages through the Django test client: language, elderly
mode, the workbench's access rules, no external hosts, no dead links."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.staticfiles import finders
from django.test import RequestFactory
from django.urls import Resolver404, resolve
from django.views import defaults

from yiwang.accounts.models import AccountKind, Role, StaffRole, User
from yiwang.regions.models import Hall, Level, Region
from yiwang.web import nav, views
from yiwang.web.context_processors import ELDERLY_COOKIE
from yiwang.web.templatetags.yiwang_ui import alert_class, html_lang

PASSWORD = "Yiwang-test-pass-1"
CSS = Path(views.__file__).parent / "static" / "web" / "yiwang.css"


# ---------- helpers ----------


class _Links(HTMLParser):
    """Collects every URL-bearing attribute of a page."""

    ATTRS = {"href", "src", "action", "formaction", "poster", "data", "srcset"}

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in self.ATTRS and value is not None:
                for part in value.split(",") if name == "srcset" else [value]:
                    self.urls.append((tag, part.strip().split(" ")[0]))


def page_urls(html: str) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def assert_no_external_hosts(html: str, host: str = "testserver"):
    for tag, url in page_urls(html):
        parts = urlsplit(url)
        assert parts.scheme in ("", "http", "https"), f"<{tag}> {url}: scheme {parts.scheme}"
        assert parts.netloc in ("", host), f"<{tag}> {url} points at another host"
        assert not url.startswith("//"), f"<{tag}> {url} is protocol-relative"
    # No inline @import / url() to another host either.
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)


def assert_static_exists(html: str):
    static = "/" + settings.STATIC_URL.lstrip("/")
    found = 0
    for tag, url in page_urls(html):
        path = unquote(urlsplit(url).path)
        if path.startswith(static):
            found += 1
            assert finders.find(path[len(static) :]), f"<{tag}> {url}: no such static file"
    assert found >= 4  # tabler css + js, icons, htmx, ours


def make_region(code="511602001000", name="浓洄街道", level=Level.TOWN, parent=None):
    return Region.objects.create(code=code, name=name, level=level, parent=parent)


def make_citizen(username="citizen1"):
    return User.objects.create_user(
        username=username, password=PASSWORD, kind=AccountKind.CITIZEN, real_name="张三"
    )


def make_clerk(username="clerk1", region=None):
    user = User.objects.create_user(
        username=username, password=PASSWORD, kind=AccountKind.STAFF, real_name="李四"
    )
    StaffRole.objects.create(user=user, role=Role.CLERK, region=region or make_region())
    return user


# ---------- home, language ----------


@pytest.mark.django_db
def test_home_is_chinese_by_default(client):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "一网通办" in html
    assert "三级政务服务体系" in html
    assert 'href="#main-content"' in html and 'id="main-content"' in html  # skip link
    assert 'name="language" value="en"' in html  # the English switch
    assert "长者模式" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "how", ["cookie", "accept_language"], ids=["django_language cookie", "Accept-Language"]
)
def test_english_switches_the_active_language(client, how):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        resp = client.get("/")
    else:
        resp = client.get("/", headers={"accept-language": "en-US,en;q=0.9"})
    assert resp.status_code == 200
    assert '<html lang="en"' in resp.content.decode()


@pytest.mark.django_db
def test_english_page_chrome_is_translated(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert "Elderly mode" in html or "elderly" in html.lower().split("长者模式")[0]
    assert "长者模式" not in html


@pytest.mark.django_db
def test_set_language_round_trip(client):
    resp = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert '<html lang="en"' in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-Hans"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_home_counts_halls_by_level(client):
    assert "个服务场所" not in client.get("/").content.decode()  # no data: no counts
    county = make_region("511602000000", "示例县", Level.COUNTY)
    town = make_region("511602001000", "浓洄街道", Level.TOWN, county)
    village = make_region("511602001001", "示例社区", Level.VILLAGE, town)
    Hall.objects.create(region=county, name="示例县政务服务中心")
    Hall.objects.create(region=town, name="浓洄街道便民服务中心")
    Hall.objects.create(region=village, name="示例社区便民服务站")
    Hall.objects.create(region=village, name="旧服务站", is_active=False)
    html = client.get("/").content.decode()
    for level, n in (("county", 1), ("town", 1), ("village", 1)):
        assert re.search(rf'data-level="{level}"><strong>{n}</strong>', html), level


# ---------- navigation: no dead links ----------


@pytest.mark.django_db
def test_home_links_only_to_pages_that_exist(client):
    html = client.get("/").content.decode()
    static = "/" + settings.STATIC_URL.lstrip("/")
    for _tag, url in page_urls(html):
        parts = urlsplit(url)
        if not parts.path or parts.path.startswith(static) or url.startswith("#"):
            continue
        try:
            resolve(parts.path)
        except Resolver404:
            pytest.fail(f"home links to {url}, which is a 404")


@pytest.mark.django_db
@pytest.mark.urls("tests.web.urls_without_future")
def test_future_pages_are_hidden_until_they_exist(client):
    html = client.get("/").content.decode()
    assert 'href="/guide/"' not in html
    assert 'action="/guide/"' not in html  # no dead search box
    assert 'href="/my/cases/"' not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.web.urls_future")
def test_future_pages_appear_once_mounted(client):
    html = client.get("/").content.decode()
    assert 'href="/guide/"' in html
    assert 'action="/guide/"' in html and 'name="q"' in html  # the search box
    assert 'href="/regions/halls/"' in html
    assert 'href="/my/cases/"' not in html  # only for logged-in users
    client.force_login(make_citizen())
    assert 'href="/my/cases/"' in client.get("/").content.decode()


def test_portal_nav_marks_the_active_entry():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    items = nav.portal_nav(request)
    assert items[0]["url"] == "/" and items[0]["active"]


@pytest.mark.django_db
def test_workbench_nav_is_filtered_by_role():
    clerk = make_clerk()
    request = RequestFactory().get("/workbench/")
    request.user = clerk
    entries = [
        nav.NavEntry("受理台", "web:workbench", roles=("clerk",), section="窗口业务"),
        nav.NavEntry("审批", "web:home", roles=("approver",), section="审批"),
        nav.NavEntry("不存在", "nope:nothing"),
        nav.NavEntry("文档", "/api/v1/docs/", section="参考"),
    ]
    groups = nav.workbench_nav(request, entries)
    assert [(g["section"], [e["label"] for e in g["entries"]]) for g in groups] == [
        ("窗口业务", ["受理台"]),
        ("参考", ["文档"]),
    ]
    assert groups[0]["entries"][0]["active"]


def test_url_if_exists():
    assert nav.url_if_exists("web:home") == "/"
    assert nav.url_if_exists("/ui/elderly/") == "/ui/elderly/"
    assert nav.url_if_exists("/no/such/page/") is None
    assert nav.url_if_exists("nope:nothing") is None
    assert nav.url_if_exists("") is None


# ---------- elderly mode ----------


@pytest.mark.django_db
def test_elderly_toggle_sets_and_clears_the_cookie(client):
    resp = client.post("/ui/elderly/", {"next": "/?a=1"})
    assert resp.status_code == 302 and resp["Location"] == "/?a=1"
    cookie = resp.cookies[ELDERLY_COOKIE]
    assert cookie.value == "1" and cookie["max-age"] and cookie["samesite"] == "Lax"
    html = client.get("/").content.decode()
    assert 'class="elderly"' in html and re.search(r'<body class="[^"]*\belderly\b', html)
    assert 'aria-pressed="true" data-testid="elderly-toggle"' in html

    resp = client.post("/ui/elderly/", {"next": "/"})  # toggles back off
    assert resp.cookies[ELDERLY_COOKIE].value == ""
    assert not re.search(r'<body class="[^"]*\belderly\b', client.get("/").content.decode())


@pytest.mark.django_db
def test_elderly_toggle_explicit_mode(client):
    client.post("/ui/elderly/", {"mode": "on"})
    resp = client.post("/ui/elderly/", {"mode": "on"})
    assert resp.cookies[ELDERLY_COOKIE].value == "1"
    resp = client.post("/ui/elderly/", {"mode": "off"})
    assert resp.cookies[ELDERLY_COOKIE].value == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "http://evil.example.com/x",
        "javascript:alert(1)",
    ],
)
def test_elderly_toggle_rejects_off_site_next(client, next_url):
    resp = client.post("/ui/elderly/", {"next": next_url}, headers={"referer": next_url})
    assert resp.status_code == 302
    assert resp["Location"] == "/"


@pytest.mark.django_db
def test_elderly_toggle_falls_back_to_a_same_site_referer(client):
    resp = client.post("/ui/elderly/", headers={"referer": "http://testserver/workbench/"})
    assert resp["Location"] == "http://testserver/workbench/"


def test_elderly_toggle_needs_post(client):
    assert client.get("/ui/elderly/").status_code == 405


@pytest.mark.django_db
def test_elderly_toggle_needs_csrf():
    from django.test import Client

    resp = Client(enforce_csrf_checks=True).post("/ui/elderly/", {"next": "/"})
    assert resp.status_code == 403


# ---------- workbench ----------


@pytest.mark.django_db
def test_workbench_redirects_anonymous_users_to_login(client):
    resp = client.get("/workbench/")
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")
    assert "next=/workbench/" in resp["Location"]


@pytest.mark.django_db
def test_workbench_is_404_for_a_citizen(client):
    client.force_login(make_citizen())
    resp = client.get("/workbench/")
    assert resp.status_code == 404
    assert "页面不存在" in resp.content.decode()


@pytest.mark.django_db
def test_workbench_shows_roles_and_scope(client):
    client.force_login(make_clerk())
    resp = client.get("/workbench/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "工作台" in html
    assert "李四" in html
    assert "窗口人员 · 浓洄街道" in html
    assert 'id="yw-sidebar"' in html and 'data-bs-toggle="offcanvas"' in html
    assert 'aria-current="page"' in html  # the sidebar marks 工作台
    assert 'href="/api/v1/docs/"' in html
    assert 'href="/admin/"' not in html  # the Django admin: only for user.is_staff


@pytest.mark.django_db
def test_workbench_scope_names_the_hall(client):
    town = make_region()
    hall = Hall.objects.create(region=town, name="浓洄街道便民服务中心")
    user = User.objects.create_user(username="agent1", password=PASSWORD, kind=AccountKind.STAFF)
    StaffRole.objects.create(user=user, role=Role.AGENT, region=town, hall=hall)
    client.force_login(user)
    assert "代办员 · 浓洄街道便民服务中心" in client.get("/workbench/").content.decode()


# ---------- error pages ----------


@pytest.mark.django_db
def test_404_page_is_friendly_and_bilingual(client):
    resp = client.get("/no/such/page/")
    assert resp.status_code == 404
    html = resp.content.decode()
    assert "抱歉，您访问的页面不存在" in html
    assert "Sorry, the page you asked for does not exist." in html
    assert 'href="/"' in html
    assert 'id="yw-portal-menu"' in html  # the portal shell, navigation included


def test_500_page_needs_no_database_and_no_context():
    # No django_db mark: any query would fail the test.
    request = RequestFactory().get("/")
    resp = defaults.server_error(request)
    assert resp.status_code == 500
    html = resp.content.decode()
    assert "抱歉，系统出了点问题" in html
    assert "Sorry, something went wrong on our side." in html
    assert_no_external_hosts(html)
    assert_static_exists(html)


@pytest.mark.django_db
def test_403_page(client):
    request = RequestFactory().get("/x/")
    request.user = AnonymousUser()
    from django.core.exceptions import PermissionDenied

    resp = defaults.permission_denied(request, PermissionDenied())
    assert resp.status_code == 403
    html = resp.content.decode()
    assert "抱歉，您没有权限执行此操作" in html and "Sorry, you are not allowed" in html


# ---------- no CDN, no missing static files ----------


@pytest.mark.django_db
def test_no_page_references_an_external_host(client):
    pages = [client.get("/"), client.get("/no/such/page/")]
    client.force_login(make_clerk())
    pages += [client.get("/"), client.get("/workbench/")]
    client.cookies[ELDERLY_COOKIE] = "1"
    pages.append(client.get("/workbench/"))
    for resp in pages:
        html = resp.content.decode()
        assert_no_external_hosts(html)
        assert_static_exists(html)


def test_our_css_loads_nothing_from_elsewhere():
    css = CSS.read_text()
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", css)
    assert '"Noto Sans CJK SC"' in css
    assert "body.elderly" in css


def test_vendor_css_loads_nothing_from_elsewhere():
    for name in (
        "vendor/@tabler/core/dist/css/tabler.min.css",
        "vendor/@tabler/icons-webfont/dist/tabler-icons.min.css",
    ):
        css = Path(finders.find(name)).read_text()
        assert not re.search(r"@import\s+(url\()?['\"]?(https?:)?//", css), name
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css), name


# ---------- messages, helpers ----------


@pytest.mark.django_db
def test_messages_are_rendered():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    SessionMiddleware(lambda r: None).process_request(request)
    MessageMiddleware(lambda r: None).process_request(request)
    messages.success(request, "保存成功")
    messages.error(request, "出错了")
    html = views.home(request).content.decode()
    assert "alert alert-success" in html and "保存成功" in html
    assert "alert alert-danger" in html and "出错了" in html


@pytest.mark.parametrize(
    "code,tag", [("zh-hans", "zh-Hans"), ("en", "en"), ("zh-cn", "zh-CN"), ("", "zh-Hans")]
)
def test_html_lang(code, tag):
    assert html_lang(code) == tag


def test_alert_class():
    assert alert_class("error") == "danger"
    assert alert_class("success") == "success"
    assert alert_class("extra success") == "success"
