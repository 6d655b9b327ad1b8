"""Plausible, made-up guide data for the demo catalog (演示数据).

The real item list has names and codes only. For the demo, each item gets a
guide generated deterministically from its code (the same code always gives
the same guide): legal basis, conditions, 2–5 materials, steps by item type
with day limits summing to no more than the promised limit, fees (mostly
不收费), visits and online depth — all built to pass the consistency rules,
and marked ``is_generated`` so pages label them "演示数据".
"""

from __future__ import annotations

import hashlib
import random

from .codesets import (
    CaseType,
    HandlingForm,
    ItemType,
    MaterialSource,
    OnlineDepth,
    Scope,
    ServiceObject,
    TimeUnit,
)

GENERATED_NOTE = "【演示数据】本指南内容由系统生成，仅供演示，不代表真实办事要求。"

COUNTY_NAME = "广安区"
CENTRE = "广安区政务服务中心"
HOURS = "周一至周五 上午9:00—12:00，下午13:30—17:30（法定节假日除外）"
COMPLAINT_PHONE = "12345"

LAWS_BY_TYPE = {
    ItemType.ADMINISTRATIVE_LICENSE: [
        "《中华人民共和国行政许可法》第二十九条、第三十四条",
        "《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）",
    ],
    ItemType.ADMINISTRATIVE_PAYMENT: ["《社会救助暂行办法》（国务院令第649号）"],
    ItemType.ADMINISTRATIVE_CONFIRMATION: ["《四川省行政权力指导清单（2019年本）》"],
    ItemType.ADMINISTRATIVE_REWARD: ["《四川省行政奖励事项清单》"],
    ItemType.ADMINISTRATIVE_ADJUDICATION: ["《中华人民共和国土地管理法》第十四条"],
    ItemType.OTHER_POWER: ["《四川省行政权力指导清单（2019年本）》"],
    ItemType.PUBLIC_SERVICE: ["《四川省公共服务事项指导目录》"],
}
LAWS_BY_DEPARTMENT = {
    "人社": "《中华人民共和国社会保险法》",
    "交通": "《中华人民共和国道路运输条例》",
    "税务": "《中华人民共和国税收征收管理法》",
    "住建": "《中华人民共和国建筑法》",
    "自然资源": "《中华人民共和国土地管理法》",
    "公安": "《中华人民共和国居民身份证法》",
    "医疗保障": "《医疗保障基金使用监督管理条例》",
    "文广旅": "《娱乐场所管理条例》",
    "教科体": "《中华人民共和国教育法》",
    "农业农村": "《中华人民共和国农业法》",
    "司法": "《法律援助法》",
    "卫健": "《中华人民共和国基本医疗卫生与健康促进法》",
    "民政": "《社会救助暂行办法》",
    "市监": "《中华人民共和国市场主体登记管理条例》",
    "林业": "《中华人民共和国森林法》",
    "生态环境": "《中华人民共和国环境影响评价法》",
    "残联": "《中华人民共和国残疾人保障法》",
    "水务": "《中华人民共和国水法》",
    "应急": "《中华人民共和国安全生产法》",
    "退役军人": "《中华人民共和国退役军人保障法》",
    "气象": "《中华人民共和国气象法》",
    "烟草": "《中华人民共和国烟草专卖法》",
}

PERSON_MATERIALS = [
    {
        "name": "申请人居民身份证",
        "issuing_body": "公安机关",
        "originals": 1,
        "copies": 1,
        "source": MaterialSource.E_LICENSE,
    },
    {
        "name": "户口簿",
        "issuing_body": "公安机关",
        "originals": 1,
        "copies": 1,
        "source": MaterialSource.E_LICENSE,
    },
    {
        "name": "申请表",
        "issuing_body": "",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
        "note": "可在窗口领取或网上下载",
    },
    {
        "name": "近期一寸免冠彩色照片",
        "issuing_body": "",
        "originals": 2,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
    },
    {
        "name": "委托书及受托人身份证（委托办理时提供）",
        "issuing_body": "",
        "originals": 1,
        "copies": 1,
        "source": MaterialSource.APPLICANT,
        "required": False,
    },
    {
        "name": "社会保障卡",
        "issuing_body": "人力资源和社会保障部门",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.SHARED_DATA,
    },
]
ENTERPRISE_MATERIALS = [
    {
        "name": "营业执照",
        "issuing_body": "市场监督管理部门",
        "originals": 1,
        "copies": 1,
        "source": MaterialSource.E_LICENSE,
    },
    {
        "name": "法定代表人身份证",
        "issuing_body": "公安机关",
        "originals": 1,
        "copies": 1,
        "source": MaterialSource.E_LICENSE,
    },
    {
        "name": "申请书",
        "issuing_body": "",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
        "note": "加盖单位公章",
    },
    {
        "name": "场所平面图",
        "issuing_body": "",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
    },
    {
        "name": "授权委托书",
        "issuing_body": "",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
        "required": False,
    },
    {
        "name": "安全管理制度文本",
        "issuing_body": "",
        "originals": 1,
        "copies": 0,
        "source": MaterialSource.APPLICANT,
    },
]
# Proofs a demo guide may ask for — only when they are on the retained list.
DEMO_PROOFS = ["出生医学证明", "死亡医学证明", "残疾人证明"]

