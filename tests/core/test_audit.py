"""The audit trail: chains, checkpoints, tamper detection, the CLI.

Tampering is what an attacker with database access does, so these tests
first remove the append-only trigger (inside the test's transaction, which
rolls the removal back) and then edit rows with raw SQL."""

import io

import gmalg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from yiwang.core import audit
from yiwang.core.crypto import SM2_DEFAULT_UID, SoftwareSM2Signer, get_signer, sm3
from yiwang.core.middleware import RequestContext, reset_context, set_context

KEY_A = "10514974477d28b5f32bed3639e8ac9a196e7980ea9d68f91dffc5ba2f4de44d"
KEY_B = "ec5363870ed3ca571e867823050ab2ede3172bf1ee93ccafea421ae84abf93aa"


class FixedSigner(SoftwareSM2Signer):
    """The software signer with a fixed test key (no key file in VAR_DIR)."""

    key_hex = KEY_A

    def __init__(self):
        self._sk = bytes.fromhex(self.key_hex)
        self._pk = gmalg.SM2().generate_pk(self._sk)
        self._sm2 = gmalg.SM2(sk=self._sk, uid=SM2_DEFAULT_UID, pk=self._pk)


class OtherSigner(FixedSigner):
    key_hex = KEY_B


@pytest.fixture(autouse=True)
def signer(settings):
    settings.YIWANG_SIGNER = "tests.core.test_audit.FixedSigner"
    settings.YIWANG_AUDIT_TRUSTED_KEYS = {}
    get_signer.cache_clear()
    yield get_signer()
    get_signer.cache_clear()


def use_signer(settings, dotted):
    settings.YIWANG_SIGNER = dotted
    get_signer.cache_clear()
    return get_signer()


def write(stream="test.thing:1", n=1, action="update", **kw):
    return [
        audit.record(
            actor=None,
            action=action,
            target=("test.thing", stream.rsplit(":", 1)[-1]),
            before={"n": i},
            after={"n": i + 1},
            stream=stream,
            **kw,
        )
        for i in range(n)
    ]


def unguard():
    """What an attacker does first: take the append-only trigger away."""
    with connection.cursor() as c:
        for table in audit.GUARDED_TABLES:
            if connection.vendor == "postgresql":
                c.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
            else:
                c.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")


def sql(statement, params=()):
    with connection.cursor() as c:
        c.execute(statement, params)


def rehash_from(stream, seq):
    """Recompute the chain from ``seq`` on and the head, as a careful
    attacker would after editing an entry."""
    prev = (
        audit.AuditEntry.objects.get(stream=stream, seq=seq - 1).hash if seq > 1 else audit.GENESIS
    )
    last = None
    for entry in audit.AuditEntry.objects.filter(stream=stream, seq__gte=seq).order_by("seq"):
        entry.prev_hash = prev
        entry.hash = entry.compute_hash()
        sql(
            "UPDATE core_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
            [
                entry.prev_hash,
                entry.hash,
                entry.id.hex if connection.vendor == "sqlite" else entry.id,
            ],
        )
        prev, last = entry.hash, entry
    sql(
        "UPDATE core_auditstream SET last_seq = %s, last_hash = %s WHERE key = %s",
        [last.seq, last.hash, stream],
    )


def entry_pk(entry):
    return entry.id.hex if connection.vendor == "sqlite" else entry.id


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


# --- Recording ------------------------------------------------------------


@pytest.mark.django_db
def test_record_chains_entries_within_a_stream_and_captures_context():
    token = set_context(RequestContext(ip="10.1.2.3", user_agent="pytest", channel="api"))
    try:
        first, second = write(n=2)
        (other,) = write(stream="test.thing:2")
    finally:
        reset_context(token)
    assert (first.seq, second.seq, other.seq) == (1, 2, 1)
    assert first.prev_hash == audit.GENESIS and other.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert (first.ip, first.user_agent, first.channel, first.actor_name) == (
        "10.1.2.3",
        "pytest",
        "api",
        "system",
    )
    head = audit.AuditStream.objects.get(key="test.thing:1")
    assert (head.last_seq, head.last_hash) == (2, second.hash)
    stored = audit.AuditEntry.objects.get(id=second.id)
    assert stored.compute_hash() == stored.hash


