"""Personal data: encrypted at rest, found by keyed hash, shown masked,
revealed only with a reason and an audit entry."""

import pytest
from cryptography.exceptions import InvalidTag
from django.test import override_settings

from yiwang.core import pii
from yiwang.core.audit import AuditEntry
from yiwang.core.errors import ValidationFailed

ID = "511602199001011234"


def test_protect_round_trip_and_no_clear_text():
    blob = pii.protect(ID)
    assert ID.encode() not in blob
    assert pii.reveal_value(blob) == ID
    assert pii.reveal_value(memoryview(blob)) == ID
    assert pii.protect(ID) != blob  # fresh nonce each time


def test_tampered_ciphertext_is_refused():
    blob = bytearray(pii.protect(ID))
    blob[-1] ^= 1
    with pytest.raises(InvalidTag):
        pii.reveal_value(bytes(blob))


def test_wrong_key_cannot_read():
    blob = pii.protect(ID)
    with (
        override_settings(YIWANG_PII_KEY="ffeeddccbbaa99887766554433221100"),
        pytest.raises(InvalidTag),
    ):
        pii.reveal_value(blob)


def test_search_hash_is_normalised_keyed_and_kind_separated():
    h = pii.search_hash("id_number", "11010519491231002X")
    assert h == pii.search_hash("id_number", " 11010519491231002x ")
    assert len(h) == 64 and "110105" not in h
    assert pii.search_hash("phone", "13812345678") == pii.search_hash("phone", "+86 138-1234-5678")
    assert pii.search_hash("phone", "13812345678") != pii.search_hash("id_number", "13812345678")
    with override_settings(YIWANG_PII_HASH_KEY="another-key"):
        assert pii.search_hash("id_number", "11010519491231002X") != h


def test_masks():
    assert pii.mask_id_number("511602199001011234") == "5116**********1234"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_id_number("") == ""
    assert pii.mask_name("张三丰") == "*三丰"


@pytest.mark.django_db
def test_reveal_requires_reason_and_is_audited():
    from tests.accounts.factories import CitizenFactory, StaffFactory

    citizen = CitizenFactory(id_number=ID)
    actor = StaffFactory()
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as info:
        pii.reveal(actor, citizen, "id_number", "  ")
    assert info.value.code == "pii.reason_required"
    assert AuditEntry.objects.count() == before
    assert pii.reveal(actor, citizen, "id_number", "核对办件申请人") == ID
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.actor_id == str(actor.pk)
    assert entry.target_id == str(citizen.pk)
    assert entry.after["reason"] == "核对办件申请人"
    assert entry.after["masked"] == "5116**********1234"
    assert ID not in str(entry.after)


@pytest.mark.django_db
def test_user_properties_are_masked():
    from tests.accounts.factories import CitizenFactory

    citizen = CitizenFactory(id_number=ID, phone="13812345678")
    assert citizen.masked_id_number == "5116**********1234"
    assert citizen.masked_phone == "138****5678"
    assert not hasattr(citizen, "id_number")


def test_seal_into_masks_its_own_new_value_without_decrypting(monkeypatch):
    from types import SimpleNamespace

    holder = SimpleNamespace()
    pii.seal_into(holder, "id_number", " 51160219900101123x ")
    pii.seal_into(holder, "phone", "+86 138 1234 5678")
    assert holder.id_number_hash == pii.search_hash("id_number", ID[:-1] + "X")
    assert pii.reveal_value(holder.id_number_enc) == ID[:-1] + "X"  # stored normalised

    def no_decrypt(blob):
        raise AssertionError("decrypted a value it had just sealed")

    monkeypatch.setattr(pii, "reveal_value", no_decrypt)
    assert pii.masked(holder, "id_number") == "5116**********123X"
    assert pii.masked(holder, "phone") == "138****5678"
    # A value set afterwards some other way is read from its ciphertext.
    holder.phone_enc = pii.protect("13900001111", "phone")
    with pytest.raises(AssertionError, match="just sealed"):
        pii.masked(holder, "phone")
    monkeypatch.undo()
    assert pii.masked(holder, "phone") == "139****1111"
