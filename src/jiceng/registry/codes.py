"""Code tables the registry validates against.

GB/T 31000-2015 tables come from ``data/gbt31000-code-tables.txt`` (read once); the smaller national tables
used beside them (ethnic groups GB/T 3304, education GB/T 4658, family relations GB/T 4761, industry sections
GB/T 4754, city-component classes CJ/T 214) are written out here.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

TABLES_FILE = Path(__file__).parent / "data" / "gbt31000-code-tables.txt"


@cache
def tables() -> dict[str, dict[str, str]]:
    """GB/T 31000 tables by identifier (e.g. "ConcernDegree"): code → name, in the standard's order."""
    result: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in TABLES_FILE.read_text(encoding="utf-8").splitlines():
        line = raw.rstrip()
        if line.startswith("## "):
            identifier = line[line.rindex("(") + 1 : line.rindex(")")]
            current = result.setdefault(identifier, {})
        elif line and not line.startswith("#") and current is not None and "\t" in line:
            code, name = line.split("\t", 1)
            current[code.strip()] = name.strip()
    return result


def table(identifier: str) -> dict[str, str]:
    return tables()[identifier]


def choices(identifier: str) -> list[tuple[str, str]]:
    return list(table(identifier).items())


def name_of(identifier: str, code: str) -> str:
    return table(identifier).get(code, "")


# GB/T 3304 民族 (two-digit codes).
ETHNICITY_NAMES = (
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
)
ETHNICITIES: list[tuple[str, str]] = [(f"{i:02d}", n) for i, n in enumerate(ETHNICITY_NAMES, start=1)] + [
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
]

# GB/T 4658 学历 (first-level codes).
EDUCATION: list[tuple[str, str]] = [
    ("10", "研究生"),
    ("20", "大学本科"),
    ("30", "大学专科"),
    ("40", "中等职业教育"),
    ("60", "普通高级中学"),
    ("70", "初级中学"),
    ("80", "小学"),
    ("90", "其他"),
]

# GB/T 4761 家庭关系 (the codes a household register uses).
RELATIONS: list[tuple[str, str]] = [
    ("02", "户主"),
    ("10", "配偶"),
    ("20", "子"),
    ("30", "女"),
    ("40", "孙子女"),
    ("50", "父母"),
    ("60", "祖父母"),
    ("70", "兄弟姐妹"),
    ("80", "其他亲属"),
    ("99", "非亲属"),
]

# GB/T 4754-2017 门类.
INDUSTRIES: list[tuple[str, str]] = [
    ("A", "农、林、牧、渔业"),
    ("B", "采矿业"),
    ("C", "制造业"),
    ("D", "电力、热力、燃气及水生产和供应业"),
    ("E", "建筑业"),
    ("F", "批发和零售业"),
    ("G", "交通运输、仓储和邮政业"),
    ("H", "住宿和餐饮业"),
    ("I", "信息传输、软件和信息技术服务业"),
    ("J", "金融业"),
    ("K", "房地产业"),
    ("L", "租赁和商务服务业"),
    ("M", "科学研究和技术服务业"),
    ("N", "水利、环境和公共设施管理业"),
    ("O", "居民服务、修理和其他服务业"),
    ("P", "教育"),
    ("Q", "卫生和社会工作"),
    ("R", "文化、体育和娱乐业"),
    ("S", "公共管理、社会保障和社会组织"),
    ("T", "国际组织"),
]

# Care groups (关爱对象): not special groups, but visible to staff in the jurisdiction.
CARE_GROUPS: list[tuple[str, str]] = [
    ("dibao", "低保对象"),
    ("tekun", "特困供养"),
    ("disabled", "残疾人"),
    ("elderly_alone", "独居老人"),
    ("empty_nest", "空巢老人"),
    ("veteran", "退役军人"),
    ("left_behind_child", "留守儿童"),
    ("serious_illness", "大病患者"),
]
CARE_GROUP_CODES = frozenset(code for code, _ in CARE_GROUPS)