@pytest.mark.django_db
def test_record_with_a_model_instance_uses_its_stream(django_user_model):
    user = django_user_model.objects.create(username="clerk1")
    entry = audit.record(actor=user, action="login", target=user, after={"ok": True})
    label = django_user_model._meta.label_lower
    assert entry.stream == f"{label}:{user.pk}"
    assert (entry.target_type, entry.target_id, entry.actor_id) == (
        label,
        str(user.pk),
        str(user.pk),
    )


@pytest.mark.django_db
def test_a_new_stream_is_opened_with_its_first_entry_and_never_twice():
    (first,) = write(stream="test.thing:9", new_stream=True)
    assert (first.seq, first.prev_hash) == (1, audit.GENESIS)
    head = audit.AuditStream.objects.get(key="test.thing:9")
    assert (head.last_seq, head.last_hash) == (1, first.hash)
    (second,) = write(stream="test.thing:9")  # later entries chain on as usual
    assert (second.seq, second.prev_hash) == (2, first.hash)
    # Claiming that an existing stream is new fails the change, writing nothing.
    with pytest.raises(IntegrityError), transaction.atomic():
        write(stream="test.thing:9", new_stream=True)
    assert audit.AuditEntry.objects.filter(stream="test.thing:9").count() == 2
    assert audit.verify().ok


@pytest.mark.django_db
def test_record_rolls_back_with_the_transaction():
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        write(n=2)
        raise Boom
    assert not audit.AuditEntry.objects.exists()
    assert not audit.AuditStream.objects.filter(last_seq__gt=0).exists()
    assert audit.verify().ok


@pytest.mark.django_db
def test_json_values_hash_as_stored():
    import datetime
    import decimal
    import uuid

    entry = audit.record(
        actor=None,
        action="pay",
        target=("payments.order", "7"),
        after={
            "amount": decimal.Decimal("12.50"),
            "on": datetime.date(2026, 1, 2),
            "u": uuid.UUID(int=5),
            "名": "张三",
        },
    )
    stored = audit.AuditEntry.objects.get(id=entry.id)
    assert stored.after == {
        "amount": "12.50",
        "on": "2026-01-02",
        "u": str(uuid.UUID(int=5)),
        "名": "张三",
    }
    assert stored.compute_hash() == entry.hash


# --- Append-only guards ---------------------------------------------------


@pytest.mark.django_db
def test_orm_refuses_to_change_or_remove_entries():
    (entry,) = write()
    with pytest.raises(audit.AppendOnlyError):
        entry.save()
    with pytest.raises(audit.AppendOnlyError):
        entry.delete()
    with pytest.raises(audit.AppendOnlyError):
        audit.AuditEntry.objects.filter(id=entry.id).update(action="x")
    with pytest.raises(audit.AppendOnlyError):
        audit.AuditEntry.objects.all().delete()


@pytest.mark.django_db
def test_database_refuses_update_of_entries_and_checkpoints():
    (entry,) = write()
    cp = audit.seal_checkpoint()
    assert audit.missing_guards() == []
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("UPDATE core_auditentry SET action = 'forged' WHERE id = %s", [entry_pk(entry)])
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("UPDATE core_auditcheckpoint SET merkle_root = 'x' WHERE number = %s", [cp.number])
    assert audit.AuditEntry.objects.get(id=entry.id).action == "update"


@pytest.mark.django_db
@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL trigger")
def test_postgresql_refuses_delete_of_entries():
    (entry,) = write()
    with pytest.raises(DatabaseError), transaction.atomic():
        sql("DELETE FROM core_auditentry WHERE id = %s", [entry.id])
    assert audit.AuditEntry.objects.filter(id=entry.id).exists()


@pytest.mark.django_db
def test_verify_warns_when_a_guard_is_gone():
    write()
    unguard()
    assert audit.missing_guards()
    code, out, err = run("audit", "verify")
    assert code == 0 and "未发现问题" in out
    assert "触发器" in err


