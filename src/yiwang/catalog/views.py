"""Management pages for catalog administrators (/guide/manage/…): the item
list, item edit, guide version edit (materials and steps), lifecycle buttons
from the transition table, version history and diff, and the village
admission queue. Staff only; anyone who is not a catalog administrator gets
404. Every change goes through ``catalog.services``."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.accounts.decorators import staff_required
from yiwang.core.errors import ServiceError

from . import consistency, lifecycle, selectors, services
from .api import is_catalog_admin
from .diff import diff as diff_versions
from .forms import (
    GuideForm,
    ItemFilterForm,
    ItemForm,
    LevelForm,
    MaterialFormSet,
    NoteForm,
    StepFormSet,
)
from .models import GuideStatus, GuideVersion, ItemLevel, LevelStatus, ServiceItem


def catalog_admin_required(view):
    @staff_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_catalog_admin(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _error(request, exc: ServiceError, form=None):
    if form is not None:
        for field, msgs in exc.fields.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
        if not exc.fields:
            form.add_error(None, str(exc.message))
    messages.error(request, str(exc.message))


@catalog_admin_required
def item_list(request):
    form = ItemFilterForm(request.GET or None)
    qs = selectors.items().order_by("code")
    if form.is_valid():
        d = form.cleaned_data
        if d["q"]:
            qs = qs.filter(Q(name__contains=d["q"]) | Q(code__startswith=d["q"]))
        if d["department"]:
            qs = qs.filter(department=d["department"])
        if d["item_type"]:
            qs = qs.filter(item_type=d["item_type"])
        if d["level"]:
            qs = qs.filter(
                Exists(
                    ItemLevel.objects.filter(
                        item=OuterRef("pk"), level=d["level"], status=LevelStatus.APPROVED
                    )
                )
            )
        if d["status"]:
            qs = qs.filter(
                Exists(GuideVersion.objects.filter(item=OuterRef("pk"), status=d["status"]))
            )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    statuses = {}
    for item_id, number, status, generated in GuideVersion.objects.filter(
        item__in=[i.pk for i in page]
    ).values_list("item_id", "number", "status", "is_generated"):
        statuses.setdefault(item_id, []).append((number, status, generated))
    rows = [(i, sorted(statuses.get(i.pk, []), reverse=True)) for i in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "catalog/manage/item_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "requests": selectors.village_requests().count(),
            "status_labels": dict(GuideStatus.choices),
        },
    )


@catalog_admin_required
def item_create(request):
    form = ItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            item = services.create_item(
                by=request.user,
                code=d["code"],
                name=d["name"],
                group=d["group"],
                item_type=d["item_type"],
                department=d["department"],
                service_objects=d["service_objects"],
                halls=d["halls"],
                levels=("county",),
                themes=d["themes"] or None,
                life_events=d["life_events"] or None,
            )
        except ServiceError as exc:
            _error(request, exc, form)
        else:
            messages.success(request, _("已新建事项 %(code)s") % {"code": item.code})
            return redirect("catalog:manage_item", pk=item.pk)
    return render(request, "catalog/manage/item_form.html", {"form": form, "item": None})


@catalog_admin_required
def item_edit(request, pk):
    item = get_object_or_404(selectors.items(), pk=pk)
    initial = {
        "code": item.code,
        "name": item.name,
        "group": item.group,
        "item_type": item.item_type,
        "department": item.department,
        "service_objects": item.service_objects,
        "halls": list(item.halls.all()),
        "is_active": item.is_active,
        "themes": item.theme_list,
        "life_events": item.life_event_list,
    }
    form = ItemForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_item(
                item,
                by=request.user,
                halls=d["halls"],
                name=d["name"],
                group=d["group"],
                item_type=d["item_type"],
                department=d["department"],
                service_objects=d["service_objects"],
                is_active=d["is_active"],
                themes=d["themes"],
                life_events=d["life_events"],
            )
        except ServiceError as exc:
            _error(request, exc, form)
        else:
            messages.success(request, _("已保存"))
            return redirect("catalog:manage_item", pk=item.pk)
    return render(
        request,
        "catalog/manage/item_form.html",
        {
            "form": form,
            "item": item,
            "versions": item.versions.order_by("-number"),
            "levels": item.levels.order_by("level"),
            "level_form": LevelForm(),
            "open_version": selectors.open_version(item),
        },
    )


@catalog_admin_required
@require_POST
def draft_create(request, pk):
    item = get_object_or_404(ServiceItem, pk=pk)
    try:
        version = services.create_draft(item, by=request.user)
    except ServiceError as exc:
        _error(request, exc)
        return redirect("catalog:manage_item", pk=item.pk)
    messages.success(request, _("已新建草稿 v%(n)d") % {"n": version.number})
    return redirect("catalog:manage_version", pk=version.pk)


def _material_initial(version):
    return [
        {
            "id": m.pk,
            "name": m.name,
            "issuing_body": m.issuing_body,
            "originals": m.originals,
            "copies": m.copies,
            "required": m.required,
            "source": m.source,
            "is_proof": m.is_proof,
            "proof": m.proof,
            "note": m.note,
        }
        for m in version.materials.select_related("proof").order_by("position")
    ]


def _step_initial(version):
    return [
        {
            "name": s.name,
            "department": s.department,
            "role": s.role,
            "days": s.days,
            "description": s.description,
        }
        for s in version.steps.select_related("department").order_by("position")
    ]


def _rows(formset, version=None):
    old = {m.pk: m for m in version.materials.all()} if version is not None else {}
    rows = []
    for f in formset.forms:
        if not f.has_changed() and not f.initial:
            continue
        if formset.can_delete and f.cleaned_data.get("DELETE"):
            continue
        d = {k: v for k, v in f.cleaned_data.items() if k not in ("DELETE", "id")}
        if not d.get("name"):
            continue
        if version is not None:
            previous = old.get(f.cleaned_data.get("id"))
            for file_field in ("blank_form", "sample"):
                if not d.get(file_field):
                    d[file_field] = getattr(previous, file_field) if previous else None
            if not d.get("proof"):
                d["proof"] = None
        rows.append(d)
    return rows


@catalog_admin_required
def version_edit(request, pk):
    version = get_object_or_404(
        GuideVersion.objects.select_related("item", "item__department"), pk=pk
    )
    editable = version.is_editable
    if request.method == "POST" and editable:
        form = GuideForm(request.POST, instance=version)
        materials = MaterialFormSet(request.POST, request.FILES, prefix="m")
        steps = StepFormSet(request.POST, prefix="s")
        if form.is_valid() and materials.is_valid() and steps.is_valid():
            fields = {f: form.cleaned_data[f] for f in form.Meta.fields}
            try:
                with transaction.atomic():
                    services.fill_draft(
                        version,
                        by=request.user,
                        fields=fields,
                        materials=_rows(materials, version),
                        steps=_rows(steps),
                    )
            except ServiceError as exc:
                version.refresh_from_db()
                _error(request, exc, form)
            else:
                messages.success(request, _("草稿已保存"))
                return redirect("catalog:manage_version", pk=version.pk)
    else:
        form = GuideForm(instance=version)
        materials = MaterialFormSet(initial=_material_initial(version), prefix="m")
        steps = StepFormSet(initial=_step_initial(version), prefix="s")
        if not editable:
            for f in [form, *materials.forms, *steps.forms]:
                for field in f.fields.values():
                    field.disabled = True
    return render(
        request,
        "catalog/manage/version_form.html",
        {
            "version": version,
            "item": version.item,
            "form": form,
            "materials": materials,
            "steps": steps,
            "editable": editable,
            "actions": lifecycle.allowed_actions(version, request.user),
            "violations": consistency.violations(version),
            "note_form": NoteForm(),
        },
    )


@catalog_admin_required
@require_POST
def version_action(request, pk, action):
    version = get_object_or_404(GuideVersion, pk=pk)
    if action not in lifecycle.TRANSITIONS:
        raise Http404
    note = NoteForm(request.POST).data.get("note", "")
    try:
        kwargs = {"note": note} if action != "submit" else {}
        getattr(services, action)(version, by=request.user, **kwargs)
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(
            request,
            _("v%(n)d：%(label)s 完成")
            % {"n": version.number, "label": lifecycle.TRANSITIONS[action].label},
        )
    return redirect("catalog:manage_version", pk=version.pk)


@catalog_admin_required
def history(request, pk):
    item = get_object_or_404(selectors.items(), pk=pk)
    versions = list(
        item.versions.order_by("-number").select_related(
            "created_by", "submitted_by", "reviewed_by", "published_by", "retired_by"
        )
    )
    by_id = {str(v.pk): v for v in versions}
    new = by_id.get(request.GET.get("b")) or (versions[0] if versions else None)
    old = by_id.get(request.GET.get("a"))
    if old is None and new is not None:
        old = next((v for v in versions if v.number < new.number), None)
    changes = diff_versions(old, new) if old and new else []
    return render(
        request,
        "catalog/manage/history.html",
        {"item": item, "versions": versions, "old": old, "new": new, "changes": changes},
    )


@catalog_admin_required
@require_POST
def level_add(request, pk):
    item = get_object_or_404(ServiceItem, pk=pk)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            entry = services.set_level(
                item,
                form.cleaned_data["level"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            _error(request, exc)
        else:
            messages.success(
                request,
                _("%(level)s：%(status)s")
                % {"level": entry.get_level_display(), "status": entry.get_status_display()},
            )
    return redirect("catalog:manage_item", pk=item.pk)


@catalog_admin_required
def admission_queue(request):
    return render(
        request,
        "catalog/manage/admission.html",
        {
            "entries": selectors.village_requests(),
            "can_decide": services.is_county_catalog_admin(request.user),
            "recent": ItemLevel.objects.filter(level="village")
            .exclude(status=LevelStatus.REQUESTED)
            .select_related("item", "decided_by")
            .order_by("-decided_at")[:20],
        },
    )


@catalog_admin_required
@require_POST
def admission_decide(request, pk, decision):
    entry = get_object_or_404(ItemLevel, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if decision == "approve":
            services.approve_level(entry, by=request.user, reason=reason)
        elif decision == "reject":
            services.reject_level(entry, by=request.user, reason=reason)
        else:
            raise Http404
    except ServiceError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("已处理：%(item)s") % {"item": entry.item.name})
    return redirect(reverse("catalog:manage_admission"))


# ---------------------------------------------------------------------------
# the search synonym dictionary (同义词词典), kept by catalog administrators


def _synonym_form(data=None, initial=None):
    from .forms import SynonymForm

    return SynonymForm(data, initial=initial)


@catalog_admin_required
def synonym_list(request):
    from yiwang.core.search import services as search_services
    from yiwang.core.search.models import SearchSynonym

    form = _synonym_form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            s = search_services.create_synonym(
                actor=request.user,
                term=d["term"],
                expansions=d["expansions"],
                note=d["note"],
                is_active=d["is_active"],
            )
        except ServiceError as exc:
            _error(request, exc, form)
        else:
            messages.success(request, _("已添加：%(term)s") % {"term": s.term})
            return redirect("catalog:manage_synonyms")
    q = (request.GET.get("q") or "").strip()
    qs = SearchSynonym.objects.order_by("term")
    if q:
        qs = qs.filter(Q(term__contains=q) | Q(expansions__icontains=q))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/manage/synonyms.html",
        {"form": form, "page": page, "q": q, "trial": _trial(request)},
    )


def _trial(request):
    """Try a query against the index from the dictionary page."""
    from yiwang.core.search import search

    t = (request.GET.get("try") or "").strip()
    if not t:
        return None
    try:
        return {"q": t, "hits": search(t, kinds="item", limit=5)}
    except ServiceError as exc:
        return {"q": t, "hits": [], "error": str(exc.message)}


@catalog_admin_required
def synonym_edit(request, pk):
    from yiwang.core.search import services as search_services
    from yiwang.core.search.models import SearchSynonym

    synonym = get_object_or_404(SearchSynonym, pk=pk)
    if request.method == "POST" and request.POST.get("delete"):
        try:
            search_services.delete_synonym(actor=request.user, synonym=synonym)
        except ServiceError as exc:
            _error(request, exc)
            return redirect("catalog:manage_synonym", pk=pk)
        messages.success(request, _("已删除：%(term)s") % {"term": synonym.term})
        return redirect("catalog:manage_synonyms")
    form = _synonym_form(
        request.POST or None,
        initial={
            "term": synonym.term,
            "expansions": " / ".join(synonym.expansions),
            "note": synonym.note,
            "is_active": synonym.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            search_services.update_synonym(actor=request.user, synonym=synonym, **d)
        except ServiceError as exc:
            _error(request, exc, form)
        else:
            messages.success(request, _("已保存"))
            return redirect("catalog:manage_synonyms")
    return render(request, "catalog/manage/synonym_form.html", {"form": form, "synonym": synonym})
