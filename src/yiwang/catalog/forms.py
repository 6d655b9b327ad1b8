"""Forms of the catalog management pages. They only validate input; saving
goes through ``catalog.services``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.models import Role
from yiwang.regions.models import Department, Hall

from .codesets import HandlingForm, ItemType, Level, MaterialSource, ServiceObject
from .models import GUIDE_FIELDS, GuideStatus, GuideVersion, RetainedProof
from .themes import LIFE_EVENT_CHOICES, THEME_CHOICES


class Styled:
    """Give every widget its Tabler/Bootstrap class, so the pages look like
    the rest of the workbench without per-field markup."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            if isinstance(w, (forms.CheckboxSelectMultiple, forms.RadioSelect, forms.HiddenInput)):
                continue
            if isinstance(w, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(w, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            w.attrs["class"] = (w.attrs.get("class", "") + " " + css).strip()


class ItemFilterForm(Styled, forms.Form):
    q = forms.CharField(label=_("名称或编码"), required=False)
    department = forms.ModelChoiceField(
        label=_("实施部门"), queryset=Department.objects.order_by("name"), required=False
    )
    item_type = forms.ChoiceField(
        label=_("事项类型"), choices=[("", _("全部"))] + ItemType.choices, required=False
    )
    level = forms.ChoiceField(
        label=_("层级清单"), choices=[("", _("全部"))] + Level.choices, required=False
    )
    status = forms.ChoiceField(
        label=_("指南状态"), choices=[("", _("全部"))] + GuideStatus.choices, required=False
    )


class ItemForm(Styled, forms.Form):
    code = forms.CharField(label=_("事项编码"), max_length=64)
    name = forms.CharField(label=_("事项名称"), max_length=200)
    group = forms.CharField(label=_("主项"), max_length=200, required=False)
    item_type = forms.ChoiceField(label=_("事项类型"), choices=ItemType.choices)
    department = forms.ModelChoiceField(
        label=_("实施部门"), queryset=Department.objects.order_by("name")
    )
    service_objects = forms.MultipleChoiceField(
        label=_("服务对象"),
        choices=ServiceObject.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    halls = forms.ModelMultipleChoiceField(
        label=_("可办大厅"),
        queryset=Hall.objects.filter(is_active=True)
        .select_related("region")
        .order_by("region__code", "name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    is_active = forms.BooleanField(label=_("有效"), required=False, initial=True)
    themes = forms.MultipleChoiceField(
        label=_("主题"),
        choices=THEME_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("公众按主题浏览时显示；新建时不选则按名称自动建议"),
    )
    life_events = forms.MultipleChoiceField(
        label=_("人生事件"),
        choices=LIFE_EVENT_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("编码是事项的唯一标识，创建后不能修改")


class GuideForm(Styled, forms.ModelForm):
    handling_forms = forms.MultipleChoiceField(
        label=_("办理形式"),
        choices=HandlingForm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = GuideVersion
        fields = list(GUIDE_FIELDS)
        widgets = {
            f: forms.Textarea(attrs={"rows": 3})
            for f in (
                "legal_basis",
                "conditions",
                "procedure",
                "fee_basis",
                "fee_standard",
                "intermediary_services",
                "special_procedures",
                "faq",
            )
        }


class MaterialForm(Styled, forms.Form):
    id = forms.UUIDField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("材料名称"), max_length=200)
    issuing_body = forms.CharField(label=_("出具机构"), max_length=200, required=False)
    originals = forms.IntegerField(label=_("原件"), min_value=0, max_value=99, initial=1)
    copies = forms.IntegerField(label=_("复印件"), min_value=0, max_value=99, initial=0)
    required = forms.BooleanField(label=_("必备"), required=False, initial=True)
    source = forms.ChoiceField(label=_("来源"), choices=MaterialSource.choices)
    is_proof = forms.BooleanField(label=_("属于证明"), required=False)
    proof = forms.ModelChoiceField(
        label=_("保留证明"), queryset=RetainedProof.objects.filter(is_active=True), required=False
    )
    blank_form = forms.FileField(label=_("空白表格"), required=False)
    sample = forms.FileField(label=_("示例样表"), required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class StepForm(Styled, forms.Form):
    name = forms.CharField(label=_("环节名称"), max_length=60)
    department = forms.ModelChoiceField(
        label=_("承办部门"), queryset=Department.objects.order_by("name"), required=False
    )
    role = forms.ChoiceField(
        label=_("承办角色"), choices=[("", "—")] + Role.choices, required=False
    )
    days = forms.IntegerField(label=_("时限（工作日）"), min_value=0, max_value=365, initial=1)
    description = forms.CharField(
        label=_("办理要求"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


MaterialFormSet = forms.formset_factory(MaterialForm, extra=1, can_delete=True)
StepFormSet = forms.formset_factory(StepForm, extra=1, can_delete=True)


class LevelForm(Styled, forms.Form):
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    reason = forms.CharField(label=_("理由"), max_length=500, required=False)


class NoteForm(Styled, forms.Form):
    note = forms.CharField(label=_("意见"), max_length=500, required=False)


class SynonymForm(Styled, forms.Form):
    term = forms.CharField(
        label=_("群众的说法"), max_length=50, help_text=_("如：身份证丢了、养狗")
    )
    expansions = forms.CharField(
        label=_("对应的规范说法"),
        max_length=1000,
        help_text=_("用“/”分隔多个，如：居民身份证挂失 / 居民身份证办理"),
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