# --- Verifying streams ----------------------------------------------------


@pytest.mark.django_db
def test_verify_clean_trail_and_command_summary():
    write(n=3)
    write(stream="test.thing:2", n=2)
    audit.seal_checkpoint()
    write(n=1)
    report = audit.verify()
    assert report.ok, report.problems
    assert (report.entries, report.streams, report.checkpoints) == (6, 2, 1)
    code, out, err = run("audit", "verify")
    assert code == 0, err
    assert "已验证 6 条记录、2 个流、1 个检查点，未发现问题" in out


@pytest.mark.django_db
def test_changed_content_is_the_first_broken_link():
    entries = write(n=5)
    write(stream="test.thing:2", n=2)
    unguard()
    sql(
        "UPDATE core_auditentry SET after = %s WHERE id = %s",
        ['{"n": 999}', entry_pk(entries[2])],
    )
    report = audit.verify()
    first = report.first
    assert (first.kind, first.stream, first.seq, first.entry_id) == (
        audit.CONTENT_CHANGED,
        "test.thing:1",
        3,
        str(entries[2].id),
    )
    code, out, err = run("audit", "verify")
    assert code == 1
    assert "test.thing:1" in err and "第 3 条" in err and str(entries[2].id) in err
    assert "内容被改动" in err


@pytest.mark.django_db
def test_rehashed_entry_breaks_the_next_link():
    entries = write(n=4)
    unguard()
    forged = audit.AuditEntry.objects.get(id=entries[1].id)
    forged.actor_name = "someone else"
    sql(
        "UPDATE core_auditentry SET actor_name = %s, hash = %s WHERE id = %s",
        [forged.actor_name, forged.compute_hash(), entry_pk(forged)],
    )
    first = audit.verify().first
    assert (first.kind, first.seq, first.entry_id) == (audit.LINK_BROKEN, 3, str(entries[2].id))


@pytest.mark.django_db
def test_deleted_entry_is_reported_missing():
    entries = write(n=4)
    unguard()
    sql("DELETE FROM core_auditentry WHERE id = %s", [entry_pk(entries[1])])
    first = audit.verify().first
    assert (first.kind, first.stream, first.seq) == (audit.MISSING_ENTRY, "test.thing:1", 2)


@pytest.mark.django_db
def test_truncated_tail_is_reported_against_the_head():
    entries = write(n=4)
    unguard()
    sql("DELETE FROM core_auditentry WHERE id = %s", [entry_pk(entries[3])])
    first = audit.verify().first
    assert (first.kind, first.seq) == (audit.MISSING_ENTRY, 4)


@pytest.mark.django_db
def test_head_that_does_not_match_the_last_entry():
    write(n=2)
    sql("UPDATE core_auditstream SET last_hash = %s WHERE key = %s", ["f" * 64, "test.thing:1"])
    first = audit.verify().first
    assert (first.kind, first.seq) == (audit.HEAD_MISMATCH, 2)


@pytest.mark.django_db
def test_whole_stream_deleted_with_its_head_is_caught_by_the_checkpoint():
    write(n=2)
    write(stream="test.thing:2", n=1)
    cp = audit.seal_checkpoint()
    unguard()
    sql("DELETE FROM core_auditentry WHERE stream = %s", ["test.thing:1"])
    sql("DELETE FROM core_auditstream WHERE key = %s", ["test.thing:1"])
    first = audit.verify().first
    assert (first.kind, first.stream, first.seq, first.checkpoint) == (
        audit.SEALED_HEAD_MISSING,
        "test.thing:1",
        2,
        cp.number,
    )


@pytest.mark.django_db
def test_recomputed_chain_passes_the_hash_chain_check_alone():
    entries = write(n=6)
    unguard()
    sql(
        "UPDATE core_auditentry SET after = %s WHERE id = %s",
        ['{"n": 0}', entry_pk(entries[1])],
    )
    rehash_from("test.thing:1", 2)
    # Hash chains alone cannot tell: the attacker recomputed them all.
    assert audit.verify().ok


