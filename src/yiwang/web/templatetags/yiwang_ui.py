"""Small template helpers of the design layer: ``{% load yiwang_ui %}``."""

from django import template

register = template.Library()

_ALERT = {"error": "danger", "debug": "secondary"}


@register.filter
def html_lang(language_code: str) -> str:
    """A Django language code as a BCP 47 tag for ``<html lang>``: zh-hans → zh-Hans."""
    code = (language_code or "zh-hans").lower()
    parts = code.split("-")
    if len(parts) == 2 and len(parts[1]) == 4:  # a script subtag
        return f"{parts[0]}-{parts[1].title()}"
    if len(parts) == 2:  # a region subtag
        return f"{parts[0]}-{parts[1].upper()}"
    return code


@register.filter
def alert_class(message_tags: str) -> str:
    """Bootstrap/Tabler alert colour for a messages-framework level tag."""
    level = (message_tags or "info").split()[-1]
    return _ALERT.get(level, level)
