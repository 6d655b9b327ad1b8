"""Demo cases (演示数据): a few cases of the demo county in every stage, so
each demo login has something to work on. Called by ``yiwang demo load``
after the catalog; idempotent (does nothing once its cases exist)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.accounts.models import User
from yiwang.catalog import selectors as catalog
from yiwang.core import pii
from yiwang.regions.models import Hall

from . import services
from .models import Case

MARK = "【演示】"
# A one-page PDF, enough to stand for a scanned material.
SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _user(username):
    return User.objects.filter(username=username).first()


def _pick_item(department, hall):
    return (
        catalog.items_for_hall(hall).filter(department=department).order_by("code").first()
        if hall
        else None
    )


def _upload_all(case, by):
    for m in case.version.materials.filter(required=True, source="applicant"):
        services.add_material(
            case,
            by=by,
            requirement=m.pk,
            upload=SimpleUploadedFile(
                f"{m.name[:40]}.pdf", SAMPLE_PDF, content_type="application/pdf"
            ),
        )


def load(stdout=None) -> dict:
    if Case.objects.filter(title__startswith=MARK).exists():
        return {"demo_cases": Case.objects.filter(title__startswith=MARK).count()}
    agent, town_clerk = _user("demo-agent"), _user("demo-town-clerk")
    county_clerk, approver = _user("demo-county-clerk"), _user("demo-approver")
    if not all((agent, town_clerk, county_clerk, approver)):
        return {"demo_cases": 0}
    department = approver.roles.filter(role="approver").first().department
    village_hall = Hall.objects.filter(region=agent.roles.first().region).first()
    town_hall = town_clerk.roles.first().hall
    county_hall = county_clerk.roles.first().hall
    citizen = (
        User.objects.filter(kind="citizen", region=agent.roles.first().region).first()
        or User.objects.filter(kind="citizen").first()
    )
    walk_in = {
        "kind": "citizen",
        "name": citizen.real_name,
        "id_number": pii.reveal_value(citizen.id_number_enc),
        "phone": pii.reveal_value(citizen.phone_enc),
    }
    made = 0

    def new(by, item, title, hall=None, **kw):
        nonlocal made
        made += 1
        return services.create_draft(
            item,
            by=by,
            hall=hall,
            applicant=None if by.kind != "staff" else walk_in,
            title=MARK + title,
            **kw,
        )

    village_item = _pick_item(department, village_hall)
    town_item = _pick_item(department, town_hall) or village_item
    county_item = _pick_item(department, county_hall)
    if village_item:
        # An agent's application for a villager, accepted in the village, waiting in the county queue.
        case = new(agent, village_item, "村代办：待部门审批", issue_hall=town_hall)
        _upload_all(case, agent)
        case = services.submit(case, by=agent)
        services.accept(case, by=agent)
        # Another waiting at the village desk.
        case = new(agent, village_item, "村代办：待受理")
        _upload_all(case, agent)
        services.submit(case, by=agent)
    if town_item:
        case = services.submit(new(town_clerk, town_item, "窗口收件：待补正"), by=town_clerk)
        services.request_corrections(
            case,
            by=town_clerk,
            items=[
                {"material": "申请人居民身份证", "reason": "复印件不清晰，请携带原件"},
                {"material": "申请书", "reason": "缺少申请人签字"},
            ],
        )
        case = services.submit(new(town_clerk, town_item, "窗口收件：办理中"), by=town_clerk)
        case = services.accept(case, by=town_clerk)
        case = services.claim(case, by=approver)
        services.pass_step(case, by=approver, opinion="材料齐全，同意")
    if county_item:
        case = new(citizen, county_item, "网上申请：草稿", hall=county_hall)
        case = new(citizen, county_item, "网上申请：特别程序", hall=county_hall)
        _upload_all(case, citizen)
        case = services.submit(case, by=citizen)
        case = services.accept(case, by=county_clerk)
        services.suspend(case, by=approver, kind="site_check", reason="需实地核查申请人家庭情况")
        case = new(citizen, county_item, "网上申请：已办结待出件", hall=county_hall)
        _upload_all(case, citizen)
        case = services.submit(case, by=citizen)
        case = services.accept(case, by=county_clerk)
        while case.status in ("accepted", "in_progress"):
            case = services.pass_step(case, by=approver, opinion="同意")
    if stdout is not None:
        stdout.write(f"演示办件 Demo cases: {made}")
    return {"demo_cases": made}
