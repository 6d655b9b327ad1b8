"""The audit trail (权力运行追溯): append-only, tamper-evident.

Entries chain by SM3 hash within a *stream* (one per audited object, e.g.
``accounts.user:<id>``), so writers on different objects never wait on each
other. ``AuditStream`` holds each stream's head (last sequence number and
hash) and is the only row locked while appending.

A periodic job (:func:`seal_checkpoint`, see ``core.tasks``) seals every
stream head into a signed :class:`AuditCheckpoint`: a Merkle root over all
heads (RFC 6962 tree shape, SM3 with domain-separation prefixes), the heads
that changed since the previous checkpoint, and the previous checkpoint's
hash, signed with the platform's SM2 key. Someone with write access to the
database can rewrite a stream and recompute every hash in it, but cannot
re-sign a checkpoint, so a rewritten entry at or before a sealed head is
caught by :func:`verify`, which ``yiwang audit verify`` runs.

The tables are append-only at the database level too (triggers installed by
migration ``0002``): PostgreSQL refuses UPDATE and DELETE, SQLite refuses
UPDATE (see ``docs/audit.md`` for why not DELETE there). The ORM refuses both
everywhere.

Services call :func:`record` inside their transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from .crypto import get_signer, sm2_verify, sm3, sm3_hex
from .ids import uuid7
from .middleware import current_context
from .prepared import insert, insert_compatible

GENESIS = "0" * 64

# Domain-separation prefixes for the Merkle tree (as RFC 6962 §2.1) and for
# the checkpoint body, so a leaf can never be passed off as a node or a body.
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
CHECKPOINT_PREFIX = b"yiwang-audit-checkpoint-v1\x00"


class AppendOnlyError(Exception):
    """Someone tried to change or remove an audit row through the ORM."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model._meta.label} is append-only")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    @insert_compatible  # insert() only ever adds rows
    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{self._meta.label} is append-only")


class AuditStream(models.Model):
    key = models.CharField(_("流"), max_length=120, primary_key=True)
    last_seq = models.PositiveBigIntegerField(_("最后序号"), default=0)
    last_hash = models.CharField(_("最后摘要"), max_length=64, default=GENESIS)

    class Meta:
        verbose_name = _("审计流")
        verbose_name_plural = _("审计流")

    def __str__(self):
        return f"{self.key} #{self.last_seq}"


