"""National cryptography (商用密码) behind small interfaces.

- SM3 hashing and HMAC-SM3 (cryptography's OpenSSL binding).
- SM4-GCM for personal data at rest.
- SM2 signatures behind the ``Signer`` interface, so a hardware security module
  (or a seal service) can replace the software implementation through the
  ``YIWANG_SIGNER`` setting.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import gmalg
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.utils.module_loading import import_string

SM2_DEFAULT_UID = b"1234567812345678"  # GB/T 35276 default user id


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def sm3_hex(data: bytes | str) -> str:
    return sm3(data.encode() if isinstance(data, str) else data).hex()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


class SM4Box:
    """Authenticated encryption with SM4-GCM: nonce (12) + ciphertext + tag (16)."""

    def __init__(self, key: bytes):
        if len(key) != 16:
            raise ValueError("SM4 key must be 16 bytes")
        self._key = key

    def encrypt(self, plaintext: bytes, associated: bytes = b"") -> bytes:
        nonce = os.urandom(12)
        enc = Cipher(algorithms.SM4(self._key), modes.GCM(nonce)).encryptor()
        if associated:
            enc.authenticate_additional_data(associated)
        ct = enc.update(plaintext) + enc.finalize()
        return nonce + ct + enc.tag

    def decrypt(self, blob: bytes, associated: bytes = b"") -> bytes:
        nonce, ct, tag = blob[:12], blob[12:-16], blob[-16:]
        dec = Cipher(algorithms.SM4(self._key), modes.GCM(nonce, tag)).decryptor()
        if associated:
            dec.authenticate_additional_data(associated)
        return dec.update(ct) + dec.finalize()


class Signer:
    """Signs bytes and verifies signatures. ``key_id`` names the key so a
    verifier knows which public key to use."""

    algorithm = "SM2-SM3"

    @property
    def key_id(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    @property
    def public_key_hex(self) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def sign(self, data: bytes) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def verify(self, data: bytes, signature: str, public_key_hex: str | None = None) -> bool:
        return sm2_verify(public_key_hex or self.public_key_hex, data, signature)


def sm2_verify(public_key_hex: str, data: bytes, signature: str) -> bool:
    """Verify an SM2 signature given as ``r`` + ``s`` hex (64 bytes)."""
    try:
        raw = bytes.fromhex(signature)
        pk = bytes.fromhex(public_key_hex)
    except ValueError:
        return False
    if len(raw) != 64:
        return False
    try:
        return bool(gmalg.SM2(pk=pk, uid=SM2_DEFAULT_UID).verify(data, raw[:32], raw[32:]))
    except Exception:  # malformed key or point
        return False


class SoftwareSM2Signer(Signer):
    """SM2 with a key held in software: from ``YIWANG_SM2_PRIVATE_KEY``, or in
    the embedded default generated once into ``VAR_DIR/sm2.key``."""

    def __init__(self, private_key_hex: str | None = None):
        sk_hex = private_key_hex or settings.YIWANG_SM2_PRIVATE_KEY or self._embedded_key()
        self._sk = bytes.fromhex(sk_hex)
        self._pk = gmalg.SM2().generate_pk(self._sk)
        self._sm2 = gmalg.SM2(sk=self._sk, uid=SM2_DEFAULT_UID, pk=self._pk)

    @staticmethod
    def _embedded_key() -> str:
        path = Path(settings.VAR_DIR) / "sm2.key"
        if not path.exists():
            sk, _pk = gmalg.SM2().generate_keypair()
            path.write_text(sk.hex())
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def key_id(self) -> str:
        return sm3_hex(self._pk)[:16]

    @property
    def public_key_hex(self) -> str:
        return self._pk.hex()

    def sign(self, data: bytes) -> str:
        r, s = self._sm2.sign(data)
        return (r.rjust(32, b"\0") + s.rjust(32, b"\0")).hex()


@lru_cache(maxsize=1)
def get_signer() -> Signer:
    return import_string(settings.YIWANG_SIGNER)()
