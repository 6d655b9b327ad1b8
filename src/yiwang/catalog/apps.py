from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    label = "catalog"
    verbose_name = _("事项与办事指南")
    # Read by web.nav: the workbench entries of the management pages.
    workbench_nav = [
        {
            "label": _("事项清单管理"),
            "target": "catalog:manage_items",
            "section": _("事项与指南"),
            "roles": ["catalog_admin", "sysadmin"],
            "icon": "list-details",
            "order": 40,
        },
        {
            "label": _("村级准入审批"),
            "target": "catalog:manage_admission",
            "section": _("事项与指南"),
            "roles": ["catalog_admin", "sysadmin"],
            "icon": "building-community",
            "order": 41,
        },
    ]