class AuditEntry(AppendOnlyModel):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    stream = models.CharField(_("流"), max_length=120)
    seq = models.PositiveBigIntegerField(_("序号"))
    at = models.DateTimeField(_("时间"))
    actor_id = models.CharField(_("操作人ID"), max_length=64, blank=True)
    actor_name = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("动作"), max_length=80)
    target_type = models.CharField(_("对象类型"), max_length=80)
    target_id = models.CharField(_("对象ID"), max_length=64)
    before = models.JSONField(_("变更前"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("变更后"), null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.CharField(_("来源地址"), max_length=64, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=300, blank=True)
    channel = models.CharField(_("渠道"), max_length=20, blank=True)
    prev_hash = models.CharField(_("前一摘要"), max_length=64)
    hash = models.CharField(_("摘要"), max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="audit_entry_unique_seq")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.stream} #{self.seq} {self.action}"

    def canonical(self) -> str:
        """The exact text the hash covers."""
        return canonical_json(
            {
                "stream": self.stream,
                "seq": self.seq,
                "at": self.at.isoformat(timespec="microseconds"),
                "actor_id": self.actor_id,
                "actor_name": self.actor_name,
                "action": self.action,
                "target_type": self.target_type,
                "target_id": self.target_id,
                "before": self.before,
                "after": self.after,
                "ip": self.ip,
                "user_agent": self.user_agent,
                "channel": self.channel,
                "prev_hash": self.prev_hash,
            }
        )

    def compute_hash(self) -> str:
        return sm3_hex(self.canonical())


class AuditCheckpoint(AppendOnlyModel):
    """A signed seal over every stream head at one moment.

    ``heads`` holds only the heads that changed since the previous checkpoint
    (``[[stream, last_seq, last_hash], ...]`` sorted by stream), so a
    checkpoint's size follows the activity since the last one, not the number
    of streams ever written. Folding the ``heads`` of checkpoints 1..n gives
    the full set of heads that ``merkle_root`` of checkpoint n covers.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    number = models.PositiveBigIntegerField(_("检查点编号"), unique=True)
    created_at = models.DateTimeField(_("封存时间"))
    stream_count = models.PositiveBigIntegerField(_("流数量"))
    entry_count = models.PositiveBigIntegerField(_("记录数量"))
    merkle_root = models.CharField(_("默克尔根"), max_length=64)
    heads = models.JSONField(_("变更的流头"), default=list)
    prev_hash = models.CharField(_("前一检查点摘要"), max_length=64)
    hash = models.CharField(_("摘要"), max_length=64)
    algorithm = models.CharField(_("签名算法"), max_length=20)
    key_id = models.CharField(_("签名密钥标识"), max_length=64)
    public_key = models.CharField(_("签名公钥"), max_length=200)
    signature = models.CharField(_("签名"), max_length=200)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["number"]

    def __str__(self):
        return f"checkpoint #{self.number} {self.merkle_root[:12]}"

    def body(self) -> bytes:
        """The exact bytes the hash and the signature cover."""
        return (
            CHECKPOINT_PREFIX
            + canonical_json(
                {
                    "number": self.number,
                    "created_at": self.created_at.isoformat(timespec="microseconds"),
                    "stream_count": self.stream_count,
                    "entry_count": self.entry_count,
                    "merkle_root": self.merkle_root,
                    "heads": self.heads,
                    "prev_hash": self.prev_hash,
                    "algorithm": self.algorithm,
                    "key_id": self.key_id,
                    "public_key": self.public_key,
                }
            ).encode()
        )

    def compute_hash(self) -> str:
        return sm3_hex(self.body())


class AuditSealedHead(models.Model):
    """Working state of the sealer: each stream's head as of the latest
    checkpoint, so the next seal finds what changed without replaying every
    checkpoint. Derived data: :func:`verify` never trusts it."""

    stream = models.CharField(_("流"), max_length=120, primary_key=True)
    seq = models.PositiveBigIntegerField(_("序号"))
    hash = models.CharField(_("摘要"), max_length=64)
    checkpoint = models.PositiveBigIntegerField(_("检查点编号"))

    class Meta:
        verbose_name = _("已封存流头")
        verbose_name_plural = _("已封存流头")

    def __str__(self):
        return f"{self.stream} #{self.seq} @{self.checkpoint}"


def canonical_json(value: Any) -> str:
    # Round-trip through DjangoJSONEncoder so dates, decimals and UUIDs hash
    # exactly as they are stored and read back.
    normal = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return json.dumps(normal, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def stream_for(obj) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def _target_ref(target) -> tuple[str, str]:
    if isinstance(target, tuple):
        target_type, target_id = target
        return str(target_type), str(target_id)
    return target._meta.label_lower, str(target.pk)


def _lock_head(stream: str) -> tuple[int, str]:
    """(last sequence number, last hash) of ``stream``, its head row created
    if new and locked until the transaction ends, in one statement: an upsert
    whose no-op update takes the row lock (PostgreSQL) or runs under SQLite's
    single writer. Two writers opening the same stream at once never meet an
    IntegrityError."""
    table = connection.ops.quote_name(AuditStream._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, last_seq, last_hash) VALUES (%s, 0, %s) "
            f"ON CONFLICT (key) DO UPDATE SET last_seq = {table}.last_seq "
            "RETURNING last_seq, last_hash",
            [stream, GENESIS],
        )
        return cursor.fetchone()


def record(
    *,
    actor,
    action: str,
    target,
    before: dict | None = None,
    after: dict | None = None,
    stream: str | None = None,
    new_stream: bool = False,
) -> AuditEntry:
    """Append an entry to the target's stream. Call inside the service's
    transaction: the entry commits or rolls back with the change.

    ``actor`` is a user, or None for the system. ``target`` is a model
    instance, or a ``(target_type, target_id)`` pair for things that are not
    rows. ``stream`` defaults to ``<app_label.model>:<pk>`` of the target.
    ``before``/``after`` are JSON-able snapshots of what changed (mask
    personal data in them). Who, when and from where (IP, user agent,
    channel) come from the request context (``core.middleware``).

    Only this stream's head row is locked, until the surrounding transaction
    ends; writers on other streams never wait. ``new_stream``: the target was
    made in this transaction, so its stream cannot exist yet — the head is
    written once, with the entry (one statement less); a head that does exist
    fails the change with an IntegrityError."""
    ctx = current_context()
    target_type, target_id = _target_ref(target)
    stream = stream or f"{target_type}:{target_id}"
    # No savepoint of its own: the entry belongs to the caller's change and
    # fails with it (outside a transaction this one is the whole change).
    with transaction.atomic(savepoint=False):
        last_seq, last_hash = (0, GENESIS) if new_stream else _lock_head(stream)
        entry = AuditEntry(
            stream=stream,
            seq=last_seq + 1,
            at=timezone.now(),
            actor_id=str(actor.pk) if actor is not None and actor.pk else "",
            actor_name=(getattr(actor, "real_name", "") or getattr(actor, "username", ""))
            if actor
            else "system",
            action=action,
            target_type=target_type,
            target_id=target_id,
            ip=ctx.ip,
            user_agent=ctx.user_agent,
            channel=ctx.channel,
            prev_hash=last_hash,
        )
        # Store the JSON exactly as it will be read back before hashing.
        entry.before = json.loads(canonical_json(before)) if before is not None else None
        entry.after = json.loads(canonical_json(after)) if after is not None else None
        entry.hash = entry.compute_hash()
        # The head moves first (it is locked: the order is nobody else's
        # business), so that inside ``prepared.together`` the entry is
        # written with the rows that follow it.
        if new_stream:
            insert(AuditStream(key=stream, last_seq=entry.seq, last_hash=entry.hash))
        else:
            AuditStream.objects.filter(key=stream).update(last_seq=entry.seq, last_hash=entry.hash)
        insert(entry)
    return entry


# --- Merkle tree (RFC 6962 shape, SM3) ------------------------------------


def leaf_bytes(stream: str, seq: int, head_hash: str) -> bytes:
    return canonical_json([stream, seq, head_hash]).encode()


def leaf_hash(data: bytes) -> bytes:
    return sm3(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return sm3(NODE_PREFIX + left + right)


def merkle_root(leaves: list[bytes]) -> str:
    """Merkle Tree Hash of RFC 6962 §2.1 with SM3: the empty tree hashes to
    SM3(""), a leaf to SM3(0x00 ‖ leaf), a node to SM3(0x01 ‖ left ‖ right),
    splitting n leaves at the largest power of two below n."""
    if not leaves:
        return sm3(b"").hex()
    level = [leaf_hash(leaf) for leaf in leaves]
    return _mth(level).hex()


def _mth(hashes: list[bytes]) -> bytes:
    n = len(hashes)
    if n == 1:
        return hashes[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(_mth(hashes[:k]), _mth(hashes[k:]))


def heads_root(heads: dict[str, tuple[int, str]]) -> str:
    """The Merkle root over stream heads sorted by stream key (code point
    order, the same on every database)."""
    return merkle_root([leaf_bytes(key, *heads[key]) for key in sorted(heads)])


# --- Sealing -------------------------------------------------------------


def seal_checkpoint(*, force: bool = False) -> AuditCheckpoint | None:
    """Seal every stream head into a new signed checkpoint.

    Returns the new checkpoint, or None when nothing was appended since the
    previous one (unless ``force``: then a checkpoint is made anyway, which
    proves the trail was intact and the signer alive at that time)."""
    signer = get_signer()
    for _attempt in range(3):
        try:
            return _seal(signer, force=force)
        except IntegrityError:  # another sealer took the same number: retry
            continue
    raise RuntimeError("could not seal an audit checkpoint: concurrent sealers")


def _seal(signer, *, force: bool) -> AuditCheckpoint | None:
    with transaction.atomic():
        previous = AuditCheckpoint.objects.select_for_update().order_by("-number").first()
        # One statement, one snapshot: every head read here belongs to a
        # committed transaction together with its entry.
        current = {
            key: (seq, h)
            for key, seq, h in AuditStream.objects.filter(last_seq__gt=0).values_list(
                "key", "last_seq", "last_hash"
            )
        }
        sealed = {
            key: (seq, h)
            for key, seq, h in AuditSealedHead.objects.values_list("stream", "seq", "hash")
        }
        changed = sorted(key for key, head in current.items() if sealed.get(key) != head)
        if not changed and previous is not None and not force:
            return None
        number = previous.number + 1 if previous else 1
        checkpoint = AuditCheckpoint(
            number=number,
            created_at=timezone.now(),
            stream_count=len(current),
            entry_count=sum(seq for seq, _h in current.values()),
            merkle_root=heads_root(current),
            heads=[[key, *current[key]] for key in changed],
            prev_hash=previous.hash if previous else GENESIS,
            algorithm=signer.algorithm,
            key_id=signer.key_id,
            public_key=signer.public_key_hex,
        )
        checkpoint.hash = checkpoint.compute_hash()
        checkpoint.signature = signer.sign(checkpoint.body())
        checkpoint.save()
        AuditSealedHead.objects.bulk_create(
            [
                AuditSealedHead(
                    stream=key, seq=current[key][0], hash=current[key][1], checkpoint=number
                )
                for key in changed
            ],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["stream"],
            update_fields=["seq", "hash", "checkpoint"],
        )
    return checkpoint


# --- Verification --------------------------------------------------------

CONTENT_CHANGED = "content_changed"
LINK_BROKEN = "link_broken"
MISSING_ENTRY = "missing_entry"
HEAD_MISMATCH = "head_mismatch"
SEALED_HEAD_MISSING = "sealed_head_missing"
CHECKPOINT_SIGNATURE_INVALID = "checkpoint_signature_invalid"
CHECKPOINT_CHANGED = "checkpoint_changed"
CHECKPOINT_CHAIN_BROKEN = "checkpoint_chain_broken"
CHECKPOINT_ROOT_MISMATCH = "checkpoint_root_mismatch"

_KIND_LABELS = {
    CONTENT_CHANGED: "内容被改动（摘要不符）",
    LINK_BROKEN: "链接断裂（前一摘要不符）",
    MISSING_ENTRY: "记录缺失",
    HEAD_MISMATCH: "流头与最后一条记录不符",
    SEALED_HEAD_MISSING: "已封存的流头不再存在",
    CHECKPOINT_SIGNATURE_INVALID: "检查点签名无效",
    CHECKPOINT_CHANGED: "检查点内容被改动",
    CHECKPOINT_CHAIN_BROKEN: "检查点链断裂",
    CHECKPOINT_ROOT_MISMATCH: "检查点默克尔根不符",
}


@dataclass(frozen=True)
class Problem:
    """One broken link. ``stream``/``seq``/``entry_id`` locate it in a stream;
    ``checkpoint`` names the checkpoint involved, if any."""

    kind: str
    detail: str
    stream: str = ""
    seq: int | None = None
    entry_id: str = ""
    checkpoint: int | None = None

    @property
    def label(self) -> str:
        return _g(_KIND_LABELS[self.kind])

    def describe(self) -> str:
        where = []
        if self.stream:
            where.append(_g("流 %(stream)s") % {"stream": self.stream})
        if self.seq is not None:
            where.append(_g("第 %(seq)s 条") % {"seq": self.seq})
        if self.entry_id:
            where.append(_g("记录 %(id)s") % {"id": self.entry_id})
        if self.checkpoint is not None:
            where.append(_g("检查点 #%(n)s") % {"n": self.checkpoint})
        return f"{'，'.join(where)}：{self.label}。{self.detail}"


@dataclass
class VerifyReport:
    entries: int = 0
    streams: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)
    guard_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify(stream: str | None = None, *, all_roots: bool = False) -> VerifyReport:
    """Re-walk the streams (or one) and the checkpoints.

    For each stream: sequence numbers run from 1 without gaps, each entry's
    ``prev_hash`` is the previous entry's hash, each hash matches the entry's
    content, and the ``AuditStream`` head names the last entry. For the
    checkpoints: numbers run from 1, each links to the previous one's hash,
    each body still hashes to its hash and carries a valid SM2 signature by a
    trusted key, and every head a checkpoint sealed is still in its stream
    with the same hash. The Merkle root is recomputed for the latest
    checkpoint (for every checkpoint with ``all_roots``; that costs one pass
    over all heads per checkpoint).

    Problems come in order: checkpoints first (they decide what is trusted),
    then streams in the database's order, at most one per stream (after the
    first break the rest of a stream cannot be trusted anyway)."""
    report = VerifyReport()
    sealed = _verify_checkpoints(report, stream=stream, all_roots=all_roots)
    _verify_streams(report, stream=stream, sealed=sealed)
    report.guard_missing = missing_guards()
    return report


def trusted_keys() -> dict[str, str]:
    """key_id → public key (hex) of keys whose checkpoints are trusted: the
    current signer's, and retired ones from ``YIWANG_AUDIT_TRUSTED_KEYS``."""
    keys = dict(getattr(settings, "YIWANG_AUDIT_TRUSTED_KEYS", {}) or {})
    signer = get_signer()
    keys[signer.key_id] = signer.public_key_hex
    return keys