STEP_TEXT = {
    "受理": "窗口工作人员核验申请人身份和申请材料，材料齐全、符合法定形式的当场受理并出具受理通知书；材料不全的一次性告知需补正的全部内容。",
    "审查": "承办科室对申请材料的真实性、合法性进行审查，必要时进行实地核查。",
    "审核": "承办科室对申请材料和申请条件进行审核，提出办理意见。",
    "决定": "部门负责人根据审查意见作出准予或不予的决定；不予的，书面说明理由并告知复议、诉讼权利。",
    "办结": "制作审批结果文书，办结归档。",
    "送达": "通过窗口领取、邮政寄递或电子证照方式将结果送达申请人。",
}


def _rng(code: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(code.encode("utf-8")).digest()[:8], "big"))


def service_objects_for(name: str, item_type: str) -> list[str]:
    if any(
        w in name
        for w in ("企业", "公司", "经营", "单位", "机构", "项目", "工程", "建设", "许可证")
    ):
        objs = [ServiceObject.ENTERPRISE]
        if item_type == ItemType.ADMINISTRATIVE_LICENSE:
            objs.append(ServiceObject.NATURAL_PERSON)
        return [str(o) for o in objs]
    return [str(ServiceObject.NATURAL_PERSON)]


def _phone(rng: random.Random) -> str:
    return f"0826-{rng.randint(2300000, 2399999)}"


def _steps(
    rng: random.Random, item_type: str, promised: int, instant: bool
) -> list[tuple[str, int]]:
    if instant:
        return [("受理", 0), ("办结", 0)]
    if item_type == ItemType.ADMINISTRATIVE_LICENSE:
        names = ["受理", "审查", "决定", "办结", "送达"]
    else:
        names = ["受理", "审核", "决定", "办结"]
    # 1 day for 受理, the middle steps share the rest, 办结/送达 take 1 day if left.
    days = {n: 0 for n in names}
    budget = promised
    days["受理"] = min(1, budget)
    budget -= days["受理"]
    tail = [n for n in ("办结", "送达") if n in days]
    for n in tail:
        if budget > 2:
            days[n] = 1
            budget -= 1
    middle = [n for n in names if n not in ("受理", "办结", "送达")]
    used = rng.randint(max(0, budget - 2), budget) if budget else 0
    for i, n in enumerate(middle):
        share = used // len(middle) + (1 if i < used % len(middle) else 0)
        days[n] = share
    return [(n, days[n]) for n in names]


