"""The synonym and colloquial-name dictionary (SearchSynonym): how people
ask (身份证丢了, 养狗, 开饭店) mapped onto the catalog's words (居民身份证挂失,
犬类准养证, 食品经营许可).

Matching is by substring of the normalised query, longest term first, so a
phrase jieba would cut apart (身份证丢了 → 身份证 / 丢 / 了) still matches. A
short term such as 丢了 maps to an action (挂失, 补办); a longer one to an item.

Each process caches the active dictionary for a few seconds; changes made
through :mod:`yiwang.core.search.services` clear this process's cache at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from . import text

CACHE_SECONDS = 10.0
SOUND_MIN_CHARS = 3

_lock = threading.Lock()
_cache: dict | None = None
_cache_at = 0.0


@dataclass(frozen=True)
class SynonymMatch:
    term: str
    start: int
    end: int
    expansions: tuple[str, ...]


def invalidate() -> None:
    global _cache
    with _lock:
        _cache = None


def _load() -> dict:
    """{term: expansions} plus a pinyin index {initials or full pinyin: term}."""
    from .models import SearchSynonym

    entries = {}
    for term, expansions in SearchSynonym.objects.filter(is_active=True).values_list(
        "term", "expansions"
    ):
        key = text.normalise(term).replace(" ", "")
        exp = tuple(e for e in (text.normalise(x) for x in expansions or ()) if e)
        if key and exp:
            entries[key] = exp
    by_pinyin: dict[str, list[str]] = {}
    for key in entries:
        cjk = "".join(c for c in key if text.is_cjk_char(c))
        if len(cjk) >= 2:
            for p in {text.pinyin_full(cjk), text.pinyin_initials(cjk)}:
                by_pinyin.setdefault(p, []).append(key)
    terms_by_len = sorted(entries, key=lambda t: (-len(t), t))
    # Terms of three or more Chinese characters by their (fuzzy) sound, for
    # homophone typos in the query: 营业执造 sounds like 营业执照.
    by_sound: dict[str, list[str]] = {}
    for key in entries:
        if len(key) >= SOUND_MIN_CHARS and all(text.is_cjk_char(c) for c in key):
            by_sound.setdefault(text.fuzzy("".join(text.syllables(key))), []).append(key)
    return {
        "entries": entries,
        "by_pinyin": by_pinyin,
        "ordered": terms_by_len,
        "by_sound": by_sound,
        "sound_lengths": sorted({len(k) for ks in by_sound.values() for k in ks}, reverse=True),
    }


def dictionary() -> dict:
    global _cache, _cache_at
    now = time.monotonic()
    with _lock:
        if _cache is not None and now - _cache_at < CACHE_SECONDS:
            return _cache
    data = _load()
    with _lock:
        _cache, _cache_at = data, now
    return data


def find(query: str) -> list[SynonymMatch]:
    """Synonym terms found in the normalised query, longest first, not
    overlapping one another."""
    d = dictionary()
    q = query.replace(" ", "")
    taken = [False] * len(q)
    found = []
    for term in d["ordered"]:
        start = q.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                for i in range(start, end):
                    taken[i] = True
                found.append(SynonymMatch(term, start, end, d["entries"][term]))
                break
            start = q.find(term, start + 1)
    found.sort(key=lambda m: m.start)
    return found


def find_by_sound(query: str, taken: list[bool] | None = None) -> list[SynonymMatch]:
    """Synonym terms (three or more characters) that a stretch of the query
    *sounds* like without being written so (a homophone typo: 营业执造 →
    营业执照), longest first, not overlapping ``taken`` positions or each other."""
    d = dictionary()
    q = query.replace(" ", "")
    if not d["by_sound"] or len(q) < SOUND_MIN_CHARS:
        return []
    taken = list(taken) if taken is not None else [False] * len(q)
    sylls = [
        text.fuzzy(s) if text.is_cjk_char(c) else ""
        for c, s in zip(q, _char_pinyin(q), strict=True)
    ]
    found = []
    for n in d["sound_lengths"]:
        for start in range(0, len(q) - n + 1):
            end = start + n
            if any(taken[start:end]) or not all(sylls[start:end]):
                continue
            for term in d["by_sound"].get("".join(sylls[start:end]), ()):
                if term != q[start:end]:
                    for i in range(start, end):
                        taken[i] = True
                    found.append(SynonymMatch(term, start, end, d["entries"][term]))
                    break
    found.sort(key=lambda m: m.start)
    return found


def _char_pinyin(q: str) -> list[str]:
    """One pinyin syllable per character of ``q`` ("" for non-CJK)."""
    return [text.pinyin_full(c) if text.is_cjk_char(c) else "" for c in q]


def find_pinyin(latin: str) -> list[SynonymMatch]:
    """Synonym terms whose pinyin or initials equal a latin query (yyzz → 营业执照)."""
    d = dictionary()
    key = latin.replace(" ", "")
    out = []
    for candidate in (key, text.fuzzy(key)):
        for term in d["by_pinyin"].get(candidate, ()):
            out.append(SynonymMatch(term, 0, len(key), d["entries"][term]))
        if out:
            break
    return out


# --- the starter dictionary -------------------------------------------------
# Written for this platform from the district's real item list: every
# expansion uses the words the catalog itself uses, so the expansion finds
# the item. Operators extend it in the admin or through the API.

DEFAULT_SYNONYMS: list[tuple[str, list[str], str]] = [
    # identity and household
    ("身份证丢了", ["居民身份证挂失", "居民身份证办理"], "证件遗失"),
    ("身份证掉了", ["居民身份证挂失", "居民身份证办理"], "证件遗失"),
    ("补身份证", ["居民身份证办理", "居民身份证挂失"], ""),
    ("办身份证", ["居民身份证办理"], ""),
    ("身份证过期", ["居民身份证办理"], "到期换领"),
    ("身份证到期", ["居民身份证办理"], "到期换领"),
    ("临时身份证", ["居民身份证办理 临时", "临时身份证明"], ""),
    ("外地办身份证", ["居民身份证跨省异地办理", "居民身份证省内异地办理"], ""),
    ("丢了", ["挂失", "补办", "遗失补办", "补领"], "动作：遗失"),
    ("掉了", ["挂失", "补办", "遗失补办", "补领"], "动作：遗失"),
    ("弄丢", ["挂失", "补办", "遗失补办", "补领"], "动作：遗失"),
    ("不见了", ["挂失", "补办", "补领"], "动作：遗失"),
    ("过期", ["延续", "换发", "换领"], "动作：到期"),
    ("到期", ["延续", "换发", "换证", "到期"], "动作：到期"),
    ("续期", ["延续"], "动作：到期"),
    ("注册", ["注册", "设立登记"], "口语：注册公司即设立登记"),
    ("上户口", ["户口登记"], ""),
    ("户口本", ["户口登记", "户口"], ""),
    ("落户", ["户口迁移", "户口登记"], ""),
    ("迁户口", ["户口迁移审批"], ""),
    ("销户", ["户口注销", "注销户口证明"], ""),
    ("暂住证", ["居住证办理"], "旧称"),
    ("无犯罪证明", ["无犯罪记录证明"], ""),
    ("良民证", ["无犯罪记录证明"], "俗称"),
    ("出国", ["普通护照签发"], ""),
    # pets
    ("养狗", ["犬类准养证", "养犬"], ""),
    ("养条狗", ["犬类准养证"], ""),
    ("狗证", ["犬类准养证"], ""),
    ("养犬", ["犬类准养证"], ""),
    ("宠物", ["犬类准养证"], ""),
    # births, marriage, deaths
    ("生孩子", ["出生医学证明", "生育津贴", "生育医疗费"], ""),
    ("生小孩", ["出生医学证明", "生育津贴", "生育医疗费"], ""),
    ("孩子出生", ["出生医学证明", "户口登记"], ""),
    ("出生证", ["出生医学证明"], ""),
    ("产假工资", ["生育津贴"], ""),
    ("打疫苗", ["预防接种证"], ""),
    ("打预防针", ["预防接种证"], ""),
    ("结婚", ["结婚登记"], ""),
    ("领证", ["结婚登记"], "口语：领结婚证"),
    ("结婚证丢了", ["补领结婚证"], ""),
    ("离婚", ["离婚登记"], ""),
    ("领养", ["收养子女登记"], ""),
    ("去世", ["户口注销", "丧葬补助金", "死亡"], ""),
    ("过世", ["户口注销", "丧葬补助金", "死亡"], ""),
    ("丧葬费", ["丧葬补助金"], ""),
    # business
    ("营业执照", ["公司设立登记", "个体工商户设立登记", "个人独资企业设立登记"], "执照"),
    ("执照丢了", ["证照遗失补领"], ""),
    ("开公司", ["公司设立登记"], ""),
    ("注册公司", ["公司设立登记"], ""),
    ("开个体", ["个体工商户设立登记"], ""),
    ("个体户", ["个体工商户"], ""),
    ("开店", ["个体工商户设立登记", "食品经营许可"], ""),
    ("开饭店", ["食品经营许可核发", "食品小经营店备案"], ""),
    ("饭店", ["食品经营许可", "食品小经营店"], ""),
    ("饭馆", ["食品经营许可", "食品小经营店"], ""),
    ("餐馆", ["食品经营许可", "食品小经营店"], ""),
    ("小吃店", ["食品小经营店备案", "食品经营许可"], ""),
    ("餐饮", ["食品经营许可"], ""),
    ("小卖部", ["仅销售预包装食品经营者备案", "烟草专卖零售许可证"], ""),
    ("便利店", ["仅销售预包装食品经营者备案", "烟草专卖零售许可证"], ""),
    ("超市", ["仅销售预包装食品经营者备案", "烟草专卖零售许可证"], ""),
    ("卖烟", ["烟草专卖零售许可证新办"], ""),
    ("烟草证", ["烟草专卖零售许可证"], ""),
    ("烟证", ["烟草专卖零售许可证"], ""),
    ("健康证", ["食品行业从业人员预防性体检合格证"], ""),
    ("网吧", ["互联网上网服务营业场所"], ""),
    ("ktv", ["歌舞娱乐场所", "娱乐经营许可证"], ""),
    ("歌厅", ["歌舞娱乐场所", "娱乐经营许可证"], ""),
    ("宾馆", ["旅馆业特种行业许可证"], ""),
    ("民宿", ["旅馆业特种行业许可证"], ""),
    ("开药店", ["零售药店"], ""),
    ("诊所", ["中医诊所备案", "医疗机构执业"], ""),
    ("卖鞭炮", ["烟花爆竹经营（零售）许可证"], ""),
    ("开发票", ["代开增值税普通发票", "发票领用"], ""),
    ("个税", ["个人所得税"], ""),
    ("招牌", ["户外招牌设施设置"], ""),
    ("打广告", ["设置大型户外广告"], ""),
    # work, pensions, insurance
    ("失业金", ["失业保险金申领"], ""),
    ("失业补助", ["失业保险金申领"], ""),
    ("没工作了", ["失业登记", "失业保险金申领"], ""),
    ("丢了工作", ["失业登记", "失业保险金申领"], ""),
    ("找工作", ["就业登记", "求职创业补贴", "职业介绍"], ""),
    ("退休", ["正常退休", "退休申请"], ""),
    ("养老金", ["养老保险 正常退休", "养老保险 待遇"], ""),
    ("退休金", ["养老保险 正常退休", "养老保险 待遇"], ""),
    ("打零工", ["灵活就业"], ""),
    ("零工", ["灵活就业"], ""),
    ("打工", ["务工", "灵活就业"], ""),
    ("提前退休", ["提前退休申请"], ""),
    ("社保卡", ["社会保障卡"], ""),
    ("医保卡", ["社会保障卡", "医保电子凭证"], ""),
    ("交社保", ["社会保险 参保登记", "社会保险费 补缴"], ""),
    ("补缴社保", ["社会保险费补缴"], ""),
    ("看病报销", ["门诊费用报销", "住院费用报销"], ""),
    ("住院报销", ["住院费用报销"], ""),
    ("异地看病", ["转诊转院到异地就医", "异地就医"], ""),
    ("工伤", ["工伤保险", "工伤医疗"], ""),
    ("讨薪", ["劳动人事争议仲裁"], ""),
    ("欠工资", ["劳动人事争议仲裁"], ""),
    ("拖欠工资", ["劳动人事争议仲裁"], ""),
    ("劳动仲裁", ["劳动人事争议仲裁"], ""),
    ("创业贷款", ["创业担保贷款"], ""),
    ("学技术", ["就业技能培训"], ""),
    # welfare
    ("低保", ["最低生活保障"], ""),
    ("五保", ["特困人员救助供养"], "旧称"),
    ("老人补贴", ["高龄津贴", "老年人优待证"], ""),
    ("高龄补贴", ["高龄津贴"], ""),
    ("老年证", ["老年人优待证"], ""),
    ("残疾证", ["残疾人证"], ""),
    ("残疾补贴", ["困难残疾人生活补贴", "重度残疾人护理补贴"], ""),
    ("公租房", ["公共租赁住房"], ""),
    ("廉租房", ["公共租赁住房", "住房保障家庭租赁补贴"], "旧称"),
    ("租房补贴", ["住房保障家庭租赁补贴"], ""),
    ("打官司", ["法律援助"], ""),
    ("请律师", ["法律援助"], ""),
    ("养老院", ["养老机构"], ""),
    ("退伍", ["退役报到", "退役士兵"], ""),
    # transport
    ("驾照", ["机动车驾驶证"], ""),
    ("驾校", ["机动车驾驶员培训"], ""),
    ("学车", ["机动车驾驶员培训"], ""),
    ("网约车", ["网络预约出租汽车"], ""),
    ("出租车", ["巡游出租汽车"], ""),
    ("的士", ["巡游出租汽车"], ""),
    ("货车", ["道路货物运输"], ""),
    ("跑运输", ["道路运输经营", "道路运输证"], ""),
    ("车辆年审", ["客货运输车辆年度审验"], ""),
    # land, building, nature
    ("建房", ["乡村建设规划许可证"], ""),
    ("盖房", ["乡村建设规划许可证", "建筑工程施工许可证"], ""),
    ("修房子", ["乡村建设规划许可证"], ""),
    ("砍树", ["林木采伐许可证"], ""),
    ("砍", ["林木采伐"], ""),
    ("伐木", ["林木采伐许可证"], ""),
    ("打鱼", ["渔业捕捞许可"], ""),
    ("捕鱼", ["渔业捕捞许可"], ""),
    ("挖路", ["挖掘城市道路", "挖掘普通公路"], ""),
    ("自来水", ["供水报装"], ""),
    ("装水表", ["供水报装"], ""),
    # education
    ("上学", ["义务教育阶段入学", "入学办理"], ""),
    ("小学", ["义务教育阶段入学"], ""),
    ("初中", ["义务教育阶段入学"], ""),
    ("读书", ["入学", "义务教育"], ""),
    ("孩子", ["子女", "儿童"], ""),
    ("修车", ["机动车维修"], ""),
    ("报名上小学", ["学前教育、义务教育阶段入学办理"], ""),
    ("教师证", ["教师资格"], ""),
    ("助学金", ["国家助学金"], ""),
]


def load_default_synonyms(*, actor=None) -> tuple[int, int]:
    """Add the starter dictionary; entries already present (by term) are left
    as the operators edited them. Returns (added, kept)."""
    from .models import SearchSynonym
    from .services import create_synonym

    existing = set(SearchSynonym.objects.values_list("term", flat=True))
    added = kept = 0
    for term, expansions, note in DEFAULT_SYNONYMS:
        if term in existing:
            kept += 1
            continue
        create_synonym(actor=actor, term=term, expansions=expansions, note=note)
        existing.add(term)
        added += 1
    return added, kept
