"""Django admin: read-only views of the catalog (edits go through the
management pages at /guide/manage/, which call the services)."""

from django.contrib import admin

from .models import (
    GuideVersion,
    ItemLevel,
    MaterialRequirement,
    ProcessStep,
    RetainedProof,
    ServiceItem,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceItem)
class ServiceItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "item_type", "department", "code_shape", "is_active")
    list_filter = ("item_type", "code_shape", "is_active", "department")
    search_fields = ("code", "name")


class MaterialInline(admin.TabularInline):
    model = MaterialRequirement
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class StepInline(MaterialInline):
    model = ProcessStep


@admin.register(GuideVersion)
class GuideVersionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "status", "is_generated", "published_at")
    list_filter = ("status", "is_generated")
    search_fields = ("item__code", "name")
    inlines = [MaterialInline, StepInline]


@admin.register(RetainedProof)
class RetainedProofAdmin(ReadOnlyAdmin):
    list_display = ("name", "issuing_body", "is_active")


@admin.register(ItemLevel)
class ItemLevelAdmin(ReadOnlyAdmin):
    list_display = ("item", "level", "status", "requested_at", "decided_at")
    list_filter = ("level", "status")
