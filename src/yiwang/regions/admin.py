"""The admin for divisions, halls, windows and departments.

Only superusers and system administrators get here. Every save goes through
``regions.services`` (which validates and writes the audit entry); "delete"
retires — nothing is ever deleted. Each change page shows the object's
history from the audit trail.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from yiwang.core.audit import AuditEntry
from yiwang.core.errors import ServiceError, ValidationFailed

from . import services
from .models import Department, Hall, Region, Window
from .rules import can_administer

# --------------------------------------------------------------------------
# forms: validate through the services' own checks so errors land on fields


class ServiceCheckedForm(forms.ModelForm):
    """Runs ``service_check(cleaned_data)`` in ``clean`` and maps a
    ValidationFailed's fields onto the form."""

    @property
    def existing(self):
        """The object being changed, or None on an add form (UUID keys are
        set on construction, so ``pk`` says nothing)."""
        return None if self.instance._state.adding else self.instance

    def service_check(self, data):  # pragma: no cover - overridden
        pass

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                self.service_check(data)
            except ValidationFailed as exc:
                placed = False
                for name, msgs in exc.fields.items():
                    if name in self.fields:
                        self.add_error(name, msgs)
                        placed = True
                if not placed:
                    raise forms.ValidationError(str(exc.message))
        return data

    def _post_clean(self):
        # The services validate; skip the model's own full_clean (which would
        # trip over fields the services fill in, such as a region's level).
        pass


class RegionForm(ServiceCheckedForm):
    class Meta:
        model = Region
        fields = ["code", "name"]

    def service_check(self, data):
        if self.existing is None:
            services.validate_new_region(code=data.get("code", ""), name=data.get("name", ""))


class HallForm(ServiceCheckedForm):
    class Meta:
        model = Hall
        fields = ["region", "name", "kind", "address", "phone", "opening_hours"]

    def service_check(self, data):
        services.validate_hall(
            region=data.get("region"),
            name=data.get("name", ""),
            kind=data.get("kind"),
            hall=self.existing,
        )


class WindowForm(ServiceCheckedForm):
    class Meta:
        model = Window
        fields = ["hall", "number", "name", "category", "is_comprehensive", "departments"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "category"):
            self.fields[name].required = False
        self.fields["name"].help_text = _("留空则为“类别+窗口”")

    def service_check(self, data):
        services.validate_window(
            hall=data.get("hall") or (self.existing and self.existing.hall),
            number=data.get("number", ""),
            name=data.get("name", ""),
            category=data.get("category", ""),
            is_comprehensive=data.get("is_comprehensive", False),
            departments=data.get("departments") or [],
            window=self.existing,
        )


class DepartmentForm(ServiceCheckedForm):
    class Meta:
        model = Department
        fields = ["name", "short_name", "code", "region"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].required = False
        self.fields["region"].help_text = _("留空则为本县（区）")

    def service_check(self, data):
        services.validate_department(
            name=data.get("name", ""),
            short_name=data.get("short_name", ""),
            code=data.get("code", ""),
            department=self.existing,
        )


# --------------------------------------------------------------------------
# the shared admin behaviour


class ServiceAdmin(admin.ModelAdmin):
    """Routes saves to services, deletes to retire, and shows history."""

    retire_service = None
    reactivate_service = None
    actions = ["retire_selected", "reactivate_selected"]

    # -- who
    def _allowed(self, request) -> bool:
        return bool(can_administer(request.user))

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        # "Delete" retires; offered on active objects only.
        return self._allowed(request) and (obj is None or obj.is_active)

    # -- writes go through services
    def save_model(self, request, obj, form, change):
        raise NotImplementedError

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields are written by the services.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        type(self).retire_service(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.filter(is_active=True):
            type(self).retire_service(obj, by=request.user)

    def get_deleted_objects(self, objs, request):
        # Retiring removes nothing, so nothing below is "deleted" or protected.
        return [str(o) for o in objs], {}, set(), []

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "title": _("确认撤销（停用，保留历史）")}
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _lifecycle(self, request, queryset, service, wanted_active: bool):
        done, failed = 0, []
        for obj in queryset:
            if obj.is_active != wanted_active:
                continue
            try:
                with transaction.atomic():
                    service(obj, by=request.user)
                done += 1
            except ServiceError as exc:
                failed.append(f"{obj}：{exc.message}")
        if done:
            self.message_user(request, _("已处理 %(n)d 项") % {"n": done}, messages.SUCCESS)
        for msg in failed:
            self.message_user(request, msg, messages.ERROR)

    @admin.action(description=_("撤销所选（停用，保留历史）"))
    def retire_selected(self, request, queryset):
        self._lifecycle(request, queryset, type(self).retire_service, True)

    @admin.action(description=_("恢复所选"))
    def reactivate_selected(self, request, queryset):
        self._lifecycle(request, queryset, type(self).reactivate_service, False)

    # -- history
    @admin.display(description=_("变更历史"))
    def history(self, obj):
        if obj is None or obj._state.adding:
            return "-"
        entries = AuditEntry.objects.filter(
            target_type=obj._meta.label_lower, target_id=str(obj.pk)
        ).order_by("-at", "-seq")[:100]
        return render_to_string("regions/admin_history.html", {"entries": entries})

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["is_active", "retired_at", "history"]
        return fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        for name in ("is_active", "retired_at", "history"):
            if name in fields:
                fields.remove(name)
        if obj is not None:
            fields += ["is_active", "retired_at", "history"]
        return fields

    @staticmethod
    def adopt(obj, created) -> None:
        """Make the admin's unsaved ``obj`` the row the service created."""
        obj.pk = created.pk
        obj.refresh_from_db()
        obj._state.adding = False

    @staticmethod
    def changed(form, names) -> dict:
        return {n: form.cleaned_data[n] for n in names if n in form.changed_data}