def _verify_checkpoints(
    report: VerifyReport, *, stream: str | None, all_roots: bool
) -> dict[str, list[tuple[int, str, int]]]:
    """Check the checkpoint chain; return the sealed heads per stream:
    stream → [(seq, hash, checkpoint number), ...] in checkpoint order."""
    keys: dict[str, str] | None = None  # looked up only if there are checkpoints
    state: dict[str, tuple[int, str]] = {}
    sealed: dict[str, list[tuple[int, str, int]]] = {}
    previous: AuditCheckpoint | None = None
    latest = AuditCheckpoint.objects.aggregate(n=models.Max("number"))["n"]
    for cp in AuditCheckpoint.objects.order_by("number").iterator(chunk_size=200):
        report.checkpoints += 1
        expected = previous.number + 1 if previous else 1
        if cp.number != expected:
            report.problems.append(
                Problem(
                    CHECKPOINT_CHAIN_BROKEN,
                    _g("应为检查点 #%(want)s，实为 #%(got)s：有检查点被删除。")
                    % {"want": expected, "got": cp.number},
                    checkpoint=cp.number,
                )
            )
        want_prev = previous.hash if previous else GENESIS
        if cp.prev_hash != want_prev:
            report.problems.append(
                Problem(
                    CHECKPOINT_CHAIN_BROKEN,
                    _g("前一检查点摘要不符。"),
                    checkpoint=cp.number,
                )
            )
        if cp.compute_hash() != cp.hash:
            report.problems.append(
                Problem(CHECKPOINT_CHANGED, _g("检查点摘要与内容不符。"), checkpoint=cp.number)
            )
        if keys is None:
            keys = trusted_keys()
        public_key = keys.get(cp.key_id)
        if public_key is None or public_key.lower() != cp.public_key.lower():
            report.problems.append(
                Problem(
                    CHECKPOINT_SIGNATURE_INVALID,
                    _g("签名密钥 %(key)s 不在受信任的密钥之列。") % {"key": cp.key_id},
                    checkpoint=cp.number,
                )
            )
        elif not sm2_verify(public_key, cp.body(), cp.signature):
            report.problems.append(
                Problem(
                    CHECKPOINT_SIGNATURE_INVALID,
                    _g("SM2 签名验证失败。"),
                    checkpoint=cp.number,
                )
            )
        for item in cp.heads or []:
            key, seq, h = item[0], int(item[1]), item[2]
            before = state.get(key)
            if before is not None and seq <= before[0]:
                report.problems.append(
                    Problem(
                        CHECKPOINT_CHAIN_BROKEN,
                        _g("流头序号从 %(old)s 倒退到 %(new)s。") % {"old": before[0], "new": seq},
                        stream=key,
                        seq=seq,
                        checkpoint=cp.number,
                    )
                )
            state[key] = (seq, h)
            if stream is None or key == stream:
                sealed.setdefault(key, []).append((seq, h, cp.number))
        if (all_roots or cp.number == latest) and stream is None:
            root = heads_root(state)
            if root != cp.merkle_root or len(state) != cp.stream_count:
                report.problems.append(
                    Problem(
                        CHECKPOINT_ROOT_MISMATCH,
                        _g("由各检查点记录的流头重算的默克尔根与检查点不符。"),
                        checkpoint=cp.number,
                    )
                )
        previous = cp
    return sealed