# City components, CJ/T 214 / GB/T 30428.2: 大类 and the common 小类 (4 digits: 大类 + 小类).
COMPONENT_MAJOR: list[tuple[str, str]] = [
    ("01", "公用设施"),
    ("02", "道路交通"),
    ("03", "市容环境"),
    ("04", "园林绿化"),
    ("05", "房屋土地"),
    ("06", "其他设施"),
]
COMPONENT_CLASSES: dict[str, str] = {
    "0101": "上水井盖",
    "0102": "污水井盖",
    "0103": "雨水井盖",
    "0104": "雨水箅子",
    "0105": "电力井盖",
    "0106": "路灯井盖",
    "0107": "通信井盖",
    "0110": "热力井盖",
    "0111": "燃气井盖",
    "0113": "无主井盖",
    "0116": "消防栓",
    "0117": "电力设施",
    "0118": "通信交接箱",
    "0121": "路灯",
    "0124": "报刊亭",
    "0128": "公共厕所",
    "0201": "停车场",
    "0202": "公交站亭",
    "0206": "交通标志牌",
    "0207": "交通信号灯",
    "0209": "隔离护栏",
    "0210": "过街天桥",
    "0213": "路名牌",
    "0301": "公共厕所",
    "0302": "公厕指示牌",
    "0303": "垃圾间",
    "0304": "垃圾箱",
    "0305": "广告牌匾",
    "0306": "垃圾分类投放点",
    "0401": "古树名木",
    "0402": "行道树",
    "0403": "护树设施",
    "0404": "花架花钵",
    "0405": "绿地",
    "0406": "城市雕塑",
    "0408": "街头座椅",
    "0501": "宣传栏",
    "0502": "人防工事",
    "0503": "地下通道",
    "0601": "重大危险源",
    "0602": "工地",
    "0603": "水域附属设施",
    "0604": "监控电子眼",
    "0605": "消防设施",
}


# The detail fields each special group records, with the GB/T 31000 table each one is coded by.
SPECIAL_GROUP_FIELDS: dict[str, dict[str, str]] = {
    "community_correction": {
        "rectifying_category": "RectifyingCategory",  # 矫正类别
        "crime_class": "CrimesClassification",  # 罪名分类
        "four_histories": "FourHistoriesSituation",  # 四史情况
        "three_related": "ThreeRelatedCircumstances",  # 三涉情况
        "release_type": "CorrectionType",  # 矫正解除类型
    },
    "released": {
        "crime_class": "CrimesClassification",
        "risk_type": "RiskAssessmentType",  # 危险性评估类型
        "cohesion": "Cohesion",  # 衔接情况
        "resettlement": "Resettlement",  # 安置情况
        "help_situation": "HelpSituation",  # 帮扶情况
    },
    "mental": {
        "diagnosis": "CurrentDiagnosticTypes",  # 目前诊断类型
        "risk_level": "CurrentRiskAssessmentLevel",  # 目前危险性评估等级
        "treatment": "ReasonsForHospitalization",  # 实施住院治疗原因
        "family_economy": "FamilyEconomicSituation",  # 家庭经济情况
        "participation": "ParticipationInManagement",  # 参与管理人员
        "help_means": "HelpMeans",  # 帮扶手段
    },
    "drug": {
        "control": "ControlControlSituation",  # 管控情况
        "admission": "AdmissionCondition",  # 收治情况
        "help_situation": "HelpSituation",
    },
    "youth": {
        "personnel_type": "PersonnelType",  # 人员类型
        "family_situation": "FamilySituation",  # 家庭情况
        "help_means": "HelpMeans",
    },
    "left_behind": {
        "left_behind_type": "LeftBehindPersonnelType",  # 留守人员类型
        "health": "Health",  # 健康状况
        "family_economy": "FamilyEconomicSituation",
    },
    "aids": {
        "infection_pathway": "InfectionPathway",  # 感染途径
        "admission": "AdmissionCondition",
        "help_situation": "HelpSituation",
    },
}
# Every group also records how closely it is followed (关注程度).
COMMON_SPECIAL_GROUP_FIELDS: dict[str, str] = {"concern_degree": "ConcernDegree"}
