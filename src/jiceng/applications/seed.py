"""The seeded service item catalog (事项目录): about thirty items a county and its townships handle.

``seed_items`` creates the items that are missing (with their materials, template and sample files, and
review steps) and leaves existing ones alone, so administrators' changes stay. Running it twice changes
nothing the second time. Units are named by where they are found and a keyword (see models), so the
catalog fits any county whose units are named the usual way (…民政局, …社会事务办, …派出所).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.db import transaction

from jiceng.applications.models import (
    Delivery,
    ItemLevel,
    ItemMaterial,
    ReviewStep,
    ServiceItem,
    UnitScope,
)
from jiceng.audit.actions import record
from jiceng.org.models import UnitKind

if TYPE_CHECKING:
    from jiceng.accounts.models import User

CD, TS, DA, TG = (
    UnitKind.COUNTY_DEPARTMENT,
    UnitKind.TOWNSHIP_STATION,
    UnitKind.DISPATCHED_AGENCY,
    UnitKind.TOWNSHIP_GOVERNMENT,
)
ALL_PLACES = [ItemLevel.COUNTY, ItemLevel.TOWNSHIP, ItemLevel.VILLAGE]
WINDOWS = [ItemLevel.COUNTY, ItemLevel.TOWNSHIP]


@dataclass(frozen=True)
class Step:
    name: str
    scope: str
    kind: str = ""
    keyword: str = ""
    role: str = "handler"


def township(keyword: str, name: str = "审核", kind: str = TS, role: str = "handler") -> Step:
    return Step(name, UnitScope.TOWNSHIP, kind, keyword, role)


def county(keyword: str, name: str = "审批") -> Step:
    return Step(name, UnitScope.COUNTY, CD, keyword)


AT_WINDOW = Step("审批", UnitScope.WINDOW)


@dataclass(frozen=True)
class Material:
    name: str
    required: bool = True
    original: bool = False
    template: bool = False
    note: str = ""


ID_CARD = Material("申请人居民身份证", original=True)
HUKOU = Material("户口簿", original=True)


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    department: str
    scope: str
    kind: str
    keyword: str
    level: str
    legal_days: int
    promised_days: int
    steps: tuple[Step, ...]
    materials: tuple[Material, ...]
    form: dict[str, Any] = field(default_factory=dict)
    fee_cents: int = 0
    fee_basis: str = ""
    deliveries: tuple[str, ...] = (Delivery.WINDOW, Delivery.MAIL)
    accept_levels: tuple[str, ...] = tuple(ALL_PLACES)
    online: bool = True
    description: str = ""


def form(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required}


def text(title: str, max_length: int = 100, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "title": title, "maxLength": max_length, **extra}


def integer(title: str, minimum: int = 0, maximum: int = 99, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "title": title, "minimum": minimum, "maximum": maximum, **extra}


def number(title: str, minimum: float = 0, maximum: float = 1_000_000, **extra: Any) -> dict[str, Any]:
    return {"type": "number", "title": title, "minimum": minimum, "maximum": maximum, **extra}


def choice(title: str, *options: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(options)}


REASON = text("申请事由", 500)
HOUSEHOLD = integer("家庭人口数", 1, 20)
INCOME = number("家庭月人均收入（元）", 0, 100000)
DISABILITY = choice("残疾类别", "视力", "听力", "言语", "肢体", "智力", "精神", "多重")
DISABILITY_GRADE = choice("残疾等级", "一级", "二级", "三级", "四级")

ITEMS: tuple[Item, ...] = (
    Item(
        "MZ-001",
        "最低生活保障申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        30,
        20,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审批")),
        (
            Material("最低生活保障申请书", template=True),
            ID_CARD,
            HUKOU,
            Material("家庭经济状况核对授权书", template=True, note="共同生活的家庭成员均须签字"),
            Material("家庭收入及财产状况声明", template=True),
            Material("残疾证、病历等证明材料", required=False),
        ),
        form(
            ["household_size", "monthly_income", "reason"],
            household_size=HOUSEHOLD,
            monthly_income=INCOME,
            reason=REASON,
        ),
        description="共同生活的家庭成员人均收入低于当地最低生活保障标准，且财产状况符合规定的，可申请最低生活保障。",
    ),
    Item(
        "MZ-002",
        "临时救助申请",
        "乡镇人民政府（街道办事处）",
        UnitScope.TOWNSHIP,
        TG,
        "",
        ItemLevel.TOWNSHIP,
        15,
        7,
        (township("社会事务", "审核"), township("", "审批", TG, "leader")),
        (Material("临时救助申请书", template=True), ID_CARD, Material("遭遇困难的相关证明")),
        form(
            ["difficulty", "amount"],
            difficulty=choice("困难类型", "急难型", "支出型"),
            amount=number("申请金额（元）", 1, 50000),
            reason=REASON,
        ),
    ),
    Item(
        "MZ-003",
        "残疾人两项补贴申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        20,
        15,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审定")),
        (
            Material("残疾人两项补贴申请审批表", template=True),
            ID_CARD,
            Material("中华人民共和国残疾人证", original=True),
        ),
        form(
            ["category", "grade"],
            category=DISABILITY,
            grade=DISABILITY_GRADE,
            subsidy=choice("申请补贴", "困难残疾人生活补贴", "重度残疾人护理补贴", "两项都申请"),
        ),
    ),
    Item(
        "MZ-004",
        "特困人员救助供养申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        40,
        20,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审批")),
        (
            Material("特困人员救助供养申请书", template=True),
            ID_CARD,
            HUKOU,
            Material("劳动能力或收入状况证明"),
        ),
        form(["care"], care=choice("供养方式", "分散供养", "集中供养"), reason=REASON),
    ),
    Item(
        "MZ-005",
        "高龄津贴申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        20,
        10,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审批")),
        (ID_CARD, HUKOU, Material("本人银行卡（存折）复印件")),
        form(["age"], age=integer("年龄（周岁）", 80, 130)),
    ),
    Item(
        "MZ-006",
        "老年人优待证办理",
        "县民政局",
        UnitScope.WINDOW,
        "",
        "",
        ItemLevel.TOWNSHIP,
        5,
        0,
        (AT_WINDOW,),
        (ID_CARD, Material("近期免冠一寸照片")),
        deliveries=(Delivery.WINDOW,),
        description="年满60周岁的老年人可办理老年人优待证，当场办结。",
    ),
    Item(
        "MZ-007",
        "惠民殡葬补贴申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        10,
        5,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审批")),
        (
            Material("逝者居民死亡医学证明或火化证明"),
            Material("经办人居民身份证", original=True),
            Material("惠民殡葬补贴申请表", template=True),
        ),
    ),
    Item(
        "MZ-008",
        "结婚登记",
        "县民政局婚姻登记处",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.COUNTY,
        1,
        0,
        (AT_WINDOW,),
        (
            Material("双方居民身份证", original=True),
            Material("双方户口簿", original=True),
            Material("双方近期半身免冠合影照片"),
        ),
        deliveries=(Delivery.WINDOW,),
        accept_levels=(ItemLevel.COUNTY,),
        online=False,
    ),
    Item(
        "MZ-009",
        "困难群众医疗救助申请",
        "县民政局",
        UnitScope.COUNTY,
        CD,
        "民政",
        ItemLevel.TOWNSHIP,
        20,
        10,
        (township("社会事务", "乡镇审核"), county("民政", "县民政局审批")),
        (Material("医疗救助申请表", template=True), ID_CARD, Material("医疗费用发票及清单")),
        form(["expenses"], expenses=number("自付医疗费用（元）", 1, 2000000)),
    ),
    Item(
        "WJ-001",
        "生育登记",
        "县卫生健康局",
        UnitScope.WINDOW,
        "",
        "",
        ItemLevel.TOWNSHIP,
        5,
        0,
        (AT_WINDOW,),
        (Material("夫妻双方居民身份证", original=True), Material("结婚证", original=True)),
        form(
            ["child_order"],
            child_order=choice("登记孩次", "一孩", "二孩", "三孩"),
            due_date={"type": "string", "format": "date", "title": "预产期"},
        ),
        deliveries=(Delivery.WINDOW, Delivery.ELECTRONIC),
    ),
    Item(
        "WJ-002",
        "计划生育家庭特别扶助金申请",
        "县卫生健康局",
        UnitScope.COUNTY,
        CD,
        "卫生健康",
        ItemLevel.TOWNSHIP,
        30,
        20,
        (township("社会事务", "乡镇审核"), county("卫生健康", "县卫生健康局审批")),
        (Material("特别扶助申请表", template=True), ID_CARD, HUKOU, Material("独生子女父母光荣证")),
    ),
    Item(
        "GA-001",
        "居住证办理",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        15,
        10,
        (township("派出所", "派出所审核", DA), county("公安", "县公安局签发")),
        (ID_CARD, Material("居住登记证明或租赁合同"), Material("近期免冠照片")),
        form(["reason"], reason=choice("申领事由", "就业", "就读", "居住")),
    ),
    Item(
        "GA-002",
        "居民身份证换领、补领",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        60,
        20,
        (township("派出所", "派出所受理审核", DA), county("公安", "县公安局签发")),
        (HUKOU, Material("原居民身份证（换领）", required=False)),
        form(["kind"], kind=choice("申领类型", "到期换领", "损坏换领", "遗失补领")),
        fee_cents=2000,
        fee_basis="居民身份证工本费 20 元（发改价格〔2003〕2322号）",
    ),
    Item(
        "GA-003",
        "门牌号申请",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        10,
        5,
        (township("派出所", "派出所审核", DA),),
        (ID_CARD, Material("房屋产权证明或建房批准文件"), Material("房屋位置示意图", template=True)),
        form(["address"], address=text("房屋坐落", 200)),
    ),
    Item(
        "GA-004",
        "出租房屋登记备案",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        5,
        3,
        (township("派出所", "派出所审核", DA),),
        (ID_CARD, Material("房屋产权证明"), Material("房屋租赁合同"), Material("承租人身份证复印件")),
        form(
            ["address", "tenants"],
            address=text("出租房屋坐落", 200),
            tenants=integer("承租人数", 1, 50),
            rent=number("月租金（元）", 0, 100000),
        ),
    ),
    Item(
        "GA-005",
        "无犯罪记录证明开具",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        7,
        3,
        (township("派出所", "派出所审核", DA),),
        (ID_CARD, Material("用途说明")),
        form(["purpose"], purpose=text("证明用途", 100)),
        deliveries=(Delivery.WINDOW, Delivery.ELECTRONIC),
    ),
    Item(
        "GA-006",
        "户口登记项目变更更正",
        "县公安局",
        UnitScope.TOWNSHIP,
        DA,
        "派出所",
        ItemLevel.TOWNSHIP,
        30,
        10,
        (township("派出所", "派出所审核", DA), county("公安", "县公安局审批")),
        (HUKOU, ID_CARD, Material("变更更正的证明材料")),
        form(
            ["field", "new_value"],
            field=choice("变更项目", "姓名", "出生日期", "民族", "文化程度", "服务处所"),
            new_value=text("变更后内容", 100),
        ),
    ),
    Item(
        "SJ-001",
        "个体工商户登记",
        "县市场监督管理局",
        UnitScope.TOWNSHIP,
        DA,
        "市场监督",
        ItemLevel.TOWNSHIP,
        15,
        3,
        (township("市场监督", "市场监管所核准", DA),),
        (Material("个体工商户登记申请书", template=True), ID_CARD, Material("经营场所使用证明")),
        form(
            ["trade_name", "scope", "capital"],
            trade_name=text("字号名称", 50),
            scope=text("经营范围", 300),
            capital=number("资金数额（万元）", 0, 100000),
        ),
        deliveries=(Delivery.WINDOW, Delivery.MAIL, Delivery.ELECTRONIC),
    ),
    Item(
        "SJ-002",
        "食品经营许可（小餐饮）",
        "县市场监督管理局",
        UnitScope.COUNTY,
        CD,
        "市场监督",
        ItemLevel.COUNTY,
        20,
        10,
        (township("市场监督", "现场核查", DA), county("市场监督", "县市场监督管理局审批")),
        (
            Material("食品经营许可申请书", template=True),
            Material("营业执照"),
            Material("食品安全管理制度"),
            Material("经营场所平面布局图"),
        ),
        form(["area"], area=number("经营场所面积（平方米）", 1, 10000)),
    ),
    Item(
        "RS-001",
        "城乡居民基本养老保险参保登记",
        "县人力资源和社会保障局",
        UnitScope.WINDOW,
        "",
        "",
        ItemLevel.TOWNSHIP,
        5,
        0,
        (AT_WINDOW,),
        (ID_CARD, HUKOU),
        form(["grade"], grade=choice("缴费档次", "200元", "500元", "1000元", "2000元", "3000元")),
        deliveries=(Delivery.WINDOW, Delivery.ELECTRONIC),
    ),
    Item(
        "RS-002",
        "城乡居民养老保险待遇领取",
        "县人力资源和社会保障局",
        UnitScope.COUNTY,
        CD,
        "人力资源",
        ItemLevel.TOWNSHIP,
        20,
        10,
        (township("社会事务", "乡镇审核"), county("人力资源", "县人社局审批")),
        (ID_CARD, HUKOU, Material("社会保障卡")),
    ),
    Item(
        "RS-003",
        "失业登记",
        "县人力资源和社会保障局",
        UnitScope.WINDOW,
        "",
        "",
        ItemLevel.TOWNSHIP,
        5,
        0,
        (AT_WINDOW,),
        (ID_CARD, Material("解除或终止劳动合同证明", required=False)),
        deliveries=(Delivery.WINDOW, Delivery.ELECTRONIC),
    ),
    Item(
        "RS-004",
        "就业困难人员认定",
        "县人力资源和社会保障局",
        UnitScope.COUNTY,
        CD,
        "人力资源",
        ItemLevel.TOWNSHIP,
        15,
        10,
        (township("社会事务", "乡镇审核"), county("人力资源", "县人社局认定")),
        (Material("就业困难人员认定申请表", template=True), ID_CARD, Material("就业困难类别证明")),
        form(
            ["category"],
            category=choice(
                "困难类别", "大龄失业人员", "残疾人", "零就业家庭成员", "低保家庭成员", "长期失业人员"
            ),
        ),
    ),
    Item(
        "YB-001",
        "城乡居民医疗保险参保登记",
        "县医疗保障局",
        UnitScope.WINDOW,
        "",
        "",
        ItemLevel.TOWNSHIP,
        5,
        0,
        (AT_WINDOW,),
        (ID_CARD, HUKOU),
        deliveries=(Delivery.WINDOW, Delivery.ELECTRONIC),
    ),
    Item(
        "SF-001",
        "法律援助申请",
        "县司法局",
        UnitScope.COUNTY,
        CD,
        "司法",
        ItemLevel.TOWNSHIP,
        7,
        5,
        (township("司法所", "司法所审查", DA), county("司法", "县法律援助中心审批")),
        (
            Material("法律援助申请表", template=True),
            ID_CARD,
            Material("经济困难状况说明表", template=True),
            Material("与案件有关的材料"),
        ),
        form(
            ["case_type", "summary"],
            case_type=choice("案件类型", "劳动争议", "婚姻家庭", "人身损害", "其他民事", "刑事"),
            summary=text("案情简述", 1000),
        ),
    ),
    Item(
        "SF-002",
        "人民调解申请",
        "乡镇司法所",
        UnitScope.TOWNSHIP,
        DA,
        "司法所",
        ItemLevel.TOWNSHIP,
        30,
        3,
        (township("司法所", "司法所受理", DA),),
        (ID_CARD, Material("纠纷相关材料", required=False)),
        form(
            ["dispute", "other_party"],
            dispute=choice("纠纷类型", "邻里纠纷", "婚姻家庭", "损害赔偿", "土地山林", "其他"),
            other_party=text("对方当事人", 60),
        ),
        deliveries=(Delivery.WINDOW,),
    ),
    Item(
        "ZJ-001",
        "公共租赁住房申请",
        "县住房和城乡建设局",
        UnitScope.COUNTY,
        CD,
        "住房",
        ItemLevel.TOWNSHIP,
        40,
        20,
        (township("社会事务", "乡镇初审"), county("住房", "县住建局审核")),
        (
            Material("公共租赁住房申请表", template=True),
            ID_CARD,
            HUKOU,
            Material("住房情况声明", template=True),
            Material("收入证明"),
        ),
        form(["household_size", "monthly_income"], household_size=HOUSEHOLD, monthly_income=INCOME),
    ),
    Item(
        "ZR-001",
        "农村宅基地和建房（规划许可）申请",
        "乡镇人民政府",
        UnitScope.TOWNSHIP,
        TG,
        "",
        ItemLevel.TOWNSHIP,
        20,
        20,
        (township("自然资源", "自然资源所审查", DA), township("", "乡镇政府审批", TG, "leader")),
        (
            Material("农村宅基地和建房（规划许可）申请表", template=True),
            HUKOU,
            Material("村民小组会议记录"),
            Material("农房设计图或通用图"),
        ),
        form(
            ["area", "floors"],
            area=number("申请宅基地面积（平方米）", 1, 200),
            floors=integer("建房层数", 1, 4),
        ),
        accept_levels=tuple(ALL_PLACES),
    ),
    Item(
        "ZR-002",
        "不动产登记（住宅）",
        "县自然资源和规划局",
        UnitScope.COUNTY,
        CD,
        "自然资源",
        ItemLevel.COUNTY,
        30,
        5,
        (county("自然资源", "登记审核"),),
        (
            Material("不动产登记申请书", template=True),
            ID_CARD,
            Material("权属来源证明"),
            Material("不动产界址、面积等材料"),
        ),
        form(
            ["address", "area"], address=text("不动产坐落", 200), area=number("建筑面积（平方米）", 1, 100000)
        ),
        fee_cents=8000,
        fee_basis="住宅类不动产登记费 80 元/件（含第一本证书工本费）",
        accept_levels=tuple(WINDOWS),
    ),
    Item(
        "NY-001",
        "农机购置补贴申请",
        "县农业农村局",
        UnitScope.COUNTY,
        CD,
        "农业农村",
        ItemLevel.TOWNSHIP,
        30,
        15,
        (township("社会事务", "乡镇核验"), county("农业农村", "县农业农村局审批")),
        (Material("农机购置补贴申请表", template=True), ID_CARD, Material("购机发票"), Material("机具照片")),
        form(
            ["machine", "price"],
            machine=text("机具名称及型号", 100),
            price=number("购机价格（元）", 1, 5000000),
        ),
    ),
)


def _template_text(material: str, item: str, kind: str) -> bytes:
    heading = f"《{material}》{kind}"
    body = (
        f"{heading}\n\n事项：{item}\n\n申请人：________________\n公民身份号码：________________\n"
        f"联系电话：________________\n住址：________________\n\n申请事项及理由：\n\n\n\n"
        f"申请人（签字）：__________　　　　年　　月　　日\n"
    )
    if kind == "样表":
        body = body.replace("________________", "张三（示例）", 1)
    return body.encode()


@transaction.atomic
def seed_items(actor: User | None = None, *, with_files: bool = True) -> list[str]:
    """Create the catalog items that are missing; returns the codes created."""
    created = []
    existing = set(ServiceItem.objects.values_list("code", flat=True))
    for sort, spec in enumerate(ITEMS, start=1):
        if spec.code in existing:
            continue
        item = ServiceItem.objects.create(
            code=spec.code,
            name=spec.name,
            department_name=spec.department,
            department_scope=spec.scope,
            department_kind=spec.kind,
            department_keyword=spec.keyword,
            level=spec.level,
            legal_days=spec.legal_days,
            promised_days=spec.promised_days,
            fee_cents=spec.fee_cents,
            fee_basis=spec.fee_basis,
            form_schema=spec.form,
            deliveries=list(spec.deliveries),
            accept_levels=list(spec.accept_levels),
            online=spec.online,
            description=spec.description,
            sort=sort * 10,
        )
        for n, m in enumerate(spec.materials):
            material = ItemMaterial(
                item=item, name=m.name, required=m.required, original=m.original, note=m.note, sort=n
            )
            if m.template and with_files:
                material.template.save(
                    f"{spec.code}-{n}-template.txt",
                    ContentFile(_template_text(m.name, spec.name, "空白模板")),
                    save=False,
                )
                material.sample.save(
                    f"{spec.code}-{n}-sample.txt",
                    ContentFile(_template_text(m.name, spec.name, "样表")),
                    save=False,
                )
            material.save()
        ReviewStep.objects.bulk_create(
            ReviewStep(
                item=item,
                seq=i,
                name=s.name,
                scope=s.scope,
                unit_kind=s.kind,
                unit_keyword=s.keyword,
                role=s.role,
            )
            for i, s in enumerate(spec.steps)
        )
        created.append(spec.code)
    if created:
        record("service_item.seed", actor=actor, changes={"created": created})
    return created
