"""``yiwang regions``: import the division tree, print it, list the halls."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from yiwang.core.middleware import RequestContext, reset_context, set_context
from yiwang.regions import services
from yiwang.regions.models import Hall, Level, Region


class Command(BaseCommand):
    help = (
        "行政区划与大厅：导入区划、查看区划树、列出大厅 / Divisions and halls: import, tree, halls\n\n"
        "  yiwang regions import-divisions FILE [--dry-run]\n"
        "  yiwang regions tree [CODE] [--depth N]\n"
        "  yiwang regions halls [--within CODE]"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="subcommand")
        imp = sub.add_parser(
            "import-divisions",
            help="导入区划文件（CSV: code,name,level,parent_code）/ import a division file",
        )
        imp.add_argument("file")
        imp.add_argument(
            "--dry-run", action="store_true", help="只检查不写入 / check without writing"
        )
        tree = sub.add_parser("tree", help="打印区划树 / print the division tree")
        tree.add_argument("code", nargs="?", help="从此区划开始 / start here (default: the county)")
        tree.add_argument("--depth", type=int, default=None, help="显示层数 / levels to show")
        tree.add_argument("--all", action="store_true", help="包括已撤销的 / include retired")
        halls = sub.add_parser("halls", help="列出大厅 / list halls")
        halls.add_argument("--within", help="该区划及其下级 / in this subtree")
        halls.add_argument("--all", action="store_true", help="包括已撤销的 / include retired")

    def handle(self, *args, subcommand, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            {
                "import-divisions": self.import_divisions,
                "tree": self.tree,
                "halls": self.halls,
            }[subcommand](**options)
        finally:
            reset_context(token)

    # ------------------------------------------------------------------
    def import_divisions(self, file, dry_run=False, **_options):
        try:
            report = services.import_divisions(file, by=None, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(_("找不到文件：%(file)s") % {"file": file})
        except services.ImportRejected as exc:
            for error in exc.report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _(
                    "共 %(rows)d 行，其中 %(bad)d 行有错误：全部未导入（要么全部导入，要么全部不导入）"
                )
                % {"rows": exc.report.rows, "bad": len(exc.report.errors)}
            )
        levels = report.by_level
        self.stdout.write(
            _(
                "%(mode)s：共 %(rows)d 行（县级 %(county)d，乡镇级 %(town)d，村级 %(village)d）；"
                "新建 %(created)d，更名 %(renamed)d，未变 %(unchanged)d"
            )
            % {
                "mode": _("检查通过（未写入）") if dry_run else _("导入完成"),
                "rows": report.rows,
                "county": levels.get(Level.COUNTY, 0),
                "town": levels.get(Level.TOWN, 0),
                "village": levels.get(Level.VILLAGE, 0),
                "created": len(report.created),
                "renamed": len(report.renamed),
                "unchanged": report.unchanged,
            }
        )
        for code, old, new in report.renamed:
            self.stdout.write(
                _("  更名 %(code)s：%(old)s → %(new)s") % {"code": code, "old": old, "new": new}
            )
        if report.retired_kept:
            self.stdout.write(
                _("  %(n)d 个区划在文件中但已撤销，保持撤销：%(codes)s")
                % {"n": len(report.retired_kept), "codes": ", ".join(report.retired_kept[:20])}
            )

    # ------------------------------------------------------------------
    def tree(self, code=None, depth=None, all=False, **_options):
        if code:
            root = Region.objects.filter(code=code).first()
            if root is None:
                raise CommandError(_("没有区划 %(code)s") % {"code": code})
            roots = [root]
        else:
            roots = list(Region.objects.filter(parent__isnull=True).order_by("code"))
            if not roots:
                raise CommandError(_("还没有区划：先运行 yiwang regions import-divisions FILE"))
        for root in roots:
            rows = Region.objects.filter(path__startswith=root.path).annotate(
                halls_open=Count("halls", filter=Q(halls__is_active=True))
            )
            if not all:
                rows = rows.filter(is_active=True)
            base = root.path.count("/")
            for region in rows.order_by("path"):
                level = region.path.count("/") - base
                if depth is not None and level >= depth:
                    continue
                marks = []
                if not region.is_active:
                    marks.append(_("已撤销"))
                if region.halls_open:
                    marks.append(_("大厅 %(n)d") % {"n": region.halls_open})
                suffix = f"  [{'，'.join(marks)}]" if marks else ""
                self.stdout.write(f"{'  ' * level}{region.code} {region.name}{suffix}")

    # ------------------------------------------------------------------
    def halls(self, within=None, all=False, **_options):
        halls = Hall.objects.select_related("region").annotate(
            open_windows=Count("windows", filter=Q(windows__is_active=True))
        )
        if within:
            region = Region.objects.filter(code=within).first()
            if region is None:
                raise CommandError(_("没有区划 %(code)s") % {"code": within})
            halls = halls.filter(region__path__startswith=region.path)
        if not all:
            halls = halls.filter(is_active=True)
        count = 0
        for hall in halls.order_by("region__path", "name"):
            count += 1
            state = "" if hall.is_active else f"  [{_('已撤销')}]"
            self.stdout.write(
                f"{hall.region.code}  {hall.name}  {hall.get_kind_display()}  "
                + _("窗口 %(n)d") % {"n": hall.open_windows}
                + state
            )
        self.stdout.write(_("共 %(n)d 个大厅") % {"n": count})
