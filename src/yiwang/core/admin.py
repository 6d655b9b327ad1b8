"""Admin pages of the kernel: the working-day calendar (edited only through
its service functions) and the audit trail (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import calendar_services as services
from .audit import AuditEntry
from .calendar import CalendarOverride, CalendarYear
from .errors import ServiceError


def _as_validation_error(exc: ServiceError) -> ValidationError:
    if exc.fields:
        return ValidationError({k: [str(m) for m in v] for k, v in exc.fields.items()})
    return ValidationError(str(exc.message))


class CalendarOverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "is_workday", "reason"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["reason"] = services.validate_override(
                data.get("date") or self.instance.date, data.get("is_workday"), data.get("reason")
            )
        except ServiceError as exc:
            raise _as_validation_error(exc)
        return data

    def validate_unique(self):
        # The service updates an existing override of the same date.
        pass


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    form = CalendarOverrideForm
    list_display = ["date", "weekday", "is_workday", "reason", "year_import", "created_by"]
    list_filter = ["is_workday", "year_import"]
    search_fields = ["reason"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("星期"))
    def weekday(self, obj):
        return services.WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        return ["date", "year_import", "created_by", "created_at"] if obj else []

    def save_model(self, request, obj, form, change):
        saved = services.set_override(obj.date, obj.is_workday, obj.reason, by=request.user)
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.created_by = saved.created_by
        obj.year_import = saved.year_import
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.remove_override(obj.date, by=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for day in list(queryset.values_list("date", flat=True)):
                services.remove_override(day, by=request.user)


class CalendarYearAddForm(forms.ModelForm):
    """Add a year from the State Council's notice: a CSV file of date,kind,name."""

    file = forms.FileField(
        label=_("放假安排文件"),
        help_text=_(
            "CSV：每行“日期,类型,名称”，类型为 holiday（休）或 workday（班）；见 docs/calendar.md"
        ),
    )
    replace = forms.BooleanField(label=_("替换已导入的同一年度"), required=False)

    class Meta:
        model = CalendarYear
        fields = ["year", "source", "note"]

    def validate_unique(self):
        # Re-importing is decided by the service (``replace``).
        pass

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["rows"] = services.read_year_csv(data["file"].read())
            services.check_import_year(
                data["year"], data["rows"], source=data.get("source"), replace=data.get("replace")
            )
        except ServiceError as exc:
            raise _as_validation_error(exc)
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Years covered locally. Added by importing a file (validated in full
    before anything is written); never edited in place; deleting withdraws the
    year and the overrides its import created."""

    list_display = ["year", "source", "override_count", "created_by", "created_at"]
    readonly_fields = ["year", "source", "note", "created_by", "created_at"]

    @admin.display(description=_("导入的日期数"))
    def override_count(self, obj):
        return obj.overrides.count()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = CalendarYearAddForm
            kwargs["fields"] = ["year", "source", "note", "file", "replace"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = services.import_year(
            form.cleaned_data["year"],
            form.cleaned_data["rows"],
            by=request.user,
            source=form.cleaned_data["source"],
            note=form.cleaned_data.get("note", ""),
            replace=form.cleaned_data.get("replace", False),
        )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.remove_year(obj.year, by=request.user)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for year in list(queryset.values_list("year", flat=True)):
                services.remove_year(year, by=request.user)

    def get_deleted_objects(self, objs, request):
        # The service removes the imported overrides with the year: don't let
        # their PROTECT block the confirmation page.
        return [str(o) for o in objs], {}, set(), []


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail, read-only: entries are only ever appended by services."""

    list_display = ["at", "stream", "seq", "actor_name", "action", "target_type", "target_id"]
    list_filter = ["action", "channel", "target_type"]
    search_fields = ["stream", "actor_name", "target_id", "action"]
    date_hierarchy = "at"
    ordering = ["-at"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