def generate(item, *, proofs: set[str] | None = None) -> dict:
    """``{"fields": …, "materials": […], "steps": […], "service_objects": […]}``
    for ``item`` (a ServiceItem or anything with code, name, item_type and
    department). ``proofs`` are the names on the retained-proofs list."""
    rng = _rng(item.code)
    name = item.name
    item_type = item.item_type
    dept_name = item.department.name if getattr(item, "department", None) else ""
    objects = service_objects_for(name, item_type)
    enterprise = ServiceObject.ENTERPRISE in objects

    # Online depth, visits, case type.
    if item_type == ItemType.PUBLIC_SERVICE:
        depth = rng.choice(
            [
                OnlineDepth.ON_THE_SPOT,
                OnlineDepth.ON_THE_SPOT,
                OnlineDepth.FULL_ONLINE,
                OnlineDepth.ONE_VISIT,
            ]
        )
    elif item_type == ItemType.ADMINISTRATIVE_LICENSE:
        depth = rng.choice(
            [
                OnlineDepth.ONE_VISIT,
                OnlineDepth.ONE_VISIT,
                OnlineDepth.FULL_ONLINE,
                OnlineDepth.ON_SITE,
            ]
        )
    else:
        depth = rng.choice(
            [
                OnlineDepth.ONE_VISIT,
                OnlineDepth.FULL_ONLINE,
                OnlineDepth.ON_THE_SPOT,
                OnlineDepth.ON_SITE,
            ]
        )
    instant = depth == OnlineDepth.ON_THE_SPOT
    if depth == OnlineDepth.FULL_ONLINE:
        visits, reason = 0, ""
        forms = [HandlingForm.PC_ONLINE, HandlingForm.MOBILE_ONLINE]
    elif depth == OnlineDepth.ONE_VISIT:
        visits, reason = (
            1,
            rng.choice(
                ["领取审批结果时需核验原件", "需现场核验申请人身份", "需现场签署告知承诺书"]
            ),
        )
        forms = [HandlingForm.WINDOW, HandlingForm.PC_ONLINE, HandlingForm.MOBILE_ONLINE]
    elif instant:
        visits, reason = 1, "需现场核验身份，材料齐全当场办结"
        forms = [HandlingForm.WINDOW, HandlingForm.MOBILE_ONLINE]
    else:
        visits, reason = 2, "提交申请时需核验原件，领取结果时需本人签收"
        forms = [HandlingForm.WINDOW]
    if rng.random() < 0.3:
        forms.append(HandlingForm.MAIL)

    # Time limits (working days): promised ≤ statutory; steps sum ≤ promised.
    if instant:
        promised, statutory = 0, rng.choice([1, 5])
    elif item_type == ItemType.ADMINISTRATIVE_LICENSE:
        statutory = 20
        promised = rng.randint(5, 15)
    else:
        promised = rng.randint(3, 15)
        statutory = promised + rng.choice([0, 5, 10, 15])
    steps = [
        {
            "name": n,
            "days": d,
            "role": "clerk" if n in ("受理", "送达") else "approver",
            "description": STEP_TEXT.get(n, ""),
        }
        for n, d in _steps(rng, item_type, promised, instant)
    ]

    # Materials: 2–5 of the pool, the first two always (identity + form).
    pool = ENTERPRISE_MATERIALS if enterprise else PERSON_MATERIALS
    count = rng.randint(2, 5)
    chosen = pool[:2] + rng.sample(pool[2:], count - 2)
    materials = [dict(m) for m in chosen]
    available = sorted(set(DEMO_PROOFS) & set(proofs or ()))
    if available and not enterprise and rng.random() < 0.08:
        proof = rng.choice(available)
        materials.append(
            {
                "name": proof,
                "issuing_body": "医疗机构" if "医学" in proof else "残疾人联合会",
                "originals": 1,
                "copies": 1,
                "source": MaterialSource.APPLICANT,
                "is_proof": True,
                "proof": proof,
            }
        )

    # Fees: mostly not charged.
    charged = item_type == ItemType.ADMINISTRATIVE_LICENSE and rng.random() < 0.1
    laws = list(LAWS_BY_TYPE.get(item_type, LAWS_BY_TYPE[ItemType.OTHER_POWER]))
    for key, law in LAWS_BY_DEPARTMENT.items():
        if key in dept_name:
            laws.insert(0, law)
            break
    applicant = (
        "在本区登记注册的企业和其他组织"
        if enterprise
        else "本区常住居民（含户籍居民和持居住证的居民）"
    )
    room = rng.randint(1, 3)
    window = rng.randint(1, 40)
    fields = {
        "name": name,
        "is_generated": True,
        "legal_basis": "；".join(laws[:2]),
        "conditions": f"1. 申请人为{applicant}；\n2. 符合{name}的法定条件；\n3. 申请材料齐全、真实、符合法定形式。",
        "procedure": "申请 → " + " → ".join(s["name"] for s in steps) + "。" + GENERATED_NOTE,
        "promised_days": promised,
        "promised_unit": TimeUnit.WORKING_DAY,
        "promised_note": "即来即办，材料齐全当场办结" if instant else "自受理之日起计算",
        "statutory_days": statutory,
        "statutory_unit": TimeUnit.WORKING_DAY,
        "statutory_note": "",
        "fee_charged": charged,
        "fee_basis": "《四川省行政事业性收费目录清单》" if charged else "",
        "fee_standard": f"按规定标准收取，{rng.choice([10, 20, 50])}元/件" if charged else "不收费",
        "online_depth": depth,
        "visits": visits,
        "visits_reason": reason,
        "handling_forms": [str(f) for f in forms],
        "case_type": CaseType.INSTANT if instant else CaseType.PROMISED,
        "handling_place": f"{CENTRE}{room}楼{window}号窗口（{dept_name}）",
        "handling_hours": HOURS,
        "consult_phone": _phone(rng),
        "complaint_phone": COMPLAINT_PHONE,
        "online_url": "https://www.sczwfw.gov.cn/",
        "result_name": f"{name}结果文书" if not instant else "办理回执",
        "result_delivery": rng.choice(["窗口领取", "窗口领取或邮政寄递", "电子证照"]),
        "intermediary_services": "无",
        "quantity_limit": "无数量限制",
        "special_procedures": "实地核查（不计入办理时限）"
        if item_type == ItemType.ADMINISTRATIVE_LICENSE
        else "无",
        "scope": rng.choice([Scope.COUNTY, Scope.COUNTY, Scope.CROSS_COUNTY, Scope.NONE]),
        "supports_appointment": rng.random() < 0.6,
        "supports_online_payment": charged,
        "supports_delivery": HandlingForm.MAIL in forms,
        "faq": (
            f"问：办理“{name}”需要本人到场吗？\n答："
            + (
                "不需要，可通过网上全程办理。"
                if visits == 0
                else f"需要到现场{visits}次：{reason}。"
            )
            + "\n问：可以委托他人代办吗？\n答：可以，受托人须携带授权委托书和本人身份证件。"
        ),
    }
    return {"fields": fields, "materials": materials, "steps": steps, "service_objects": objects}