@pytest.mark.django_db
def test_rewrite_before_a_sealed_head_is_detected_and_bounded():
    entries = write(n=3)
    audit.seal_checkpoint()  # seals seq 3
    write(n=3)
    cp2 = audit.seal_checkpoint()  # seals seq 6
    unguard()
    # Rewrite seq 5 (after checkpoint 1's head) and recompute everything.
    fifth = audit.AuditEntry.objects.get(stream="test.thing:1", seq=5)
    sql("UPDATE core_auditentry SET action = %s WHERE id = %s", ["erased", entry_pk(fifth)])
    rehash_from("test.thing:1", 5)
    report = audit.verify()
    assert len(report.problems) == 1
    first = report.first
    assert (first.kind, first.stream, first.seq, first.checkpoint) == (
        audit.SEALED_HEAD_MISSING,
        "test.thing:1",
        6,
        cp2.number,
    )
    assert "第 4 至 6 条" in first.detail  # checkpoint 1 still matches up to seq 3
    assert entries[0].hash == audit.AuditEntry.objects.get(id=entries[0].id).hash


@pytest.mark.django_db
def test_truncation_below_a_sealed_head_is_detected():
    entries = write(n=4)
    audit.seal_checkpoint()
    unguard()
    sql("DELETE FROM core_auditentry WHERE id = %s", [entry_pk(entries[3])])
    sql(
        "UPDATE core_auditstream SET last_seq = 3, last_hash = %s WHERE key = %s",
        [entries[2].hash, "test.thing:1"],
    )
    first = audit.verify().first
    assert (first.kind, first.seq) == (audit.SEALED_HEAD_MISSING, 4)
    assert "截断" in first.detail


@pytest.mark.django_db
def test_verify_one_stream():
    write(n=2)
    bad = write(stream="test.thing:2", n=2)
    unguard()
    sql("UPDATE core_auditentry SET action = 'x' WHERE id = %s", [entry_pk(bad[0])])
    assert audit.verify(stream="test.thing:1").ok
    report = audit.verify(stream="test.thing:2")
    assert report.first.kind == audit.CONTENT_CHANGED
    code, out, _err = run("audit", "verify", "--stream", "test.thing:1")
    assert code == 0 and "已验证 2 条记录、1 个流" in out


# --- Checkpoints ------------------------------------------------------------


def test_merkle_root_follows_rfc6962_shape_with_sm3():
    a, b, c = b"a", b"b", b"c"

    def leaf(x):
        return sm3(b"\x00" + x)

    def node(x, y):
        return sm3(b"\x01" + x + y)

    assert audit.merkle_root([]) == sm3(b"").hex()
    assert audit.merkle_root([a]) == leaf(a).hex()
    assert audit.merkle_root([a, b]) == node(leaf(a), leaf(b)).hex()
    # Three leaves split 2 | 1.
    assert audit.merkle_root([a, b, c]) == node(node(leaf(a), leaf(b)), leaf(c)).hex()
    five = [bytes([i]) for i in range(5)]
    left = node(node(leaf(five[0]), leaf(five[1])), node(leaf(five[2]), leaf(five[3])))
    assert audit.merkle_root(five) == node(left, leaf(five[4])).hex()


@pytest.mark.django_db
def test_seal_covers_all_heads_stores_changes_and_signs(signer):
    write(n=2)
    write(stream="test.thing:2", n=1)
    cp1 = audit.seal_checkpoint()
    assert (cp1.number, cp1.stream_count, cp1.entry_count, cp1.prev_hash) == (
        1,
        2,
        3,
        audit.GENESIS,
    )
    heads = {s.key: (s.last_seq, s.last_hash) for s in audit.AuditStream.objects.all()}
    assert cp1.merkle_root == audit.heads_root(heads)
    assert [h[0] for h in cp1.heads] == ["test.thing:1", "test.thing:2"]
    assert cp1.key_id == signer.key_id and cp1.public_key == signer.public_key_hex
    assert signer.verify(cp1.body(), cp1.signature)

    assert audit.seal_checkpoint(force=False) is None  # nothing new
    write(stream="test.thing:2", n=1)
    cp2 = audit.seal_checkpoint(force=False)
    assert cp2.number == 2 and cp2.prev_hash == cp1.hash
    assert [h[0] for h in cp2.heads] == ["test.thing:2"]  # only what changed
    assert (cp2.stream_count, cp2.entry_count) == (2, 4)
    cp3 = audit.seal_checkpoint(force=True)
    assert cp3.heads == [] and cp3.merkle_root == cp2.merkle_root
    assert audit.verify(all_roots=True).ok


