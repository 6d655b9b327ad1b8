"""Every state change of a case.

Each public function is one move of the lifecycle (``lifecycle.TRANSITIONS``):
it locks the case row, checks the expected revision (a stale client gets a
conflict), checks the move against the table and the actor against its
parties, changes the case, appends a ``CaseEvent`` to the case's history,
records the audit entry and emits the outbox event — all in one transaction.
Two clerks pressing "accept" at once: one wins, the other's move finds the
case already accepted and gets a 409.

Time is working days: the period runs from ``accepted_on`` (the day of
acceptance, or the day of receipt when the front desk did not ask for
corrections within 5 working days, 行政许可法 art. 32); suspensions
(特别程序, art. 45) are stored as intervals and every deadline is recomputed
from them by ``recompute_deadlines``.

The package, by theme; callers use the names re-exported here
(``services.accept(case, by=clerk)``):

- ``applying``: halls offering an item, drafts, submission, case numbers
- ``materials``: uploads, attachments, missing materials
- ``desk``: acceptance, refusal, corrections, the 5-day rule
- ``back_office``: the steps' moves, special procedures, extensions
- ``results``: conclusion, issuing the result, withdrawal
- ``deadlines``: deadlines from acceptance, suspensions and extensions
- ``base``: the lock, the party check and the tail every move shares
- ``clock``: the time every module reads (``clock.now()``, ``clock.today()``);
  tests move it with ``monkeypatch.setattr(services.clock, "now", fake)``
"""

from __future__ import annotations

from . import clock
from .applying import (
    LEVEL_ORDER,
    create_draft,
    default_hall,
    halls_offering,
    next_case_no,
    submit,
    submit_new,
    update_draft,
)
from .back_office import (
    claim,
    decide_extension,
    deny,
    handover,
    pass_step,
    request_extension,
    resume,
    return_step,
    suspend,
)
from .base import mark_notifications_read, snapshot
from .deadlines import (
    ONE_DAY,
    deadlines_pending,
    extension_days,
    max_extension_days,
    pauses,
    recompute_deadlines,
    recompute_open_deadlines,
    refresh_suspended_deadlines,
)
from .desk import (
    CORRECTION_WINDOW_DAYS,
    accept,
    correction_deadline_passed,
    deem_accepted_overdue,
    refuse,
    request_corrections,
    supply_corrections,
)
from .materials import (
    SNIFFERS,
    add_material,
    attach,
    material_path,
    max_upload_bytes,
    missing_materials,
    sniff,
)
from .results import issue, withdraw

__all__ = [
    "accept",
    "add_material",
    "attach",
    "claim",
    "clock",
    "correction_deadline_passed",
    "CORRECTION_WINDOW_DAYS",
    "create_draft",
    "deadlines_pending",
    "decide_extension",
    "deem_accepted_overdue",
    "default_hall",
    "deny",
    "extension_days",
    "halls_offering",
    "handover",
    "issue",
    "LEVEL_ORDER",
    "mark_notifications_read",
    "material_path",
    "max_extension_days",
    "max_upload_bytes",
    "missing_materials",
    "next_case_no",
    "ONE_DAY",
    "pass_step",
    "pauses",
    "recompute_deadlines",
    "recompute_open_deadlines",
    "refresh_suspended_deadlines",
    "refuse",
    "request_corrections",
    "request_extension",
    "resume",
    "return_step",
    "snapshot",
    "sniff",
    "SNIFFERS",
    "submit",
    "submit_new",
    "supply_corrections",
    "suspend",
    "update_draft",
    "withdraw",
]
