"""Themes (主题) and life events (人生事件 / 企业事件) for browsing the catalog.

The real item list has names and departments only, so an item's themes and
life events are first *suggested* by the rules below (keywords in the name or
parent item, or the department) when the item is created or imported; a
catalog administrator can then change them on the item's edit page. What is
stored on ``ServiceItem.themes`` / ``life_events`` is what the public pages
show: the rules never overwrite an administrator's choice.

Each entry: (slug, label, icon, keywords, departments). A keyword matches as a
substring of the item name or its parent item; a department matches by exact
name. Only slugs are stored, so labels can be renamed without touching data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Category:
    slug: str
    label: str
    icon: str
    keywords: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()

    def matches(self, text: str, department: str) -> bool:
        return department in self.departments or any(k in text for k in self.keywords)


def _k(words: str) -> tuple[str, ...]:
    return tuple(words.split())


THEMES: tuple[Category, ...] = (
    Category(
        "household",
        _("户籍身份"),
        "id",
        _k("户口 户籍 身份证 居住证 身份证明 迁移 落户 出入境"),
        ("区公安分局",),
    ),
    Category(
        "social_security",
        _("社会保险"),
        "shield-check",
        _k("养老保险 社会保险 社保 参保 失业保险 工伤 生育保险 养老金 退休"),
    ),
    Category(
        "medical",
        _("医疗卫生"),
        "heart-rate-monitor",
        _k("医疗 医保 医师 护士 诊所 医院 卫生 疫苗 出生医学证明 母婴 药品 药店 定点医药"),
        ("区医疗保障局", "区卫健局"),
    ),
    Category(
        "employment",
        _("就业创业"),
        "briefcase",
        _k("就业 失业 职业 创业 培训 人才 劳动 劳务 技能 招聘"),
    ),
    Category(
        "assistance",
        _("社会救助"),
        "lifebuoy",
        _k("低保 最低生活保障 救助 特困 困难 临时救助 孤儿 无人抚养 高龄 津贴 养老服务 殡葬"),
        ("区民政局",),
    ),
    Category("disability", _("残疾人服务"), "wheelchair", _k("残疾 盲人 辅助器具"), ("区残联",)),
    Category(
        "veterans", _("退役军人"), "medal", _k("退役 军人 优抚 烈士 伤残"), ("区退役军人事务局",)
    ),
    Category(
        "education",
        _("教育"),
        "school",
        _k("学校 学生 入学 学籍 教师 幼儿园 招生 考试 资助 培训机构 民办学校"),
        ("区教科体局",),
    ),
    Category(
        "housing",
        _("住房与不动产"),
        "home",
        _k("住房 房屋 不动产 公积金 商品房 物业 拆迁 征收"),
    ),
    Category(
        "business",
        _("企业开办与经营"),
        "building-store",
        _k("公司 企业 个体 合伙 营业执照 市场主体 经营许可 食品 股东 名称 商标 广告"),
        ("区市监局",),
    ),
    Category(
        "tax", _("税收财务"), "receipt-tax", _k("税 发票 纳税 完税 代理记账"), ("广安区税务局",)
    ),
    Category(
        "construction",
        _("工程建设"),
        "building",
        _k("建设 施工 建筑 规划 工程 竣工 勘察 设计 人防 燃气 排水"),
        ("区住建局",),
    ),
    Category(
        "transport",
        _("交通出行"),
        "car",
        _k("道路 运输 车辆 驾驶 出租 客运 货运 公路 航道 船舶 水路"),
        ("区交通运输局",),
    ),
    Category(
        "agriculture",
        _("农业农村"),
        "plant",
        _k("农业 农村 农药 种子 兽药 动物 渔业 水产 农机 拖拉机 林木 森林 林业 宅基地 耕地"),
        ("区农业农村局", "区林业局"),
    ),
    Category(
        "land_environment",
        _("自然资源与环境"),
        "trees",
        _k("土地 矿 测绘 环境 排污 环评 水土保持 取水 河道 气象"),
        ("区自然资源和规划局", "区生态环境局", "区水务局", "区气象局"),
    ),
    Category(
        "culture",
        _("文化旅游体育"),
        "palette",
        _k("文化 文物 旅游 演出 娱乐 出版 广播 电视 体育 网吧 艺术"),
        ("区文广旅局",),
    ),
    Category(
        "safety",
        _("公共安全"),
        "shield-lock",
        _k("安全生产 危险化学品 烟花爆竹 消防 爆炸 应急 犬 枪支 保安"),
        ("区应急管理局", "区消防大队"),
    ),
    Category(
        "legal",
        _("司法公证"),
        "scale",
        _k("公证 律师 法律援助 调解 司法鉴定 仲裁"),
        ("区司法局",),
    ),
)

LIFE_EVENTS: tuple[Category, ...] = (
    # citizens
    Category(
        "birth", _("出生"), "baby-carriage", _k("出生 生育 新生儿 母婴 独生子女 计划生育 落户")
    ),
    Category(
        "schooling", _("上学"), "school", _k("入学 学籍 学生 招生 休学 学前 资助 考试 教师资格")
    ),
    Category(
        "work", _("工作就业"), "briefcase", _k("就业 失业 职业 创业 人才 技能 劳动 招聘 工伤")
    ),
    Category("marriage", _("婚姻家庭"), "heart", _k("婚姻 结婚 离婚 收养 亲属")),
    Category("home", _("住房置业"), "home", _k("住房 房屋 不动产 公积金 商品房 宅基地 户口迁移")),
    Category("driving", _("驾车出行"), "car", _k("驾驶 机动车 车辆 出租 网约车 道路运输证 客运")),
    Category("pets", _("养犬养宠"), "dog", _k("犬 宠物 动物诊疗 动物防疫")),
    Category(
        "illness",
        _("看病就医"),
        "stethoscope",
        _k("医疗费 医保 就医 报销 门诊 住院 慢性病 异地就医 医疗救助"),
    ),
    Category(
        "hardship",
        _("生活困难"),
        "lifebuoy",
        _k("低保 最低生活保障 救助 特困 困难 残疾 无人抚养 孤儿 零就业"),
    ),
    Category("retirement", _("退休养老"), "armchair", _k("退休 养老 高龄 老年")),
    Category("veteran", _("退役安置"), "medal", _k("退役 军人 优抚 伤残证件")),
    Category("after_death", _("身后事"), "flower", _k("死亡 丧葬 殡葬 遗属 抚恤 注销户口 身后")),
    # enterprises
    Category(
        "start_business",
        _("开办企业"),
        "building-store",
        _k("设立 开业 成立 公司 个体工商户 合伙企业 营业执照 名称 开办 食品小经营店 税务登记"),
    ),
    Category(
        "operate_business",
        _("经营许可"),
        "license",
        _k("经营许可 许可证 经营单位 生产许可 卫生许可 备案 准印证 执业"),
    ),
    Category(
        "build_project",
        _("投资建设"),
        "building",
        _k("建设项目 投资项目 施工 竣工 规划 工程 用地 人防"),
    ),
    Category("tax_payment", _("纳税缴费"), "receipt-tax", _k("税 发票 社会保险费 缴费 申报")),
    Category("close_business", _("企业注销"), "building-off", _k("注销 歇业 停业 清算 迁移调档")),
)

THEME_CHOICES = [(c.slug, c.label) for c in THEMES]
LIFE_EVENT_CHOICES = [(c.slug, c.label) for c in LIFE_EVENTS]
THEMES_BY_SLUG = {c.slug: c for c in THEMES}
LIFE_EVENTS_BY_SLUG = {c.slug: c for c in LIFE_EVENTS}


def suggest(name: str, group: str = "", department: str = "") -> tuple[list[str], list[str]]:
    """The themes and life events the rules suggest for an item."""
    text = f"{name or ''} {group if group and group != '未分类' else ''}"
    themes = [c.slug for c in THEMES if c.matches(text, department or "")]
    events = [c.slug for c in LIFE_EVENTS if c.matches(text, department or "")]
    return themes, events


def labels(slugs, table: dict[str, Category]) -> list[str]:
    return [str(table[s].label) for s in slugs or () if s in table]
