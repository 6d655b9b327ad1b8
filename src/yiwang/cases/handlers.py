"""Outbox handlers of the cases app (delivered by the worker, at least once).

- ``core.calendar_changed`` → recompute the deadlines on or after the change.
- ``cases.document_created`` → render the PDF.
- ``cases.moved`` → tell the applicant: an in-app notification always (once
  per event: the unique key dedupes redeliveries), an SMS to the phone given
  on the case, an e-mail when the account has an address.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from yiwang.core import outbox, pii

from . import channels, documents
from .models import Case, CaseDocument, CaseEvent, Notification, Status

# Moves the applicant hears about (internal hand-overs and claims are not news).
NOTIFIED = {
    "submit",
    "accept",
    "refuse",
    "request_corrections",
    "supply_corrections",
    "pass",
    "return",
    "suspend",
    "resume",
    "conclude",
    "deny",
    "issue",
    "withdraw",
    "decide_extension",
}


@outbox.handler("core.calendar_changed")
def recompute_after_calendar_change(event):
    """Holidays or make-up days changed from a day on (or a year was
    imported): the stored deadlines on or after it are recomputed."""
    import datetime as dt

    from . import services

    services.recompute_open_deadlines(dt.date.fromisoformat(event.payload["since"]))


@outbox.handler("cases.document_created")
def render_document(event):
    doc = CaseDocument.objects.select_related("case").filter(pk=event.payload["document"]).first()
    if doc is not None:
        documents.render(doc)


def message_for(case: Case, event: CaseEvent) -> str:
    text = _("【一网通办】您的办件 %(no)s（%(item)s）：%(status)s") % {
        "no": case.case_no,
        "item": case.item.name[:40],
        "status": Status(event.to_status).label,
    }
    if event.action == "request_corrections":
        text += _("，请按补正告知书一次性补齐材料")
    elif event.action == "pass" and event.data.get("next"):
        text += _("，已进入「%(step)s」环节") % {"step": event.data["next"]}
    elif event.action == "issue":
        text += _("，办理结果已出件")
    return text


@outbox.handler("cases.moved")
def notify_applicant(event):
    if event.payload.get("action") not in NOTIFIED:
        return
    case = Case.objects.select_related("item", "applicant").filter(pk=event.payload["case"]).first()
    ev = CaseEvent.objects.filter(pk=event.payload["event"]).first()
    if case is None or ev is None:
        return
    with translation.override(
        (case.applicant.preferred_language if case.applicant else None) or "zh-hans"
    ):
        text = message_for(case, ev)
    if case.applicant is not None:
        Notification.objects.get_or_create(
            user=case.applicant,
            event=ev,
            defaults={"case": case, "message": text[:500], "created_at": ev.at},
        )
    phone = pii.reveal_value(case.phone_enc)
    if phone:
        channels.sms_channel().send(phone, text)
    if case.applicant is not None and case.applicant.email:
        channels.send_email(case.applicant.email, _("办件进度通知"), text)
