from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from yiwang.core import outbox
from yiwang.core.middleware import RequestContext, reset_context, set_context


class Command(BaseCommand):
    help = "事件发件箱：状态、投递、重试 / Outbox: status, deliver, retry"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("status", help="按主题和状态计数 / counts by topic and status")
        sub.add_parser("deliver", help="立即投递到期事件 / deliver due events now")
        r = sub.add_parser("retry", help="立即重试 / retry now")
        r.add_argument(
            "--failed", action="store_true", help="也重试已失败的 / also revive failed ones"
        )
        r.add_argument("--topic", help="只重试这个主题 / only this topic")
        sub.add_parser("ping", help="发出 core.ping 事件 / emit a core.ping event")

    def handle(self, *args, action, **options):
        token = set_context(RequestContext(channel="cli"))
        try:
            getattr(self, f"do_{action}")(**options)
        finally:
            reset_context(token)

    def do_status(self, **_options):
        rows = outbox.status_counts()
        if not rows:
            self.stdout.write(_("没有投递记录。"))
            return
        labels = dict(outbox.OutboxDelivery.Status.choices)
        width = max(len(r["topic"]) for r in rows)
        self.stdout.write(f"{_('主题'):<{width}}  {_('状态'):<8}  {_('数量'):>6}  {_('投递中'):>6}")
        totals: dict[str, int] = {}
        for r in rows:
            self.stdout.write(
                f"{r['topic']:<{width}}  {labels.get(r['status'], r['status'])!s:<8}  "
                f"{r['count']:>6}  {r['in_flight']:>6}"
            )
            totals[r["status"]] = totals.get(r["status"], 0) + r["count"]
        summary = "，".join(f"{labels.get(k, k)} {v}" for k, v in sorted(totals.items()))
        self.stdout.write(_("合计：%(summary)s") % {"summary": summary})
        failed = outbox.OutboxDelivery.objects.filter(
            status=outbox.OutboxDelivery.Status.FAILED
        ).select_related("event")[:10]
        for d in failed:
            last = (d.last_error.strip().splitlines() or [""])[-1]
            self.stdout.write(
                _("失败：%(topic)s %(event)s → %(handler)s（%(n)s 次）%(error)s")
                % {
                    "topic": d.event.topic,
                    "event": d.event_id,
                    "handler": d.handler,
                    "n": d.attempts,
                    "error": last,
                }
            )

    def do_deliver(self, **_options):
        stats = outbox.deliver_due()
        self.stdout.write(
            _("已认领 %(claimed)s 项：成功 %(done)s，待重试 %(retrying)s，失败 %(failed)s")
            % {
                "claimed": stats.claimed,
                "done": stats.done,
                "retrying": stats.retrying,
                "failed": stats.failed,
            }
        )

    def do_retry(self, failed=False, topic=None, **_options):
        count = outbox.retry(failed=failed, topic=topic)
        self.stdout.write(_("已安排 %(n)s 项立即重试") % {"n": count})

    def do_ping(self, **_options):
        event = outbox.emit(outbox.PING_TOPIC, {})
        self.stdout.write(_("已发出 core.ping 事件 %(id)s") % {"id": event.id})
