"""National cryptography wrappers: SM3, SM4-GCM, the SM2 signer."""

import pytest
from cryptography.exceptions import InvalidTag

from yiwang.core.crypto import SM4Box, SoftwareSM2Signer, sm2_verify, sm3_hex


def test_sm3_known_answer():
    # GB/T 32905-2016 example 1: SM3("abc")
    assert sm3_hex("abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm4_gcm_round_trip_and_tamper():
    box = SM4Box(bytes(range(16)))
    blob = box.encrypt(b"511602199001011234", b"id_number")
    assert b"511602" not in blob
    assert box.decrypt(blob, b"id_number") == b"511602199001011234"
    with pytest.raises(InvalidTag):
        box.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), b"id_number")
    with pytest.raises(InvalidTag):
        box.decrypt(blob, b"phone")  # bound to its field


def test_software_signer_signs_and_verifies(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.YIWANG_SM2_PRIVATE_KEY = ""
    signer = SoftwareSM2Signer()
    assert (tmp_path / "sm2.key").exists()
    sig = signer.sign(b"checkpoint")
    assert signer.verify(b"checkpoint", sig)
    assert sm2_verify(signer.public_key_hex, b"checkpoint", sig)
    assert not sm2_verify(signer.public_key_hex, b"checkpoinT", sig)
    assert not sm2_verify(signer.public_key_hex, b"checkpoint", "00" * 64)
    assert not sm2_verify(signer.public_key_hex, b"checkpoint", "not hex")
    # the same key file gives the same key id next time
    assert SoftwareSM2Signer().key_id == signer.key_id
