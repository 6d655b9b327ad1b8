"""Notification channels (SMS, e-mail) as plugins: one small interface, a
registry, a simulated SMS channel for the demo and the tests.

``settings.YIWANG_SMS_CHANNEL`` names the SMS channel ("simulated" by
default; a deployment registers its provider's class under another name
and sets it). E-mail goes through Django's configured e-mail backend.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

logger = logging.getLogger(__name__)


class SmsChannel:
    """Send one text message. Raise on failure: the outbox retries."""

    name = ""

    def send(self, phone: str, text: str) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class SimulatedSms(SmsChannel):
    """Keeps what would have been sent in ``OutgoingMessage`` (shown masked)."""

    name = "simulated"

    def send(self, phone: str, text: str) -> str:
        from yiwang.core.pii import mask_phone

        from .models import OutgoingMessage

        msg = OutgoingMessage.objects.create(
            channel=self.name, to=mask_phone(phone), text=text, sent_at=timezone.now()
        )
        return str(msg.pk)


_REGISTRY: dict[str, type[SmsChannel]] = {"simulated": SimulatedSms}


def register_sms(cls: type[SmsChannel]) -> type[SmsChannel]:
    _REGISTRY[cls.name] = cls
    return cls


def sms_channel() -> SmsChannel:
    name = getattr(settings, "YIWANG_SMS_CHANNEL", "simulated")
    try:
        return _REGISTRY[name]()
    except KeyError:
        raise LookupError(f"unknown SMS channel {name!r} (YIWANG_SMS_CHANNEL)") from None


def send_email(address: str, subject: str, text: str) -> None:
    send_mail(subject, text, None, [address], fail_silently=False)