@admin.register(Region)
class RegionAdmin(ServiceAdmin):
    form = RegionForm
    list_display = ["indented_name", "code", "level", "is_active", "retired_at"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    ordering = ["path"]
    list_per_page = 100
    retire_service = staticmethod(services.retire_region)
    reactivate_service = staticmethod(services.reactivate_region)

    @admin.display(description=_("名称"), ordering="path")
    def indented_name(self, obj):
        depth = {"county": 0, "town": 1, "village": 2}.get(obj.level, 0)
        return "　" * (2 * depth) + obj.name

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None:
            fields = ["code", "level", "parent", *fields]
        return fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["code", "name"]
        return ["code", "name", "level", "parent", "is_active", "retired_at", "history"]

    def save_model(self, request, obj, form, change):
        if not change:
            created = services.create_region(
                by=request.user, code=form.cleaned_data["code"], name=form.cleaned_data["name"]
            )
            self.adopt(obj, created)
        elif "name" in form.changed_data:
            current = Region.objects.get(pk=obj.pk)
            services.rename_region(current, by=request.user, name=form.cleaned_data["name"])


@admin.register(Hall)
class HallAdmin(ServiceAdmin):
    form = HallForm
    list_display = ["name", "kind", "region", "phone", "is_active"]
    list_filter = ["kind", "region__level", "is_active"]
    search_fields = ["name", "region__name", "region__code", "address"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    ordering = ["region__path", "name"]
    retire_service = staticmethod(services.retire_hall)
    reactivate_service = staticmethod(services.reactivate_hall)

    def save_model(self, request, obj, form, change):
        names = ["region", "name", "kind", "address", "phone", "opening_hours"]
        if not change:
            created = services.create_hall(
                by=request.user, **{n: form.cleaned_data[n] for n in names}
            )
            self.adopt(obj, created)
        else:
            current = Hall.objects.select_related("region").get(pk=obj.pk)
            services.update_hall(current, by=request.user, **self.changed(form, names))


@admin.register(Window)
class WindowAdmin(ServiceAdmin):
    form = WindowForm
    list_display = ["hall", "number", "name", "category", "is_comprehensive", "is_active"]
    list_filter = ["is_comprehensive", "category", "hall__kind", "is_active"]
    search_fields = ["name", "category", "hall__name", "hall__region__name"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall"]
    filter_horizontal = ["departments"]
    ordering = ["hall__region__path", "hall__name", "number"]
    retire_service = staticmethod(services.retire_window)
    reactivate_service = staticmethod(services.reactivate_window)

    def save_model(self, request, obj, form, change):
        names = ["number", "name", "category", "is_comprehensive", "departments"]
        if not change:
            created = services.create_window(
                by=request.user,
                hall=form.cleaned_data["hall"],
                **{n: form.cleaned_data[n] for n in names},
            )
            self.adopt(obj, created)
        else:
            current = Window.objects.select_related("hall").get(pk=obj.pk)
            services.update_window(current, by=request.user, **self.changed(form, names))

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return ["hall", *fields] if obj is not None else fields


@admin.register(Department)
class DepartmentAdmin(ServiceAdmin):
    form = DepartmentForm
    list_display = ["name", "short_name", "code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "short_name", "code"]
    ordering = ["name"]
    retire_service = staticmethod(services.retire_department)
    reactivate_service = staticmethod(services.reactivate_department)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "short_name", "code", "region"]
        return ["name", "short_name", "code", "is_active", "retired_at", "history"]

    def save_model(self, request, obj, form, change):
        names = ["name", "short_name", "code"]
        if not change:
            created = services.create_department(
                by=request.user,
                region=form.cleaned_data.get("region"),
                **{n: form.cleaned_data[n] for n in names},
            )
            self.adopt(obj, created)
        else:
            current = Department.objects.get(pk=obj.pk)
            services.update_department(current, by=request.user, **self.changed(form, names))