def _entries(stream: str | None) -> Iterator[AuditEntry]:
    qs = AuditEntry.objects.order_by("stream", "seq")
    if stream is not None:
        qs = qs.filter(stream=stream)
    return qs.iterator(chunk_size=2000)


def _group(entries: Iterable[AuditEntry]) -> Iterator[tuple[str, list[AuditEntry] | Iterator]]:
    """Group consecutive entries by stream without loading a whole stream."""
    current_key = None
    buffer: list[AuditEntry] = []
    for entry in entries:
        if entry.stream != current_key:
            if current_key is not None:
                yield current_key, buffer
            current_key, buffer = entry.stream, []
        buffer.append(entry)
    if current_key is not None:
        yield current_key, buffer


def _verify_streams(
    report: VerifyReport, *, stream: str | None, sealed: dict[str, list[tuple[int, str, int]]]
) -> None:
    heads_qs = AuditStream.objects.all()
    if stream is not None:
        heads_qs = heads_qs.filter(key=stream)
    heads = {key: (seq, h) for key, seq, h in heads_qs.values_list("key", "last_seq", "last_hash")}
    for key, entries in _group(_entries(stream)):
        report.streams += 1
        report.entries += len(entries)
        head = heads.pop(key, None)
        problem = _walk_stream(key, entries, head, sealed.pop(key, []))
        if problem:
            report.problems.append(problem)
    # Heads without a single entry left, and sealed heads of vanished streams.
    for key in sorted(set(heads) | set(sealed)):
        head = heads.get(key)
        if head is not None and head[0] == 0 and not sealed.get(key):
            continue  # opened by a transaction that wrote nothing: harmless
        report.streams += 1
        problem = _walk_stream(key, [], head, sealed.get(key, []))
        if problem:
            report.problems.append(problem)


