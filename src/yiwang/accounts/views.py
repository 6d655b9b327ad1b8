"""Account pages: one login page (public and staff tabs), logout,
registration, the profile page, TOTP set-up, and the staff's citizen
lookup (scoped: a citizen outside the clerk's region is a 404)."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from yiwang.core import pii
from yiwang.core.errors import ServiceError, ValidationFailed

from . import forms, services
from .decorators import public_login_required, staff_login_url, staff_required
from .models import AccountKind, AccountStatus, User
from .rules import CITIZEN_RECORDS
from .scopes import get_scoped_object_or_404, scope_queryset

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _workbench_url() -> str:
    try:
        return reverse("web:workbench")
    except NoReverseMatch:
        return reverse("accounts:citizens")


# ---------------------------------------------------------------------------
# Login / logout


@require_http_methods(["GET", "POST"])
def login_view(request):
    tab = request.POST.get("tab") or request.GET.get("tab") or "public"
    if tab not in ("public", "staff"):
        tab = "public"
    public_form = forms.PublicLoginForm(
        request.POST if tab == "public" and request.method == "POST" else None
    )
    staff_form = forms.StaffLoginForm(
        request.POST if tab == "staff" and request.method == "POST" else None
    )
    status = 200
    if request.method == "POST":
        form = public_form if tab == "public" else staff_form
        form.is_valid()
        try:
            if tab == "public":
                outcome = services.authenticate_citizen(
                    form.cleaned_data.get("identifier", ""), form.cleaned_data.get("password", "")
                )
            else:
                outcome = services.authenticate_staff(
                    form.cleaned_data.get("username", ""),
                    form.cleaned_data.get("password", ""),
                    form.cleaned_data.get("otp_token", ""),
                )
        except ServiceError as exc:
            forms.apply_errors(form, exc)
            status = 400
        else:
            auth_login(request, outcome.user, backend=BACKEND)
            if outcome.device is not None:
                otp_login(request, outcome.device)
            if outcome.needs_totp_setup:
                messages.info(request, _("首次登录请先设置动态验证码"))
                return HttpResponseRedirect(reverse("accounts:totp"))
            fallback = (
                _workbench_url()
                if outcome.user.kind == AccountKind.STAFF
                else reverse("accounts:me")
            )
            return HttpResponseRedirect(_next(request, fallback))
    return render(
        request,
        "accounts/login.html",
        {
            "tab": tab,
            "public_form": public_form,
            "staff_form": staff_form,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def logout_view(request):
    if request.method == "POST":
        auth_logout(request)
        messages.success(request, _("您已安全退出"))
        return HttpResponseRedirect(reverse("web:home"))
    return render(request, "accounts/logout.html")


# ---------------------------------------------------------------------------
# Registration


@require_http_methods(["GET", "POST"])
def register_view(request):
    kind = request.POST.get("kind") or request.GET.get("kind") or "citizen"
    if kind not in ("citizen", "enterprise"):
        kind = "citizen"
    posted = request.method == "POST"
    citizen_form = forms.CitizenRegisterForm(request.POST if posted and kind == "citizen" else None)
    enterprise_form = forms.EnterpriseRegisterForm(
        request.POST if posted and kind == "enterprise" else None
    )
    status = 200
    if posted:
        form = citizen_form if kind == "citizen" else enterprise_form
        form.is_valid()
        data = form.cleaned_data
        try:
            if data.get("password") != data.get("password2"):
                message = _("两次输入的密码不一致")
                raise ValidationFailed(
                    message, code="password.mismatch", fields={"password2": [message]}
                )
            if kind == "citizen":
                user = services.register_citizen(
                    data.get("id_number", ""),
                    data.get("real_name", ""),
                    data.get("phone", ""),
                    data.get("password", ""),
                    data.get("region_code") or None,
                )
            else:
                user = services.register_enterprise(
                    data.get("credit_code", ""),
                    data.get("name", ""),
                    data.get("legal_representative", ""),
                    data.get("phone", ""),
                    data.get("password", ""),
                    data.get("region_code") or None,
                )
        except ServiceError as exc:
            forms.apply_errors(form, exc)
            status = 400
        else:
            auth_login(request, user, backend=BACKEND)
            messages.success(request, _("注册成功，欢迎使用一网通办"))
            return HttpResponseRedirect(reverse("accounts:me"))
    return render(
        request,
        "accounts/register.html",
        {
            "kind": kind,
            "citizen_form": citizen_form,
            "enterprise_form": enterprise_form,
            "region_groups": forms.region_choices(),
        },
        status=status,
    )


# ---------------------------------------------------------------------------
# Profile


@public_login_required
@require_http_methods(["GET", "POST"])
def me_view(request):
    user = request.user
    if (
        user.kind == AccountKind.STAFF
        and not user.is_verified()
        and services.confirmed_device(user)
    ):
        return HttpResponseRedirect(staff_login_url(request.get_full_path()))
    posted = request.method == "POST"
    # Two forms post here: the phone (the default) and the residence.
    residence_posted = posted and request.POST.get("form") == "residence"
    phone_form = forms.PhoneForm(request.POST if posted and not residence_posted else None)
    residence_form = forms.ResidenceForm(
        request.POST if residence_posted else None,
        initial={"region_code": user.region.code if user.region_id else ""},
    )
    status = 200
    if posted:
        form = residence_form if residence_posted else phone_form
        form.is_valid()
        data = form.cleaned_data
        try:
            if residence_posted:
                services.update_profile(user, user, region_code=data.get("region_code", ""))
            else:
                services.update_profile(user, user, phone=data.get("phone", ""))
        except ServiceError as exc:
            forms.apply_errors(form, exc)
            status = 400
        else:
            messages.success(
                request, _("居住地已更新") if residence_posted else _("手机号码已更新")
            )
            return HttpResponseRedirect(reverse("accounts:me"))
    user.refresh_from_db()
    return render(
        request,
        "accounts/me.html",
        {
            "account": user,
            "phone_form": phone_form,
            "residence_form": residence_form,
            "region_groups": forms.region_choices() if user.kind != AccountKind.STAFF else [],
            "deregister_form": forms.DeregisterForm(),
        },
        status=status,
    )


@public_login_required
@require_http_methods(["POST"])
def deregister_view(request):
    user = request.user
    form = forms.DeregisterForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        if not data.get("confirm"):
            message = _("请勾选确认后再注销")
            raise ValidationFailed(
                message, code="deregister.confirm", fields={"confirm": [message]}
            )
        if not user.check_password(data.get("password", "")):
            message = _("密码不正确，未注销")
            raise ValidationFailed(
                message, code="deregister.password", fields={"password": [message]}
            )
        services.deregister(user, user, data.get("reason", ""))
    except ServiceError as exc:
        forms.apply_errors(form, exc)
        return render(
            request,
            "accounts/me.html",
            {
                "account": user,
                "phone_form": forms.PhoneForm(),
                "residence_form": forms.ResidenceForm(
                    initial={"region_code": user.region.code if user.region_id else ""}
                ),
                "region_groups": forms.region_choices(),
                "deregister_form": form,
            },
            status=400,
        )
    auth_logout(request)
    messages.success(request, _("账户已注销。您的办事记录仍予保留，可随时用同一证件重新注册。"))
    return HttpResponseRedirect(reverse("web:home"))


# ---------------------------------------------------------------------------
# TOTP set-up (staff)


@require_http_methods(["GET", "POST"])
def totp_view(request):
    user = request.user
    if not user.is_authenticated:
        return HttpResponseRedirect(f"{reverse('accounts:login')}?tab=staff")
    if user.kind != AccountKind.STAFF or user.status != AccountStatus.ACTIVE:
        from django.http import Http404

        raise Http404
    has_device = services.confirmed_device(user) is not None
    # Someone with a device must prove it before replacing it.
    if has_device and not user.is_verified():
        return HttpResponseRedirect(f"{reverse('accounts:login')}?tab=staff")
    form = forms.TotpConfirmForm(
        request.POST if request.method == "POST" and "otp_token" in request.POST else None
    )
    status = 200
    if request.method == "POST" and request.POST.get("action") == "regenerate":
        services.setup_totp(user)
        return HttpResponseRedirect(reverse("accounts:totp"))
    if form.is_bound:
        form.is_valid()
        try:
            device = services.confirm_totp(user, form.cleaned_data.get("otp_token", ""))
        except ServiceError as exc:
            forms.apply_errors(form, exc)
            status = 400
        else:
            otp_login(request, device)
            messages.success(request, _("动态验证码已启用"))
            return HttpResponseRedirect(_workbench_url())
    from django_otp.plugins.otp_totp.models import TOTPDevice

    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    uri = secret = qr_svg = ""
    if pending is None and not has_device:
        pending, uri = services.setup_totp(user)
    if pending is not None:
        uri = services.totp_uri(user, pending)
        secret = services.totp_secret(pending)
        qr_svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#1d273b")
    return render(
        request,
        "accounts/totp.html",
        {
            "has_device": has_device,
            "pending": pending,
            "uri": uri,
            "secret": secret,
            "qr_svg": qr_svg,
            "form": form,
        },
        status=status,
    )


# ---------------------------------------------------------------------------
# Citizen lookup (staff)


def _citizen_queryset():
    return User.objects.exclude(kind=AccountKind.STAFF).select_related("region")


@staff_required
def citizen_list(request):
    qs = scope_queryset(request.user, _citizen_queryset(), CITIZEN_RECORDS).order_by(
        "region__code", "real_name"
    )
    q = (request.GET.get("q") or "").strip()
    if q:
        digits = pii.normalise("id_number", q)
        if len(digits) == 18:
            qs = qs.filter(id_number_hash=pii.search_hash("id_number", digits)) | qs.filter(
                credit_code=digits
            )
        elif len(digits) == 11 and digits.isdigit():
            qs = qs.filter(phone_hash=pii.search_hash("phone", digits))
        else:
            qs = qs.filter(real_name__contains=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/citizen_list.html", {"page": page, "q": q})


@staff_required
@require_http_methods(["GET", "POST"])
def citizen_detail(request, pk):
    citizen = get_scoped_object_or_404(request, _citizen_queryset(), CITIZEN_RECORDS, pk=pk)
    can_reveal = request.user.has_perm("accounts.reveal_pii", citizen)
    form = forms.RevealForm(request.POST if request.method == "POST" else None)
    revealed = None
    status = 200
    if form.is_bound:
        form.is_valid()
        try:
            if not can_reveal:
                message = _("只有辖区内的窗口人员或代办员可以查看完整个人信息")
                raise ValidationFailed(message, code="pii.forbidden")
            field = form.cleaned_data.get("field") or "id_number"
            revealed = {
                "field": field,
                "value": pii.reveal(
                    request.user, citizen, field, form.cleaned_data.get("reason", "")
                ),
            }
        except ServiceError as exc:
            forms.apply_errors(form, exc)
            status = 400
    return render(
        request,
        "accounts/citizen_detail.html",
        {"citizen": citizen, "can_reveal": can_reveal, "form": form, "revealed": revealed},
        status=status,
    )
