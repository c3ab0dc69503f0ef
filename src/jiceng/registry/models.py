"""The base databases (基础数据): people, households, houses, organizations, key places, components, credit.

Every record hangs on a region (its grid, else its village) and is scoped by ``region_code``.
Records are never deleted: ``deleted_at`` with a reason hides them. Personal data (ID numbers, phones,
special-group records) is encrypted at rest; the ``*_index`` columns are keyed blind indexes for exact lookup.
``search_text`` holds the tokens full-text search matches (see ``registry.search``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.fields import EncryptedTextField
from jiceng.core.scope import ScopedQuerySet
from jiceng.core.validators import mask_id_number, mask_phone
from jiceng.org.models import Region, Unit
from jiceng.registry import codes


class RecordQuerySet(ScopedQuerySet[Any]):
    def alive(self) -> RecordQuerySet:
        return self.filter(deleted_at__isnull=True)


class Record(models.Model):
    """What every registry record has: its place in the region tree, address, point, version, soft delete."""

    region = models.ForeignKey(
        Region, verbose_name=_("grid or village"), on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(_("region code"), max_length=18, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    search_text = models.TextField(blank=True, default="", editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_reason = models.CharField(_("reason for deletion"), max_length=200, blank=True)

    scope_field: ClassVar[str] = "region_code"
    # Registry kind name used in URLs, the API, imports and audit actions ("person", "house", …).
    kind: ClassVar[str]
    # The natural key imports upsert by, and the lookup the API and pages address records with.
    natural_key: ClassVar[str] = "pk"

    objects = RecordQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Sex(models.TextChoices):
    # GB/T 2261.1
    MALE = "1", _("Male")
    FEMALE = "2", _("Female")
    UNKNOWN = "0", _("Unknown")


class PopulationType(models.TextChoices):
    REGISTERED = "registered", _("Registered resident")  # 户籍人口
    FLOATING = "floating", _("Floating population")  # 流动人口
    FOREIGN = "foreign", _("Foreign national")  # 境外人员
    LODGER = "lodger", _("Lodger")  # 寄住人口
    AWAY = "away", _("Registered but living away")  # 人户分离（外出）


class Household(Record):
    """户: a household registration (户号) with its members; the head is one of them."""

    number = models.CharField(_("household number"), max_length=20, unique=True)
    head = models.ForeignKey(
        "Person",
        verbose_name=_("head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    house = models.ForeignKey(
        "House",
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="households",
    )

    kind = "household"
    natural_key = "number"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class House(Record):
    """房屋: a dwelling or building unit; rented out when ``rental_use`` is set."""

    code = models.CharField(_("house code"), max_length=24, unique=True)
    building = models.CharField(_("building"), max_length=20, blank=True)
    unit_no = models.CharField(_("entrance"), max_length=10, blank=True)
    room = models.CharField(_("room"), max_length=10, blank=True)
    use = models.CharField(_("use"), max_length=2, choices=codes.choices("ArchitecturalUse"), default="01")
    owner = models.ForeignKey(
        "Person",
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_houses",
    )
    owner_name = models.CharField(_("owner name"), max_length=100, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), null=True, blank=True)
    area_m2 = models.DecimalField(_("floor area (m²)"), max_digits=9, decimal_places=2, null=True, blank=True)
    footprint = models.JSONField(_("footprint (GeoJSON Polygon)"), null=True, blank=True)
    rental_use = models.CharField(
        _("rented out for"), max_length=2, choices=codes.choices("RentingUse"), blank=True
    )
    rental_start = models.DateField(_("rented from"), null=True, blank=True)
    rental_end = models.DateField(_("rented until"), null=True, blank=True)

    kind = "house"
    natural_key = "code"

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.address or self.code

    @property
    def is_rental(self) -> bool:
        return bool(self.rental_use)


class Person(Record):
    """实有人口: anyone living in the county, registered or not."""

    # Indexed in Meta.indexes: plain b-trees, without the LIKE twins a CharField's db_index adds on
    # PostgreSQL (names are matched exactly, pinyin and initials by an index range, phones exactly).
    name = models.CharField(_("name"), max_length=50)
    name_pinyin = models.CharField(max_length=120, blank=True, editable=False)
    name_initials = models.CharField(max_length=30, blank=True, editable=False)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_index = models.CharField(max_length=40, blank=True, default="", editable=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=codes.ETHNICITIES, default="01")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    phone_index = models.CharField(max_length=40, blank=True, default="", editable=False)
    hukou_address = models.CharField(_("household registration place"), max_length=200, blank=True)
    population_type = models.CharField(
        _("population type"), max_length=12, choices=PopulationType.choices, default=PopulationType.REGISTERED
    )
    inflow_reason = models.CharField(
        _("reason for moving in"), max_length=2, choices=codes.choices("InflowCause"), blank=True
    )
    education = models.CharField(_("education"), max_length=2, choices=codes.EDUCATION, blank=True)
    occupation = models.CharField(_("occupation"), max_length=60, blank=True)
    house = models.ForeignKey(
        House,
        verbose_name=_("house"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    relation_to_head = models.CharField(
        _("relation to the head"), max_length=2, choices=codes.RELATIONS, blank=True
    )
    care_groups = models.JSONField(_("care groups"), default=list, blank=True)

    kind = "person"
    natural_key = "id_number_index"
    blind_indexes: ClassVar[dict[str, str]] = {"id_number": "id_number_index", "phone": "phone_index"}

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"], condition=~Q(id_number_index=""), name="registry_person_unique_id"
            )
        ]
        indexes = [
            models.Index(fields=["name"], name="registry_person_name_idx"),
            models.Index(fields=["name_pinyin"], name="registry_person_pinyin_idx"),
            models.Index(fields=["name_initials"], name="registry_person_initials_idx"),
            models.Index(fields=["phone_index"], name="registry_person_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number) if self.id_number else ""

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class SpecialGroup(models.TextChoices):
    # GB/T 31000 特殊人群
    COMMUNITY_CORRECTION = "community_correction", _("Community correction")  # 社区矫正人员
    RELEASED = "released", _("Released prisoner")  # 刑满释放人员（安置帮教）
    MENTAL = "mental", _("Severe mental disorder")  # 严重精神障碍患者
    DRUG = "drug", _("Drug user")  # 吸毒人员
    YOUTH = "youth", _("Youth at risk")  # 重点青少年
    LEFT_BEHIND = "left_behind", _("Left-behind person")  # 留守人员
    AIDS = "aids", _("AIDS risk")  # 艾滋病危险人员


class SpecialGroupRecord(models.Model):
    """One person's record in one special group. Group and details are encrypted: even knowing that
    someone is in a group is sensitive; ``group_index`` (a blind index) lets scoped queries count them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="special_group_records")
    region_code = models.CharField(max_length=18, db_index=True)
    group = EncryptedTextField(_("special group"))
    group_index = models.CharField(max_length=40, db_index=True, editable=False)
    details = EncryptedTextField(_("details (JSON)"), blank=True, default="")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible grid worker"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_on = models.DateField(_("since"), null=True, blank=True)
    ended_on = models.DateField(_("until"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_field: ClassVar[str] = "region_code"
    # The index of a group is blind_index("group:" + group).
    blind_indexes: ClassVar[dict[str, str]] = {"group": "group_index"}
    blind_index_prefixes: ClassVar[dict[str, str]] = {"group": "group:"}
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("special-group record")
        verbose_name_plural = _("special-group records")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.person_id}/{self.pk}"


class Tenancy(models.Model):
    """A tenant (承租人) of a rented house for a period."""

    house = models.ForeignKey(House, on_delete=models.CASCADE, related_name="tenancies")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tenancies")
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tenancy")
        verbose_name_plural = _("tenancies")
        ordering = ["-start_date", "-id"]

    def __str__(self) -> str:
        return f"{self.house_id}/{self.person_id}"


class OrganizationKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    INDIVIDUAL = "individual", _("Individual business")  # 个体工商户
    SOCIAL = "social", _("Social organization")
    INSTITUTION = "institution", _("Public institution")  # 事业单位
    GOVERNMENT = "government", _("Government body")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    GENERAL = "general", _("General")
    HIGH = "high", _("High")
    MAJOR = "major", _("Major")


class Organization(Record):
    """组织机构/法人, identified by its unified social credit code (GB 32100)."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_pinyin = models.CharField(max_length=240, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=60, blank=True, db_index=True, editable=False)
    org_kind = models.CharField(_("kind"), max_length=12, choices=OrganizationKind.choices)
    enterprise_category = models.CharField(
        _("enterprise category"), max_length=2, choices=codes.choices("EnterpriseCategory"), blank=True
    )
    social_org_type = models.CharField(
        _("social organization type"),
        max_length=2,
        choices=codes.choices("SocialOrganizationsTypes"),
        blank=True,
    )
    registration_type = models.CharField(
        _("registration type"), max_length=3, choices=codes.choices("RegistrationTypes"), blank=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True, default="")
    contact_phone_index = models.CharField(
        max_length=40, blank=True, default="", db_index=True, editable=False
    )
    industry = models.CharField(_("industry"), max_length=1, choices=codes.INDUSTRIES, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )

    kind = "organization"
    natural_key = "credit_code"
    blind_indexes: ClassVar[dict[str, str]] = {"contact_phone": "contact_phone_index"}

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""


class PlaceType(models.TextChoices):
    NINE_SMALL = "nine_small", _("Nine small places")  # 九小场所
    SCHOOL = "school", _("School or kindergarten")
    HOSPITAL = "hospital", _("Hospital or clinic")
    GAS_STATION = "gas_station", _("Gas station")
    HAZMAT = "hazmat", _("Hazardous chemicals")
    CROWDED = "crowded", _("Crowded place")  # 人员密集场所
    CARE_HOME = "care_home", _("Care home")
    MARKET = "market", _("Market")
    RELIGIOUS = "religious", _("Religious site")
    CONSTRUCTION = "construction", _("Construction site")
    OTHER = "other", _("Other")


class KeyPlace(Record):
    """重点场所 with its fire and safety facts and its inspection cycle."""

    code = models.CharField(_("place code"), max_length=24, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_pinyin = models.CharField(max_length=240, blank=True, db_index=True, editable=False)
    name_initials = models.CharField(max_length=60, blank=True, db_index=True, editable=False)
    place_type = models.CharField(_("type"), max_length=16, choices=PlaceType.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
    )
    responsible_name = models.CharField(_("responsible person"), max_length=50, blank=True)
    responsible_phone = EncryptedTextField(_("responsible person's phone"), blank=True, default="")
    responsible_phone_index = models.CharField(
        max_length=40, blank=True, default="", db_index=True, editable=False
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=10, decimal_places=2, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (people)"), null=True, blank=True)
    fire_extinguishers = models.PositiveSmallIntegerField(_("fire extinguishers"), null=True, blank=True)
    emergency_exits = models.PositiveSmallIntegerField(_("emergency exits"), null=True, blank=True)
    has_sprinklers = models.BooleanField(_("sprinklers"), default=False)
    hazards = models.CharField(
        _("main hazard"), max_length=2, choices=codes.choices("SafetyHazardType"), blank=True
    )
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    inspection_cycle_days = models.PositiveSmallIntegerField(_("inspection cycle (days)"), default=30)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)

    kind = "place"
    natural_key = "code"
    blind_indexes: ClassVar[dict[str, str]] = {"responsible_phone": "responsible_phone_index"}

    class Meta:
        verbose_name = _("key place")
        verbose_name_plural = _("key places")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def responsible_phone_masked(self) -> str:
        return mask_phone(self.responsible_phone) if self.responsible_phone else ""


class ComponentState(models.TextChoices):
    INTACT = "intact", _("Intact")  # 完好
    DAMAGED = "damaged", _("Damaged")  # 破损
    MISSING = "missing", _("Missing")  # 丢失
    OCCUPIED = "occupied", _("Occupied")  # 占用


class CityComponent(Record):
    """城市部件 (GB/T 30428.2 / CJ/T 214): 16-digit code = 6 division + 2 大类 + 2 小类 + 6 serial."""

    code = models.CharField(_("component code"), max_length=16, unique=True)
    major = models.CharField(_("major class"), max_length=2, choices=codes.COMPONENT_MAJOR, editable=False)
    minor = models.CharField(_("class"), max_length=4, editable=False)  # 大类+小类, e.g. "0101"
    name = models.CharField(_("name"), max_length=60, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=ComponentState.choices, default=ComponentState.INTACT
    )
    owner_department = models.CharField(_("owning department"), max_length=100, blank=True)
    maintainer = models.CharField(_("maintaining department"), max_length=100, blank=True)
    responsible_unit = models.ForeignKey(
        Unit,
        verbose_name=_("responsible unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    kind = "component"
    natural_key = "code"

    class Meta:
        verbose_name = _("city component")
        verbose_name_plural = _("city components")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.class_name} {self.code}"

    @property
    def class_name(self) -> str:
        return codes.COMPONENT_CLASSES.get(self.minor, "")


class CreditKind(models.TextChoices):
    RED_LIST = "red_list", _("Red list")  # 红名单
    BLACK_LIST = "black_list", _("Black list")  # 黑名单
    PENALTY = "penalty", _("Administrative penalty")  # 行政处罚
    LICENSE = "license", _("Administrative licence")  # 行政许可
    DISHONEST = "dishonest", _("Dishonest judgment debtor")  # 失信被执行人
    COMMENDATION = "commendation", _("Commendation")  # 表彰奖励
    ABNORMAL = "abnormal", _("Abnormal operation")  # 经营异常名录


class CreditRecord(Record):
    """公共信用: one entry about a person or an organization. Lives in the subject's region."""

    subject_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records"
    )
    subject_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_records"
    )
    credit_kind = models.CharField(_("kind"), max_length=14, choices=CreditKind.choices)
    title = models.CharField(_("title"), max_length=200)
    document_number = models.CharField(_("decision number"), max_length=60, blank=True)
    source = models.CharField(_("source"), max_length=100)
    decided_on = models.DateField(_("decided on"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    kind = "credit"

    class Meta:
        verbose_name = _("credit record")
        verbose_name_plural = _("credit records")
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(subject_person__isnull=False, subject_organization__isnull=True)
                | Q(subject_person__isnull=True, subject_organization__isnull=False),
                name="registry_credit_one_subject",
            )
        ]

    def __str__(self) -> str:
        return self.title


