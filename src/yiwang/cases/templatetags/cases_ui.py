"""Template helpers of the case pages: ``{% load cases_ui %}``."""

from django import template

register = template.Library()


@register.filter
def status_badge(status: str) -> str:
    """The badge class of a case status."""
    from yiwang.cases.pages import STATUS_BADGES

    return STATUS_BADGES.get(status, "bg-secondary-lt")


@register.filter
def field_errors(errors: dict, name: str) -> list:
    """The messages for one field of a refused move (``errors|field_errors:"reasons"``)."""
    return (errors or {}).get(name, [])


@register.filter
def get(mapping, key):
    """``mapping|get:key`` (a dict or a QueryDict)."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag
def row_value(posted, prefix: str, index: int) -> str:
    """The posted value of row ``index`` of a repeated input (``material-2``)."""
    try:
        return posted.get(f"{prefix}-{index}", "")
    except AttributeError:
        return ""
