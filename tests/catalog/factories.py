"""Catalog test data: a guide that passes every consistency rule."""

from __future__ import annotations


def good_guide(**overrides) -> dict:
    fields = {
        "name": "临时救助审批",
        "legal_basis": "《社会救助暂行办法》第四十七条",
        "conditions": "因火灾、交通事故等意外事件导致基本生活暂时出现严重困难的家庭",
        "procedure": "申请、受理、审查、决定、办结、送达",
        "promised_days": 10,
        "promised_unit": "working_day",
        "statutory_days": 20,
        "statutory_unit": "working_day",
        "fee_charged": False,
        "fee_standard": "不收费",
        "online_depth": "one_visit",
        "visits": 1,
        "visits_reason": "领取救助金时需核验身份",
        "handling_forms": ["window", "pc_online"],
        "case_type": "promised",
        "handling_place": "广安区政务服务中心二楼民政窗口",
        "handling_hours": "工作日 9:00-17:00",
        "consult_phone": "0826-2345678",
        "complaint_phone": "12345",
        "faq": "问：可以代办吗？答：可以。",
    }
    fields.update(overrides.pop("fields", {}))
    materials = overrides.pop(
        "materials",
        [
            {
                "name": "申请人居民身份证",
                "issuing_body": "公安机关",
                "originals": 1,
                "copies": 1,
                "source": "e_license",
            },
            {"name": "临时救助申请书", "originals": 1, "copies": 0},
        ],
    )
    steps = overrides.pop(
        "steps",
        [
            {"name": "受理", "days": 1, "role": "clerk", "description": "核验身份和材料，当场受理"},
            {"name": "审查", "days": 5, "role": "approver", "description": "入户调查核实困难情况"},
            {
                "name": "决定",
                "days": 2,
                "role": "approver",
                "description": "作出是否给予救助的决定",
            },
            {"name": "办结", "days": 1, "role": "approver", "description": "发放救助金并归档"},
            {"name": "送达", "days": 1, "role": "clerk", "description": "告知申请人结果"},
        ],
    )
    return {"fields": fields, "materials": materials, "steps": steps}