@pytest.mark.django_db
def test_forged_checkpoint_signature_is_reported():
    write()
    audit.seal_checkpoint()
    cp = audit.seal_checkpoint(force=True)
    unguard()
    sig = cp.signature
    forged = ("0" if sig[0] != "0" else "1") + sig[1:]
    sql("UPDATE core_auditcheckpoint SET signature = %s WHERE number = %s", [forged, cp.number])
    first = audit.verify().first
    assert (first.kind, first.checkpoint) == (audit.CHECKPOINT_SIGNATURE_INVALID, 2)
    code, _out, err = run("audit", "verify")
    assert code == 1 and "检查点 #2" in err and "签名无效" in err


@pytest.mark.django_db
def test_altered_checkpoint_heads_are_reported():
    write(n=2)
    cp = audit.seal_checkpoint()
    unguard()
    sql(
        "UPDATE core_auditcheckpoint SET heads = %s WHERE number = %s",
        ['[["test.thing:1", 1, "%s"]]' % ("a" * 64), cp.number],
    )
    kinds = [p.kind for p in audit.verify().problems]
    assert kinds[0] == audit.CHECKPOINT_CHANGED
    assert audit.CHECKPOINT_SIGNATURE_INVALID in kinds


@pytest.mark.django_db
def test_deleted_checkpoint_breaks_the_checkpoint_chain():
    write()
    audit.seal_checkpoint()
    audit.seal_checkpoint(force=True)
    audit.seal_checkpoint(force=True)
    unguard()
    sql("DELETE FROM core_auditcheckpoint WHERE number = 2")
    first = audit.verify().first
    assert (first.kind, first.checkpoint) == (audit.CHECKPOINT_CHAIN_BROKEN, 3)


@pytest.mark.django_db
def test_checkpoint_by_an_untrusted_key_and_key_rotation(settings):
    write()
    audit.seal_checkpoint()
    old = get_signer()
    new = use_signer(settings, "tests.core.test_audit.OtherSigner")
    write()
    audit.seal_checkpoint()
    problems = audit.verify().problems
    assert [(p.kind, p.checkpoint) for p in problems] == [(audit.CHECKPOINT_SIGNATURE_INVALID, 1)]
    assert old.key_id in problems[0].detail
    settings.YIWANG_AUDIT_TRUSTED_KEYS = {old.key_id: old.public_key_hex}
    assert audit.verify().ok
    assert new.key_id != old.key_id


# --- The command ----------------------------------------------------------


@pytest.mark.django_db
def test_seal_and_show_commands():
    token = set_context(RequestContext(ip="192.168.0.9", channel="web"))
    try:
        write(n=2)
    finally:
        reset_context(token)
    code, out, _err = run("audit", "seal")
    assert code == 0 and "已封存检查点 #1" in out and "1 个流、2 条记录" in out
    code, out, _err = run("audit", "seal", "--if-changed")
    assert "未封存" in out
    assert audit.AuditCheckpoint.objects.count() == 1

    code, out, _err = run("audit", "show", "test.thing", "1")
    assert code == 0
    assert "#1" in out and "#2" in out and "192.168.0.9" in out and "n: 0 → 1" in out
    code, out2, _err = run("audit", "show", "--stream", "test.thing:1")
    assert out2 == out
    with pytest.raises(Exception, match="没有记录"):
        call_command("audit", "show", "--stream", "nope:1", stdout=io.StringIO())
