"""`yiwang calendar`: look at and maintain the working-day calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from yiwang.core import calendar
from yiwang.core import calendar_services as services
from yiwang.core.errors import ServiceError
from yiwang.core.middleware import RequestContext, reset_context, set_context


def _date(value: str, what: str) -> date:
    day = services.parse_date(value)
    if day is None:
        raise CommandError(
            _("%(what)s“%(value)s”无效，应为 YYYY-MM-DD（如 2025-10-01）")
            % {"what": what, "value": value}
        )
    return day


def _int(value: str, what: str) -> int:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        raise CommandError(_("%(what)s“%(value)s”不是整数") % {"what": what, "value": value})


def _year(value: str) -> int:
    year = _int(value, _("年份"))
    if not 1 <= year <= 9998:
        raise CommandError(_("年份“%(value)s”无效") % {"value": value})
    return year


class Command(BaseCommand):
    help = (
        "工作日历：查询与维护 / Working-day calendar: query and maintain\n\n"
        "  check YEAR                 whether the year is covered, and by which source\n"
        "                             (exit 1 when it is not)\n"
        "  workdays START END         working days in (START, END]\n"
        "  add-days DATE N            the N-th working day after DATE\n"
        "  set DATE workday|holiday --reason TEXT [--by USERNAME]   a local override\n"
        "  unset DATE [--by USERNAME] remove a local override\n"
        "  list [YEAR]                list local overrides\n"
        "  import-year YEAR FILE [--source TEXT] [--note TEXT] [--replace] [--by USERNAME]\n"
        "                             cover a year from a CSV of date,kind,name\n"
        "                             (kind: holiday/休 or workday/班)"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("check", help="年度是否已覆盖 / is the year covered")
        p.add_argument("year")
        p = sub.add_parser("workdays", help="两日之间的工作日数 / working days in (START, END]")
        p.add_argument("start")
        p.add_argument("end")
        p = sub.add_parser("add-days", help="N 个工作日之后的日期 / the N-th working day after")
        p.add_argument("date")
        p.add_argument("n")
        p = sub.add_parser("set", help="设置本地调整 / set a local override")
        p.add_argument("date")
        p.add_argument("kind", help="workday（班）或 holiday（休）")
        p.add_argument("--reason", required=True, help="调整原因 / reason")
        p.add_argument("--by", help="操作人用户名 / acting user's username")
        p = sub.add_parser("unset", help="取消本地调整 / remove a local override")
        p.add_argument("date")
        p.add_argument("--by", help="操作人用户名 / acting user's username")
        p = sub.add_parser("list", help="列出本地调整 / list local overrides")
        p.add_argument("year", nargs="?")
        p = sub.add_parser("import-year", help="导入年度放假安排 / import a year's schedule")
        p.add_argument("year")
        p.add_argument("file")
        p.add_argument("--source", help="来源，如通知文号 / source, e.g. the notice's number")
        p.add_argument("--note", default="", help="备注 / note")
        p.add_argument(
            "--replace",
            action="store_true",
            help="替换已导入的同一年度 / replace an earlier import",
        )
        p.add_argument("--by", help="操作人用户名 / acting user's username")

    def handle(self, *args, action, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**options)
        except ServiceError as exc:
            raise CommandError(str(exc.message))
        finally:
            reset_context(token)

    def _user(self, username):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("用户“%(name)s”不存在") % {"name": username})
        return user

    def do_check(self, year, **_options):
        year = _year(year)
        cover = calendar.coverage(year)
        if not cover.covered:
            raise calendar.CalendarNotCovered(year)
        if cover.library:
            text = _("%(year)s 年已覆盖：来源 %(source)s") % {
                "year": year,
                "source": calendar.LIBRARY_SOURCE,
            }
            if cover.local is not None:
                text += _("（另有本地导入：%(source)s）") % {"source": cover.local.source}
        else:
            text = _("%(year)s 年已覆盖：来源 本地导入（local：%(source)s，%(by)s 录入）") % {
                "year": year,
                "source": cover.local.source,
                "by": cover.local.created_by,
            }
        text += _("；本地调整 %(n)s 天") % {"n": cover.overrides}
        self.stdout.write(text)

    def do_workdays(self, start, end, **_options):
        count = calendar.workdays_between(_date(start, _("开始日期")), _date(end, _("结束日期")))
        self.stdout.write(str(count))

    def do_add_days(self, date, n, **_options):
        self.stdout.write(
            calendar.add_workdays(_date(date, _("日期")), _int(n, _("天数"))).isoformat()
        )

    def do_set(self, date, kind, reason, by=None, **_options):
        day = _date(date, _("日期"))
        is_workday = services.parse_kind(kind)
        if is_workday is None:
            raise CommandError(
                _("类型“%(value)s”无效，应为 workday（班）或 holiday（休）") % {"value": kind}
            )
        services.set_override(day, is_workday, reason, by=self._user(by))
        self.stdout.write(
            _("已设置：%(date)s 为%(kind)s（%(reason)s）")
            % {"date": day.isoformat(), "kind": services.kind_label(is_workday), "reason": reason}
        )

    def do_unset(self, date, by=None, **_options):
        day = _date(date, _("日期"))
        services.remove_override(day, by=self._user(by))
        self.stdout.write(_("已取消 %(date)s 的本地调整") % {"date": day.isoformat()})

    def do_list(self, year=None, **_options):
        rows = calendar.CalendarOverride.objects.select_related("year_import")
        if year is not None:
            rows = rows.filter(date__year=_year(year))
        count = 0
        for row in rows.order_by("date"):
            count += 1
            origin = (
                _("导入 %(year)s") % {"year": row.year_import.year}
                if row.year_import_id
                else _("手工")
            )
            self.stdout.write(
                f"{row.date.isoformat()}  {services.WEEKDAYS[row.date.weekday()]}  "
                f"{services.kind_label(row.is_workday)}  {row.reason}  "
                f"[{origin}，{row.created_by}]"
            )
        if not count:
            self.stdout.write(_("没有本地调整"))

    def do_import_year(self, year, file, source=None, note="", replace=False, by=None, **_opts):
        year = _year(year)
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("无法读取文件 %(file)s：%(error)s") % {"file": file, "error": exc.strerror}
            )
        rows = services.read_year_csv(data)
        imported = services.import_year(
            year,
            rows,
            by=self._user(by),
            source=source or _("本地导入：%(file)s") % {"file": path.name},
            note=note,
            replace=replace,
        )
        count = imported.overrides.count()
        self.stdout.write(
            _("已导入 %(year)s 年：%(n)s 个日期（来源：%(source)s）")
            % {"year": year, "n": count, "source": imported.source}
        )
