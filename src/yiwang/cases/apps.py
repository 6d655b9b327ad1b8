from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = _("办件")
    # Read by web.nav: the portal's and the workbench's entries of the case pages.
    portal_nav = [
        {
            "label": _("我的办件"),
            "target": "cases:mine",
            "icon": "folder",
            "order": 20,
            "needs_login": True,
        },
        {"label": _("进度查询"), "target": "cases:progress", "icon": "search", "order": 30},
    ]
    workbench_nav = [
        {
            "label": _("受理台"),
            "target": "cases:desk",
            "section": _("办件"),
            "roles": ["clerk", "agent"],
            "icon": "inbox",
            "order": 10,
        },
        {
            "label": _("审批待办"),
            "target": "cases:queue",
            "section": _("办件"),
            "roles": ["approver"],
            "icon": "checklist",
            "order": 11,
        },
        {
            "label": _("办件查询"),
            "target": "cases:search",
            "section": _("办件"),
            "roles": ["clerk", "agent", "approver", "supervisor", "hotline", "sysadmin"],
            "icon": "file-search",
            "order": 12,
        },
    ]