REGISTRY_MODELS: tuple[type[Record], ...] = (
    Person,
    Household,
    House,
    Organization,
    KeyPlace,
    CityComponent,
    CreditRecord,
)
MODEL_BY_KIND: dict[str, type[Record]] = {m.kind: m for m in REGISTRY_MODELS}


class EventParty(models.Model):
    """A person, house, organization or place an event concerns (当事人, 发生地), beyond its reporter."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="parties")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="event_links"
    )
    house = models.ForeignKey(
        House, null=True, blank=True, on_delete=models.CASCADE, related_name="event_links"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="event_links"
    )
    place = models.ForeignKey(
        KeyPlace, null=True, blank=True, on_delete=models.CASCADE, related_name="event_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("party to an event")
        verbose_name_plural = _("parties to events")

    def __str__(self) -> str:
        return f"{self.event_id}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """One uploaded file being imported (see ``registry.imports`` and ``registry.tasks.run_import``).

    Seen by its creator and by editors whose jurisdiction covers ``region_code`` (the creator's jurisdiction
    when uploading). Files live in the media storage, which is never served directly.
    """

    kind = models.CharField(_("kind"), max_length=20)
    file = models.FileField(_("file"), upload_to="registry/imports/%Y/%m/", max_length=200)
    filename = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(_("rows (estimate)"), null=True, blank=True)
    processed_rows = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    error_report = models.FileField(
        _("error report"), upload_to="registry/imports/%Y/%m/", max_length=200, blank=True, default=""
    )
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    region_code = models.CharField(_("region code"), max_length=18, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    scope_field: ClassVar[str] = "region_code"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.processed_rows * 100 // self.total_rows)
