"""Case pages for applicants and staff.

Portal (citizens, enterprises): apply for an item (/cases/apply/<item>/),
resume a draft (/cases/<id>/edit/), my cases (/cases/mine/), notifications
(/cases/notifications/), and the case detail (/cases/<id>/) with withdrawal
and corrections.

Workbench (staff): the front desk (/cases/desk/) with the walk-in form
(/cases/apply/<item>/ again, for a clerk or a village agent), the approver's
queue (/cases/queue/), the case search (/cases/search/), and the same case
detail with a form for every move the lifecycle table lets the user take.

Every change goes through ``cases.services``; a lifecycle move goes through
the moves table (``cases.moves``), which it shares with the API: the form is
validated by the move's serializer and handed to the move's service. A
refused move re-renders the page with the message on the form it came from,
and changes nothing. Out of scope is 404, exactly like a case that does not exist.

The package: ``common`` (guards, badges, lights), ``applicant`` (applying,
drafts, my cases, notifications), ``detail`` (the case detail and its
moves), ``workbench`` (desk, queue, search); ``urls.py`` uses the views
re-exported here.
"""

from __future__ import annotations

from .applicant import apply, edit_draft, mine, notifications
from .common import STATUS_BADGES
from .detail import detail, move
from .workbench import desk, queue, search

__all__ = [
    "apply",
    "desk",
    "detail",
    "edit_draft",
    "mine",
    "move",
    "notifications",
    "queue",
    "search",
    "STATUS_BADGES",
]
