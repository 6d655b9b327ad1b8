"""Personal data (个人信息): ID numbers and phone numbers.

Stored as SM4-GCM ciphertext (``protect``) beside a keyed search hash
(``search_hash``: HMAC-SM3, separated by kind, over the normalised value), so
an account is found by its ID number without the number being stored in
clear. Shown masked (``mask_id_number``, ``mask_phone``). The clear value is
only handed out by ``reveal``, which requires a reason and writes an audit
entry ("pii.reveal") in the same transaction — there is no silent path.
``reveal_value`` is the low-level decryption for code that masks the result
(e.g. ``User.masked_id_number``) or must compare it; it never leaves the
server unmasked.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .crypto import SM4Box, hmac_sm3
from .errors import ValidationFailed

VERSION = b"\x01"  # ciphertext format: version byte + SM4-GCM box
KINDS = ("id_number", "phone", "credit_code", "name")


@lru_cache(maxsize=4)
def _box(key_hex: str) -> SM4Box:
    return SM4Box(bytes.fromhex(key_hex))


def _current_box() -> SM4Box:
    return _box(settings.YIWANG_PII_KEY)


def normalise(kind: str, value) -> str:
    """The canonical form hashed and stored: half-width, no spaces; ID numbers
    and credit codes upper-case (a final ``x`` becomes ``X``); phones digits
    only without a +86 prefix."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if kind in ("id_number", "credit_code"):
        return re.sub(r"[\s\-]", "", text).upper()
    if kind == "phone":
        digits = re.sub(r"\D", "", text)
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        elif digits.startswith("0086") and len(digits) == 15:
            digits = digits[4:]
        return digits
    return text


def protect(value: str, kind: str = "") -> bytes:
    """Encrypt a value for storage (``kind`` normalises it first when given)."""
    clear = normalise(kind, value) if kind else str(value)
    return VERSION + _current_box().encrypt(clear.encode("utf-8"))


def reveal_value(blob) -> str:
    """Decrypt a stored value. Low level: callers show it masked or audit it
    through ``reveal``."""
    if blob is None:
        return ""
    data = bytes(blob)  # memoryview on PostgreSQL
    if not data:
        return ""
    if data[:1] != VERSION:
        raise ValueError("unknown personal-data ciphertext version")
    return _current_box().decrypt(data[1:]).decode("utf-8")


def search_hash(kind: str, value) -> str:
    """The keyed search hash of a value: HMAC-SM3 over ``kind`` + the
    normalised value, so equal numbers of different kinds never collide."""
    if kind not in KINDS:
        raise ValueError(f"unknown personal-data kind {kind!r}")
    key = settings.YIWANG_PII_HASH_KEY.encode("utf-8")
    message = f"{kind}\x1f{normalise(kind, value)}".encode()
    return hmac_sm3(key, message).hex()


def seal(kind: str, value) -> tuple[bytes, str]:
    """(ciphertext, search hash) for a model's ``<field>_enc``/``<field>_hash``."""
    return protect(value, kind), search_hash(kind, value)


def seal_into(obj, field: str, value) -> None:
    """Set ``obj.<field>_enc`` and ``obj.<field>_hash`` to ``value`` sealed
    (``field`` is its kind), and let ``masked(obj, field)`` mask this object's
    new value without decrypting what was just encrypted (the answer to an
    application prints both masks)."""
    clear = normalise(field, value)  # once: what is encrypted is what is remembered
    blob = protect(clear)
    setattr(obj, f"{field}_enc", blob)
    setattr(obj, f"{field}_hash", search_hash(field, clear))
    obj.__dict__.setdefault("_pii_sealed", {})[field] = (blob, clear)


def mask_id_number(value) -> str:
    """``511602199001011234`` → ``5116**********1234``."""
    text = str(value or "")
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_phone(value) -> str:
    """``13812345678`` → ``138****5678``."""
    text = str(value or "")
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def mask_name(value) -> str:
    """``张三丰`` → ``*三丰``: keep all but the surname."""
    text = str(value or "")
    if len(text) <= 1:
        return text
    return "*" + text[1:]


MASKERS = {"id_number": mask_id_number, "phone": mask_phone}


def masked(obj, field: str) -> str:
    """The masked form of ``obj.<field>_enc``."""
    blob = getattr(obj, f"{field}_enc", None)
    if not blob:
        return ""
    sealed = obj.__dict__.get("_pii_sealed", {}).get(field)
    clear = sealed[1] if sealed is not None and sealed[0] is blob else reveal_value(blob)
    return MASKERS[field](clear)


def reveal(actor, obj, field: str, reason: str) -> str:
    """Return the clear value of ``obj.<field>_enc`` and record who saw it,
    when and why (action ``pii.reveal``). The caller has checked that the
    actor may see it; this function makes sure it never happens unrecorded."""
    from .audit import record

    reason = (reason or "").strip()
    if not reason:
        message = _("查看完整个人信息须填写事由")
        raise ValidationFailed(message, code="pii.reason_required", fields={"reason": [message]})
    if field not in MASKERS:
        raise ValueError(f"not a personal-data field: {field}")
    blob = getattr(obj, f"{field}_enc", None)
    clear = reveal_value(blob)
    with transaction.atomic():
        record(
            actor=actor,
            action="pii.reveal",
            target=obj,
            after={"field": field, "reason": reason[:500], "masked": MASKERS[field](clear)},
        )
    return clear