def _walk_stream(
    key: str,
    entries: list[AuditEntry],
    head: tuple[int, str] | None,
    sealed: list[tuple[int, str, int]],
) -> Problem | None:
    prev_hash = GENESIS
    expected_seq = 1
    by_seq = {}
    for entry in entries:
        if entry.seq != expected_seq:
            return Problem(
                MISSING_ENTRY,
                _g("序号从 %(a)s 跳到 %(b)s：第 %(a)s 条被删除。")
                % {"a": expected_seq, "b": entry.seq},
                stream=key,
                seq=expected_seq,
                entry_id=str(entry.id),
            )
        if entry.prev_hash != prev_hash:
            return Problem(
                LINK_BROKEN,
                _g("本条记录的前一摘要与第 %(seq)s 条的摘要不符。") % {"seq": entry.seq - 1},
                stream=key,
                seq=entry.seq,
                entry_id=str(entry.id),
            )
        if entry.compute_hash() != entry.hash:
            return Problem(
                CONTENT_CHANGED,
                _g("按内容重算的摘要与记录的摘要不符。"),
                stream=key,
                seq=entry.seq,
                entry_id=str(entry.id),
            )
        by_seq[entry.seq] = entry.hash
        prev_hash = entry.hash
        expected_seq += 1
    last_seq = expected_seq - 1
    # Sealed heads: each must still be in the stream with the same hash. The
    # checkpoint before the first bad one bounds where the rewrite began.
    last_good = 0
    for seq, h, number in sealed:
        if by_seq.get(seq) != h:
            present = seq <= last_seq
            detail = (
                _g(
                    "检查点 #%(n)s 封存的第 %(seq)s 条摘要已变：该流被改写过（改写发生在第 %(from)s 至 %(seq)s 条之间）。"
                )
                if present
                else _g(
                    "检查点 #%(n)s 封存到第 %(seq)s 条，现在只剩 %(last)s 条：该流被截断（第 %(from)s 至 %(seq)s 条之间有改动）。"
                )
            ) % {"n": number, "seq": seq, "from": last_good + 1, "last": last_seq}
            return Problem(
                SEALED_HEAD_MISSING,
                detail,
                stream=key,
                seq=seq,
                entry_id=str(entries[seq - 1].id) if present else "",
                checkpoint=number,
            )
        last_good = seq
    if head is None:
        if not entries:
            return None
        return Problem(
            HEAD_MISMATCH,
            _g("缺少该流的流头记录。"),
            stream=key,
            seq=last_seq,
            entry_id=str(entries[-1].id),
        )
    head_seq, head_hash = head
    if head_seq > last_seq:
        return Problem(
            MISSING_ENTRY,
            _g("流头记到第 %(head)s 条，现在只有 %(last)s 条：末尾的记录被删除。")
            % {"head": head_seq, "last": last_seq},
            stream=key,
            seq=last_seq + 1,
        )
    if head_seq != last_seq or head_hash != prev_hash:
        return Problem(
            HEAD_MISMATCH,
            _g("流头（第 %(head)s 条）与最后一条记录（第 %(last)s 条）不符。")
            % {"head": head_seq, "last": last_seq},
            stream=key,
            seq=last_seq,
            entry_id=str(entries[-1].id) if entries else "",
        )
    return None


# --- Database guards -----------------------------------------------------

GUARDED_TABLES = ("core_auditentry", "core_auditcheckpoint")


def _trigger_names(table: str) -> list[str]:
    # Created by migration 0003_audit_outbox; keep the names in step.
    if connection.vendor == "postgresql":
        return [f"{table}_append_only"]
    return [f"{table}_no_update"]


def missing_guards() -> list[str]:
    """Append-only triggers that should exist but don't (e.g. a later
    SQLite migration rebuilt the table, which drops its triggers)."""
    names = [name for table in GUARDED_TABLES for name in _trigger_names(table)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname = ANY(%s) AND tgenabled <> 'D'",
                [names],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            return []
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in names if name not in present]
