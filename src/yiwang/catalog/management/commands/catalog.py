"""`yiwang catalog …`: import, export, publish and inspect the item catalog."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.errors import ServiceError
from yiwang.core.middleware import RequestContext, reset_context, set_context


class ProgressBar:
    """A text progress bar on stderr when it is a terminal; otherwise one line
    every ``every`` rows (logs stay readable). No dependency."""

    def __init__(self, stream, label: str, *, every: int = 200, width: int = 30):
        self.stream = stream
        self.label = label
        self.every = every
        self.width = width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.started = time.monotonic()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if self.tty:
            filled = int(self.width * done / total) if total else self.width
            rate = done / max(time.monotonic() - self.started, 1e-6)
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{done}/{total} ({rate:.0f}/s)"
            )
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif done == total or done // self.every != self.last // self.every:
            self.stream.write(f"{self.label} {done}/{total}\n")
        self.last = done


class Command(BaseCommand):
    help = (
        "事项清单：导入、导出、发布、查看 / The item catalog: import, export, publish, show\n\n"
        "  yiwang catalog import FILE.csv [--demo-guides] [--publish]\n"
        "  yiwang catalog export FILE.xlsx\n"
        "  yiwang catalog import-xlsx FILE.xlsx\n"
        "  yiwang catalog publish CODE\n"
        "  yiwang catalog show CODE\n"
        "  yiwang catalog stats\n"
        "  yiwang catalog reindex"
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action",
            required=True,
            metavar="{import,export,import-xlsx,publish,show,stats,reindex}",
        )
        p = sub.add_parser(
            "import", help="导入事项清单 CSV（可重复运行）/ import the item list CSV (idempotent)"
        )
        p.add_argument("file")
        p.add_argument(
            "--demo-guides",
            action="store_true",
            help="为新事项生成演示指南（演示数据）/ generate demo guide data",
        )
        p.add_argument(
            "--publish",
            action="store_true",
            help="发布通过规则检查的演示指南 / publish generated guides that pass the rules",
        )
        p.add_argument("--report", help="把导入报告写成 JSON 文件 / write the report as JSON")
        p.add_argument(
            "--quiet", action="store_true", help="不逐行列出警告 / do not list each warning"
        )
        p = sub.add_parser("export", help="导出事项清单为 xlsx / export the catalog to xlsx")
        p.add_argument("file")
        p = sub.add_parser("import-xlsx", help="导入 export 生成的 xlsx / import an exported xlsx")
        p.add_argument("file")
        p = sub.add_parser(
            "publish", help="发布事项的草稿或待审核指南 / publish an item's open guide version"
        )
        p.add_argument("code")
        p = sub.add_parser("show", help="显示事项及其当前指南 / show an item and its current guide")
        p.add_argument("code")
        p.add_argument("--json", action="store_true")
        sub.add_parser("stats", help="事项清单统计 / catalog figures")
        sub.add_parser(
            "reindex",
            help="重建事项和常见问题的搜索索引，并载入默认同义词 / rebuild the search index",
        )

    def handle(self, *args, action, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            handler = getattr(self, "do_" + action.replace("-", "_"))
            return handler(**options)
        except ServiceError as exc:
            raise CommandError(str(exc.message))
        finally:
            reset_context(token)

    # -- import / export --------------------------------------------------

    def _report(self, report, *, quiet=False, report_file=None):
        self.stdout.write(report.summary())
        if not quiet:
            for issue in report.errors + report.warnings + report.publish_failures:
                self.stdout.write(str(issue))
        if report_file:
            Path(report_file).write_text(
                json.dumps(report.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8"
            )

    def do_import(self, file, demo_guides=False, publish=False, report=None, quiet=False, **_):
        from yiwang.catalog.importer import import_csv

        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在 File not found: {file}")
        started = time.monotonic()
        result = import_csv(
            path,
            demo_guides_=demo_guides,
            publish=publish,
            progress=ProgressBar(sys.stderr, "导入 Importing"),
        )
        self._report(result, quiet=quiet, report_file=report)
        self.stdout.write(f"用时 {time.monotonic() - started:.1f}s")

    def do_export(self, file, **_):
        from yiwang.catalog.importer import export_xlsx

        count = export_xlsx(file, progress=ProgressBar(sys.stderr, "导出 Exporting", every=500))
        self.stdout.write(f"已导出 {count} 个事项 → {file}")

    def do_import_xlsx(self, file, **_):
        from yiwang.catalog.importer import import_xlsx

        if not Path(file).is_file():
            raise CommandError(f"文件不存在 File not found: {file}")
        try:
            result = import_xlsx(file, progress=ProgressBar(sys.stderr, "导入 Importing"))
        except (OSError, KeyError, ValueError) as exc:
            raise CommandError(f"无法读取工作簿 Cannot read the workbook: {exc}")
        self._report(result)

    # -- single items -----------------------------------------------------

    def _item(self, code):
        from yiwang.catalog.models import ServiceItem

        item = ServiceItem.objects.select_related("department").filter(code=code).first()
        if item is None:
            raise CommandError(f"事项不存在 No such item: {code}")
        return item

    def do_publish(self, code, **_):
        from yiwang.catalog import selectors, services

        item = self._item(code)
        version = selectors.open_version(item)
        if version is None:
            raise CommandError(
                "该事项没有草稿或待审核版本 The item has no draft or version in review"
            )
        version = services.publish(version, by=None)
        self.stdout.write(f"已发布 {item.code} v{version.number}")

    def do_show(self, code, json=False, **_):  # noqa: A002 - the option's name
        import json as jsonlib

        from yiwang.catalog import selectors, services

        item = self._item(code)
        version = selectors.published_version(item) or selectors.latest_version(item)
        data = {
            "item": services.item_snapshot(item),
            "code_shape": item.code_shape,
            "code_parts": item.code_parts,
            "code_issues": item.code_issues,
            "levels": {e.level: e.status for e in item.levels.all()},
            "guide": services.version_snapshot(version) if version else None,
        }
        if json:
            self.stdout.write(jsonlib.dumps(data, ensure_ascii=False, indent=2, default=str))
            return
        self.stdout.write(f"{item.name}\n  编码 {item.code}（{item.code_shape or '未识别'}）")
        self.stdout.write(f"  部门 {item.department.name}  类型 {item.get_item_type_display()}")
        for issue in item.code_issues:
            self.stdout.write(f"  ! {issue}")
        if version:
            self.stdout.write(
                f"  指南 v{version.number} {version.get_status_display()}"
                + ("  [演示数据]" if version.is_generated else "")
            )
            self.stdout.write(
                f"  承诺时限 {version.promised_days}  法定时限 {version.statutory_days}"
                f"  到现场 {version.visits} 次  {version.get_online_depth_display()}"
            )
            for m in version.materials.order_by("position"):
                self.stdout.write(f"  材料 {m.position}. {m.name}")
            for s in version.steps.order_by("position"):
                self.stdout.write(f"  环节 {s.position}. {s.name}（{s.days} 个工作日）")

    def do_stats(self, **_):
        from yiwang.catalog import selectors

        for key, value in selectors.stats().items():
            self.stdout.write(f"{key}: {value}")

    def do_reindex(self, **_):
        from yiwang.catalog import indexing
        from yiwang.core.search import load_default_synonyms

        created, _updated = load_default_synonyms()
        counts = indexing.reindex_all()
        self.stdout.write(
            f"已索引 事项 {counts['item']}，常见问题 {counts['faq']}；新增同义词 {created}"
        )
