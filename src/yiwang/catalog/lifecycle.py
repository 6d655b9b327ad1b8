"""The guide-version lifecycle as one table: draft → review → published → retired.

Each action names the statuses it may start from, the status it leads to, and
the staff roles that may take it. ``None`` as the actor means the system (the
import command, the demo loader), which may take every action.

The services (``services.submit``, ``approve`` …) look moves up here; the pages
and the API ask ``allowed_actions`` which buttons to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yiwang.accounts.models import Role
from yiwang.core.errors import Conflict, Forbidden, NotFound

from .models import GuideStatus

ADMIN_ROLES = (Role.CATALOG_ADMIN, Role.SYSADMIN)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            gettext_lazy("提交审核"),
            (GuideStatus.DRAFT,),
            GuideStatus.REVIEW,
            ADMIN_ROLES,
        ),
        Transition(
            "reject",
            gettext_lazy("退回修改"),
            (GuideStatus.REVIEW,),
            GuideStatus.DRAFT,
            ADMIN_ROLES,
        ),
        # Approving a version in review publishes it (and retires the version
        # published before it).
        Transition(
            "approve",
            gettext_lazy("审核通过并发布"),
            (GuideStatus.REVIEW,),
            GuideStatus.PUBLISHED,
            ADMIN_ROLES,
        ),
        Transition(
            "retire",
            gettext_lazy("废止"),
            (GuideStatus.PUBLISHED,),
            GuideStatus.RETIRED,
            ADMIN_ROLES,
        ),
    )
}


def may_act(user, roles) -> bool:
    if user is None:  # the system
        return True
    from yiwang.accounts.scopes import has_role, is_active_account

    return is_active_account(user) and has_role(user, *roles)


def check(version, action: str, user) -> Transition:
    """The transition for ``action`` on ``version`` by ``user``, or raise:
    NotFound for an unknown action, Forbidden for a user without the role,
    Conflict for a move the current status does not allow."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise NotFound(
            _("未知的操作：%(action)s") % {"action": action}, code="guide.unknown_action"
        )
    if not may_act(user, transition.roles):
        raise Forbidden(
            _("只有事项管理员可以执行「%(action)s」") % {"action": transition.label},
            code="guide.forbidden",
        )
    if version.status not in transition.sources:
        raise Conflict(
            _("版本当前状态为「%(status)s」，不能执行「%(action)s」（只能从「%(sources)s」执行）")
            % {
                "status": version.get_status_display(),
                "action": transition.label,
                "sources": "、".join(str(GuideStatus(s).label) for s in transition.sources),
            },
            code="guide.illegal_transition",
        )
    return transition


def allowed_actions(version, user) -> list[Transition]:
    return [
        t for t in TRANSITIONS.values() if version.status in t.sources and may_act(user, t.roles)
    ]
