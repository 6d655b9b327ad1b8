from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

STAFF_LOOKUP_ROLES = ["clerk", "agent", "sysadmin", "supervisor", "hotline"]


class AccountsConfig(AppConfig):
    name = "yiwang.accounts"
    label = "accounts"
    verbose_name = _("账户与权限")

    # Read by web.nav (the shells' navigation).
    portal_nav = [
        {
            "label": _("个人中心"),
            "target": "accounts:me",
            "icon": "user",
            "order": 90,
            "needs_login": True,
        },
    ]
    workbench_nav = [
        {
            "label": _("群众账户查询"),
            "target": "accounts:citizens",
            "icon": "users",
            "order": 60,
            "section": _("账户"),
            "roles": STAFF_LOOKUP_ROLES,
        },
        {
            # The Django admin (accounts.admin_site): divisions, halls,
            # windows, departments, the working-day calendar, the audit trail.
            "label": _("系统管理"),
            "target": "admin:index",
            "icon": "settings",
            "order": 95,
            "section": _("参考"),
            "roles": ["sysadmin"],
        },
        {
            "label": _("动态验证码"),
            "target": "accounts:totp",
            "icon": "shield-lock",
            "order": 61,
            "section": _("账户"),
        },
    ]
