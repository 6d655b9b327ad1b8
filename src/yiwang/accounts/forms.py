"""Page forms. Fields are deliberately lenient: the services decide what is
wrong and say it precisely; ``apply_errors`` puts their messages next to the
fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.core.errors import ServiceError


def _text(label, **kwargs):
    return forms.CharField(label=label, required=False, strip=True, **kwargs)


def _password(label):
    return forms.CharField(label=label, required=False, strip=False, widget=forms.PasswordInput)


class PublicLoginForm(forms.Form):
    identifier = _text(_("身份证号码 / 统一社会信用代码 / 手机号码"))
    password = _password(_("密码"))


class StaffLoginForm(forms.Form):
    username = _text(_("用户名"))
    password = _password(_("密码"))
    otp_token = _text(
        _("动态验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class CitizenRegisterForm(forms.Form):
    id_number = _text(_("身份证号码"))
    real_name = _text(_("姓名"))
    phone = _text(_("手机号码"))
    # Where the person lives: the village agent and town clerk there can then
    # help them. Optional; an unknown code gets the service's message.
    region_code = _text(_("居住地（乡镇/街道、村/社区）"))
    password = _password(_("密码"))
    password2 = _password(_("确认密码"))


class EnterpriseRegisterForm(forms.Form):
    credit_code = _text(_("统一社会信用代码"))
    name = _text(_("单位名称"))
    legal_representative = _text(_("法定代表人"))
    phone = _text(_("手机号码"))
    region_code = _text(_("所在地（乡镇/街道、村/社区）"))
    password = _password(_("密码"))
    password2 = _password(_("确认密码"))


def region_choices() -> list[dict]:
    """The towns of the platform, each with its villages, for the
    registration page's residence picker (grouped by town)."""
    from yiwang.regions.models import Level, Region

    towns = {
        t.pk: {"town": t, "villages": []}
        for t in Region.objects.filter(level=Level.TOWN, is_active=True).order_by("code")
    }
    villages = Region.objects.filter(
        level=Level.VILLAGE, is_active=True, parent_id__in=list(towns)
    ).order_by("code")
    for village in villages:
        towns[village.parent_id]["villages"].append(village)
    return list(towns.values())


class PhoneForm(forms.Form):
    phone = _text(_("新手机号码"))


class ResidenceForm(forms.Form):
    region_code = _text(_("居住地（乡镇/街道、村/社区）"))


class DeregisterForm(forms.Form):
    reason = _text(_("注销原因"), widget=forms.Textarea(attrs={"rows": 2}))
    password = _password(_("当前密码"))
    confirm = forms.BooleanField(label=_("我已知晓：注销后不能再用此账户登录"), required=False)


class TotpConfirmForm(forms.Form):
    otp_token = _text(
        _("动态验证码"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RevealForm(forms.Form):
    reason = _text(_("查看事由"))
    field = forms.ChoiceField(
        label=_("查看项目"),
        choices=[("id_number", _("身份证号码")), ("phone", _("手机号码"))],
        initial="id_number",
    )


def apply_errors(form: forms.Form, exc: ServiceError) -> None:
    """Attach a service error's messages to the form's fields (or to the
    form as a whole when the field is not on it)."""
    placed = False
    for name, messages in exc.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, str(message))
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))
