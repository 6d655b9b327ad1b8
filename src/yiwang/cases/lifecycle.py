"""The case lifecycle as one table: status → allowed actions → next status,
and who may take each action.

Every service move looks itself up here (``check``); the pages and the API
ask ``allowed_actions`` which buttons to offer. A move the table does not
allow is a ``Conflict`` (HTTP 409) that names the current status and the
statuses the action may start from.

``target`` ``None`` means the status stays (a step passes to the next step,
a result is issued, an extension is asked for): the move is still recorded
in the case's history.

Who may act is a *party* rather than a bare role, because it depends on the
case: the applicant (the account that owns it, or the agent who applied for
them), a front-desk clerk whose region scope holds the case, or a back-office
approver of the department that owns the current step. ``parties.py`` decides
those; this table only names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from yiwang.core.errors import Conflict, NotFound

from .models import Status

# The national reporting codes (STANDARDS.md, case lifecycle) of each status.
NATIONAL_CODES = {
    Status.DRAFT: "",
    Status.RECEIVED: "1",
    Status.CANCELLED: "2",
    Status.ACCEPTED: "3",
    Status.REFUSED: "5",
    Status.CORRECTING: "6",
    Status.IN_PROGRESS: "8",
    Status.SUSPENDED: "9",
    Status.APPROVED: "11",
    Status.DENIED: "13",
    Status.WITHDRAWN: "14",
}
# Some moves report their own code (补正结束, 特别程序结束) rather than the target's.
ACTION_CODES = {"supply_corrections": "7", "resume": "10"}

APPLICANT = "applicant"  # the owner of the case, or the agent who applied for them
CLERK = "clerk"  # a front-desk clerk whose scope holds the case's region
ISSUER = "issuer"  # a clerk of the hall chosen for the result (or of the accepting hall)
APPROVER = "approver"  # an approver of the current step's department
DECIDER = "decider"  # another approver of that department (approves extensions)
SYSTEM = "system"  # the periodic jobs


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str | None
    parties: tuple[str, ...]


_OPEN_BACK_OFFICE = (Status.ACCEPTED, Status.IN_PROGRESS)

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit", gettext_lazy("提交申请"), (Status.DRAFT,), Status.RECEIVED, (APPLICANT, CLERK)
        ),
        Transition(
            "accept",
            pgettext_lazy("case action", "受理"),
            (Status.RECEIVED,),
            Status.ACCEPTED,
            (CLERK, SYSTEM),
        ),
        Transition(
            "refuse",
            pgettext_lazy("case action", "不予受理"),
            (Status.RECEIVED,),
            Status.REFUSED,
            (CLERK,),
        ),
        Transition(
            "request_corrections",
            gettext_lazy("一次性告知补正"),
            (Status.RECEIVED,),
            Status.CORRECTING,
            (CLERK,),
        ),
        Transition(
            "supply_corrections",
            gettext_lazy("提交补正材料"),
            (Status.CORRECTING,),
            Status.RECEIVED,
            (APPLICANT, CLERK),
        ),
        Transition(
            "claim", gettext_lazy("签收办理"), (Status.ACCEPTED,), Status.IN_PROGRESS, (APPROVER,)
        ),
        Transition("pass", gettext_lazy("通过"), _OPEN_BACK_OFFICE, None, (APPROVER,)),
        Transition(
            "return", gettext_lazy("退回上一环节"), (Status.IN_PROGRESS,), None, (APPROVER,)
        ),
        Transition("handover", gettext_lazy("转交"), _OPEN_BACK_OFFICE, None, (APPROVER,)),
        Transition("deny", gettext_lazy("不予许可"), _OPEN_BACK_OFFICE, Status.DENIED, (APPROVER,)),
        Transition(
            "suspend",
            gettext_lazy("启动特别程序"),
            _OPEN_BACK_OFFICE,
            Status.SUSPENDED,
            (APPROVER,),
        ),
        Transition(
            "resume",
            gettext_lazy("结束特别程序"),
            (Status.SUSPENDED,),
            Status.IN_PROGRESS,
            (APPROVER,),
        ),
        Transition(
            "request_extension",
            gettext_lazy("申请延长审批"),
            (*_OPEN_BACK_OFFICE, Status.SUSPENDED),
            None,
            (APPROVER,),
        ),
        Transition(
            "decide_extension",
            gettext_lazy("审批延长申请"),
            (*_OPEN_BACK_OFFICE, Status.SUSPENDED),
            None,
            (DECIDER,),
        ),
        Transition(
            "issue",
            gettext_lazy("出件"),
            (Status.APPROVED, Status.DENIED),
            None,
            (ISSUER,),
        ),
        Transition(
            "attach",
            gettext_lazy("添加附件"),
            tuple(s for s in Status.values if s != Status.DRAFT),
            None,
            (CLERK, ISSUER, APPROVER),
        ),
        Transition(
            "withdraw",
            gettext_lazy("撤回申请"),
            (Status.RECEIVED, Status.CORRECTING, *_OPEN_BACK_OFFICE, Status.SUSPENDED),
            None,  # 已撤件 before acceptance, 已撤回 after: see ``withdraw_target``
            (APPLICANT,),
        ),
    )
}

# Moves that exist only as the second half of another (recorded, not offered).
SYSTEM_MOVES = {
    "conclude": Transition(
        "conclude", gettext_lazy("办结"), _OPEN_BACK_OFFICE, Status.APPROVED, (SYSTEM,)
    ),
}


def withdraw_target(status: str) -> str:
    return Status.CANCELLED if status in (Status.RECEIVED, Status.CORRECTING) else Status.WITHDRAWN


def get(action: str) -> Transition:
    transition = TRANSITIONS.get(action) or SYSTEM_MOVES.get(action)
    if transition is None:
        raise NotFound(_("未知的操作：%(action)s") % {"action": action}, code="case.unknown_action")
    return transition


def check_status(case, action: str) -> Transition:
    """The transition, or a 409 naming why the current status forbids it."""
    transition = get(action)
    if case.status not in transition.sources:
        raise Conflict(
            _("办件当前状态为「%(status)s」，不能执行「%(action)s」（只能在「%(sources)s」时执行）")
            % {
                "status": case.get_status_display(),
                "action": transition.label,
                "sources": "、".join(str(Status(s).label) for s in transition.sources),
            },
            code="case.illegal_transition",
        )
    return transition


def next_status(case, transition: Transition) -> str:
    if transition.action == "withdraw":
        return withdraw_target(case.status)
    return transition.target or case.status


def national_code(action: str, to_status: str) -> str:
    return ACTION_CODES.get(action) or NATIONAL_CODES.get(to_status, "")
