"""Navigation of the two shells: the citizen portal and the staff workbench.

An entry names its target either by URL name (``"regions:hall_list"``) or by
path (``"/guide/"``). An entry is shown only when its target exists in the
URL map right now, so the shells never link to a 404: an app's entry appears
as soon as the app mounts its URLs.

Two ways to add entries (``web`` sits above every other app, so other apps
never import it):

* add a line to ``PORTAL_NAV`` / ``WORKBENCH_NAV`` below, or
* declare them on the app's ``AppConfig`` as plain dicts, which ``web`` reads::

      class CasesConfig(AppConfig):
          portal_nav = [{"label": _("我的办件"), "target": "cases:mine", "order": 30}]
          workbench_nav = [{"label": _("受理台"), "target": "cases:desk",
                            "section": _("窗口业务"), "roles": ["clerk"], "icon": "inbox"}]

Workbench entries carry the staff roles (``accounts.models.Role`` values)
that see them; no roles means every staff member. ``staff_only_flag`` entries
(the Django admin) need ``user.is_staff``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str
    target: str  # a URL name ("app:name") or a path ("/guide/")
    icon: str = ""  # a Tabler icon name without the "ti-" prefix
    order: int = 100
    section: str = ""  # workbench only: the sidebar group
    roles: tuple[str, ...] = ()  # workbench only: roles that see it; () = all staff
    needs_login: bool = False  # portal only: shown to logged-in users only
    django_staff: bool = False  # needs user.is_staff (the Django admin)
    exact: bool = False  # active only on the exact path (home pages)
    extra: dict = field(default_factory=dict)


def url_if_exists(target: str) -> str | None:
    """The URL of ``target`` (a URL name or a path) when it exists, else None."""
    if not target:
        return None
    if target.startswith("/"):
        path = target.split("?", 1)[0]
        try:
            resolve(path)
        except Resolver404:
            return None
        return target
    try:
        return reverse(target)
    except NoReverseMatch:
        return None


# The portal's top navigation. Future pages are listed by path: they appear
# when the app that serves them is mounted.
PORTAL_NAV: list[NavEntry] = [
    NavEntry(_("首页"), "web:home", icon="home", order=0, exact=True),
    NavEntry(_("办事指南"), "/guide/", icon="book", order=10),
    NavEntry(_("我的办件"), "/my/cases/", icon="folder", order=20, needs_login=True),
    NavEntry(_("大厅导航"), "/regions/halls/", icon="map-pin", order=40),
]

# The workbench sidebar. Sections group entries; entries are filtered by role.
WORKBENCH_NAV: list[NavEntry] = [
    NavEntry(_("工作台"), "web:workbench", icon="layout-dashboard", order=0, exact=True),
    NavEntry(_("大厅导航"), "/regions/halls/", icon="map-pin", order=80, section=_("参考")),
    NavEntry(_("接口文档"), "/api/v1/docs/", icon="api", order=90, section=_("参考")),
    NavEntry(
        _("系统管理"),
        "admin:index",
        icon="settings",
        order=95,
        section=_("参考"),
        django_staff=True,
    ),
]


def _from_app_configs(attr: str) -> list[NavEntry]:
    entries = []
    for config in apps.get_app_configs():
        for item in getattr(config, attr, None) or ():
            item = dict(item)
            if "roles" in item:
                item["roles"] = tuple(item["roles"])
            entries.append(NavEntry(**item))
    return entries


def _active(entry_url: str, path: str, exact: bool) -> bool:
    if exact or entry_url == "/":
        return path == entry_url
    return path == entry_url or path.startswith(entry_url.rstrip("/") + "/")


def _entry_dict(entry: NavEntry, url: str, path: str) -> dict:
    return {
        "label": entry.label,
        "url": url,
        "icon": entry.icon,
        "section": entry.section,
        "active": _active(url, path, entry.exact),
        **entry.extra,
    }


def portal_nav(request, entries: list[NavEntry] | None = None) -> list[dict]:
    """The portal's top-nav entries for this request: existing targets only."""
    user = getattr(request, "user", None)
    logged_in = bool(getattr(user, "is_authenticated", False))
    path = getattr(request, "path", "")
    entries = PORTAL_NAV + _from_app_configs("portal_nav") if entries is None else entries
    result, seen = [], set()
    for entry in sorted(entries, key=lambda e: e.order):
        if entry.needs_login and not logged_in:
            continue
        if entry.django_staff and not getattr(user, "is_staff", False):
            continue
        url = url_if_exists(entry.target)
        if url is None or url in seen:
            continue
        seen.add(url)
        result.append(_entry_dict(entry, url, path))
    return result


def workbench_nav(request, entries: list[NavEntry] | None = None) -> list[dict]:
    """The workbench sidebar for this request, grouped by section:
    ``[{"section": label-or-"", "entries": [entry, ...]}, ...]``, keeping the
    order of first appearance (by ``order``)."""
    from yiwang.accounts.scopes import active_roles

    user = getattr(request, "user", None)
    held = {r.role for r in active_roles(user)} if user is not None else set()
    path = getattr(request, "path", "")
    entries = WORKBENCH_NAV + _from_app_configs("workbench_nav") if entries is None else entries
    groups: dict[str, list[dict]] = {}
    seen = set()
    for entry in sorted(entries, key=lambda e: e.order):
        if entry.roles and not (held & set(entry.roles)):
            continue
        if entry.django_staff and not getattr(user, "is_staff", False):
            continue
        url = url_if_exists(entry.target)
        if url is None or url in seen:
            continue
        seen.add(url)
        groups.setdefault(str(entry.section), []).append(_entry_dict(entry, url, path))
    return [{"section": section, "entries": items} for section, items in groups.items()]
