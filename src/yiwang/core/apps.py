from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = _("共享内核")

    def ready(self):
        autodiscover_handlers()


def autodiscover_handlers() -> None:
    """Import ``<app>.handlers`` of every installed Yiwang app, so outbox
    handlers register in every process (web, worker, command) before any
    event is emitted or delivered. An import error is not swallowed."""
    for config in apps.get_app_configs():
        if config.name.startswith("yiwang.") and module_has_submodule(config.module, "handlers"):
            import_module(f"{config.name}.handlers")
