"""What every page of the shells needs, computed lazily (a template that
never shows the navigation never pays for it)."""

from django.utils.functional import SimpleLazyObject

from . import nav

ELDERLY_COOKIE = "yiwang_elderly"

# Links the shells show when their target exists (URL name or path).
LINK_TARGETS = {
    "home": "web:home",
    "login": "accounts:login",
    "register": "accounts:register",
    "logout": "accounts:logout",
    "me": "accounts:me",
    "guide": "/guide/",
    "halls": "/regions/halls/",
    "api_docs": "/api/v1/docs/",
    "set_language": "set_language",
    "elderly": "web:elderly_toggle",
}


def ui_links(user=None) -> dict:
    """``{key: url or None}`` for LINK_TARGETS, plus ``workbench`` for staff."""
    links = {key: nav.url_if_exists(target) for key, target in LINK_TARGETS.items()}
    links["workbench"] = nav.url_if_exists("web:workbench") if is_workbench_user(user) else None
    return links


def is_workbench_user(user) -> bool:
    """Staff accounts (and superusers) may open the workbench."""
    from yiwang.accounts.scopes import is_staff_account

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or is_staff_account(user))


def staff_identity(user) -> list[dict]:
    """The user's active roles with a readable scope, e.g.
    ``{"role": "窗口人员", "scope": "浓洄街道", "label": "窗口人员 · 浓洄街道"}``."""
    from yiwang.accounts.scopes import active_roles

    result = []
    for r in active_roles(user):
        if r.window_id:
            scope = f"{r.window.hall.name} {r.window.number}"
        elif r.hall_id:
            scope = r.hall.name
        elif r.department_id:
            scope = f"{r.region.name} · {r.department.short_name or r.department.name}"
        else:
            scope = r.region.name
        role = r.get_role_display()
        result.append({"role": role, "scope": scope, "label": f"{role} · {scope}"})
    return result


def ui(request):
    """UI preferences and navigation every page needs: elderly mode (large
    type, high contrast), the portal / workbench navigation, the shells' links."""
    user = getattr(request, "user", None)
    return {
        "elderly_mode": request.COOKIES.get(ELDERLY_COOKIE) == "1",
        "portal_nav": SimpleLazyObject(lambda: nav.portal_nav(request)),
        "workbench_nav": SimpleLazyObject(lambda: nav.workbench_nav(request)),
        "ui_links": SimpleLazyObject(lambda: ui_links(user)),
        "staff_identity": SimpleLazyObject(lambda: staff_identity(user)),
    }
