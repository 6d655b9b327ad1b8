import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from yiwang.core import audit
from yiwang.core.middleware import RequestContext, reset_context, set_context


class Command(BaseCommand):
    help = "审计追溯：校验、封存、查看 / Audit trail: verify, seal, show"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        v = sub.add_parser("verify", help="校验哈希链与检查点 / verify chains and checkpoints")
        v.add_argument("--stream", help="只校验这个流 / only this stream")
        v.add_argument(
            "--all-roots",
            action="store_true",
            help="重算每个检查点的默克尔根 / recompute every checkpoint's Merkle root",
        )
        s = sub.add_parser("seal", help="立即封存检查点 / seal a checkpoint now")
        s.add_argument(
            "--if-changed",
            action="store_true",
            help="没有新记录时不封存 / skip when nothing was appended",
        )
        w = sub.add_parser("show", help="查看一个流的记录 / print a stream's entries")
        w.add_argument("target_type", nargs="?", help="e.g. accounts.user")
        w.add_argument("target_id", nargs="?")
        w.add_argument("--stream", help="流的键 / stream key")

    def handle(self, *args, action, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            return getattr(self, f"do_{action}")(**options)
        finally:
            reset_context(token)

    def do_verify(self, stream=None, all_roots=False, **_options):
        report = audit.verify(stream=stream, all_roots=all_roots)
        for name in report.guard_missing:
            self.stderr.write(
                _("警告：防篡改触发器 %(name)s 不存在或已停用（数据库层面不再只追加）。")
                % {"name": name}
            )
        if report.ok:
            self.stdout.write(
                _(
                    "已验证 %(entries)s 条记录、%(streams)s 个流、%(checkpoints)s 个检查点，未发现问题"
                )
                % {
                    "entries": report.entries,
                    "streams": report.streams,
                    "checkpoints": report.checkpoints,
                }
            )
            return
        self.stdout.write(
            _("已验证 %(entries)s 条记录、%(streams)s 个流、%(checkpoints)s 个检查点")
            % {
                "entries": report.entries,
                "streams": report.streams,
                "checkpoints": report.checkpoints,
            }
        )
        self.stderr.write(_("第一处断裂：%(problem)s") % {"problem": report.first.describe()})
        if len(report.problems) > 1:
            self.stderr.write(
                _("另有 %(n)s 处问题：") % {"n": len(report.problems) - 1},
            )
            for problem in report.problems[1:21]:
                self.stderr.write(f"  - {problem.describe()}")
        sys.exit(1)

    def do_seal(self, if_changed=False, **_options):
        checkpoint = audit.seal_checkpoint(force=not if_changed)
        if checkpoint is None:
            self.stdout.write(_("自上一个检查点以来没有新记录，未封存。"))
            return
        self.stdout.write(
            _(
                "已封存检查点 #%(n)s：%(streams)s 个流、%(entries)s 条记录，默克尔根 %(root)s，签名密钥 %(key)s"
            )
            % {
                "n": checkpoint.number,
                "streams": checkpoint.stream_count,
                "entries": checkpoint.entry_count,
                "root": checkpoint.merkle_root,
                "key": checkpoint.key_id,
            }
        )

    def do_show(self, target_type=None, target_id=None, stream=None, **_options):
        if stream is None:
            if not (target_type and target_id):
                raise CommandError(_("请给出 对象类型 对象ID，或 --stream 流"))
            stream = f"{target_type}:{target_id}"
        entries = audit.AuditEntry.objects.filter(stream=stream).order_by("seq")
        if not entries.exists():
            raise CommandError(_("流 %(stream)s 没有记录") % {"stream": stream})
        self.stdout.write(_("流 %(stream)s") % {"stream": stream})
        for e in entries.iterator():
            at = timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S")
            actor = e.actor_name or e.actor_id or "-"
            where = " ".join(x for x in (e.channel, e.ip) if x) or "-"
            self.stdout.write(f"#{e.seq:<5} {at}  {e.action}  {actor}  [{where}]  {e.hash[:12]}")
            changes = _diff(e.before, e.after)
            for line in changes:
                self.stdout.write(f"       {line}")


def _diff(before, after) -> list[str]:
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    lines = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, "∅"), after.get(key, "∅")
        if old != new:
            lines.append(f"{key}: {old} → {new}")
    return lines
