"""`yiwang cases …`: list and inspect cases (read only)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from yiwang.cases.models import Case, Status

SHANGHAI = "Asia/Shanghai"


def _local(value) -> str:
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    return timezone.localtime(value, ZoneInfo(SHANGHAI)).strftime("%Y-%m-%d %H:%M")


def _day(value) -> str:
    return value.isoformat() if value else "—"


class Command(BaseCommand):
    help = (
        "办件：列表、查看 / Cases: list and show\n\n"
        "  yiwang cases list [--status S] [--region CODE] [--limit N]\n"
        "  yiwang cases show CASE_NO"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,show}")
        p = sub.add_parser("list", help="列出办件（最新的在前）/ list cases, newest first")
        p.add_argument(
            "--status",
            choices=Status.values,
            help="只列出该状态 / only this status (" + ", ".join(Status.values) + ")",
        )
        p.add_argument(
            "--region",
            metavar="CODE",
            help="受理区划代码，含下级 / region code of the accepting hall, with its subtree",
        )
        p.add_argument(
            "--limit", type=int, default=50, help="最多列出几件（默认 50）/ at most N (50)"
        )
        p = sub.add_parser(
            "show", help="显示办件的状态、环节和办理轨迹 / show status, steps and timeline"
        )
        p.add_argument("case_no", metavar="CASE_NO")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def do_list(self, status=None, region=None, limit=50, **_):
        if limit < 1:
            raise CommandError(f"--limit 须为正整数 must be positive: {limit}")
        qs = Case.objects.select_related("item", "region").order_by("-created_at")
        if status:
            qs = qs.filter(status=status)
        if region:
            from yiwang.regions.models import Region

            r = Region.objects.filter(code=region).first()
            if r is None:
                raise CommandError(f"区划不存在 No such region: {region}")
            qs = qs.filter(region__path__startswith=r.path)
        total = qs.count()
        for case in qs[:limit]:
            self.stdout.write(
                "\t".join(
                    [
                        case.case_no or f"(草稿 draft {case.pk})",
                        str(case.get_status_display()),
                        case.item.name,
                        case.applicant_name,
                        case.region.code,
                        _local(case.submitted_at or case.created_at),
                    ]
                )
            )
        shown = min(total, limit)
        self.stdout.write(f"共 {total} 件，显示 {shown} 件 / {total} cases, {shown} shown")

    def do_show(self, case_no, **_):
        case = (
            Case.objects.select_related("item", "hall", "region", "department", "issue_hall")
            .filter(case_no=case_no.strip())
            .first()
        )
        if case is None:
            raise CommandError(f"办件不存在 No such case: {case_no}")
        w = self.stdout.write
        w(f"{case.case_no}  {case.item.name}")
        w(
            f"  状态 status: {case.get_status_display()} ({case.status}), 修订 revision {case.revision}"
        )
        w(
            f"  申请人 applicant: {case.applicant_name} · {case.masked_id_number} · {case.masked_phone}"
        )
        w(f"  渠道 channel: {case.get_channel_display()} · 受理大厅 hall: {case.hall.name}")
        w(f"  部门 department: {case.department.name}")
        issue_at = case.issue_hall.name if case.issue_hall else case.hall.name
        w(f"  出件 delivery: {case.get_delivery_display()} · {issue_at}")
        w(
            f"  时限起算 accepted on: {_day(case.accepted_on)} · 承诺办结 promised: "
            f"{_day(case.promised_due)} · 法定办结 statutory: {_day(case.statutory_due)}"
        )
        if case.concluded_at:
            on_time = {True: "按时 on time", False: "超期 late", None: "—"}[case.concluded_on_time]
            w(f"  办结 concluded: {_local(case.concluded_at)} · {on_time}")
        if case.issued_at:
            w(f"  出件 issued: {_local(case.issued_at)}")
        w("环节 steps:")
        for s in case.steps.select_related("department", "assignee").order_by("position"):
            who = s.assignee.real_name or s.assignee.username if s.assignee_id else ""
            due = f" 到期 due {_day(s.due_on)}" if s.due_on else ""
            w(
                f"  {s.position + 1}. {s.name} [{s.get_state_display()}] "
                f"{s.department.name if s.department_id else ''} {who}{due}".rstrip()
            )
        w("轨迹 timeline:")
        for e in case.events.order_by("seq"):
            opinion = f" — {e.opinion}" if e.opinion else ""
            step = f" ({e.step_name})" if e.step_name else ""
            w(
                f"  #{e.seq} {_local(e.at)} {e.action} → {e.to_status}"
                f" · {e.actor_name}{step}{opinion}"
            )
