"""The demo county 青溪县: a fictional county of 丽水市, 浙江省 — its regions, boundaries, units and people.

Everything here is pure data made from a seed (no database): the same seed gives the same plan, byte
for byte. ``jiceng.demo.steps`` writes the plan through the real actions.

Geometry: the county outline is a wobbly closed curve around (120.05°E, 28.45°N). Townships, villages,
grids and micro-grids are made top-down by Voronoi subdivision of seeded random points inside the
parent (relaxed a few times so the cells look like real ones), each cell clipped to its parent. The
finest cells are then snap-rounded to 6 decimals *together* (their noded boundary lines are rounded as
one network and polygonized), and every parent is the union of its children, so that after rounding
children still tile their parent exactly: no gaps, no overlaps, shared borders vertex for vertex.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import shapely
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

from jiceng.core.validators import make_credit_code
from jiceng.org.models import RegionLevel, UnitKind

DEMO_SEED: Final = 20260
DEMO_PASSWORD: Final = "Jiceng#2026"  # noqa: S105 - published on purpose: demo mode only

GRID_SIZE: Final = 1e-6  # boundaries are rounded to 6 decimals (about 0.1 m)
CENTER: Final = (120.05, 28.45)  # lng, lat of the county seat
RADIUS_DEG: Final = 0.115  # mean radius of the county, in degrees of latitude (about 12.8 km)
AREA_CODE: Final = "0578"  # 丽水's telephone area code

PROVINCE: Final = ("330000", "浙江省")
CITY: Final = ("331100", "丽水市")
COUNTY: Final = ("331129", "青溪县")  # not a real GB/T 2260 code: 3311xx has no 29
COUNTY_SHORT: Final = "青溪"


# --- plan types ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionPlan:
    code: str
    name: str
    level: str
    parent_code: str | None
    boundary: dict[str, Any] | None = None
    # townships: "street" (街道), "town" (镇) or "xiang" (乡); villages: "community" or "village".
    kind: str = ""
    # townships: a short ASCII key used in usernames, e.g. "bailu".
    key: str = ""


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    kind: str
    region_code: str
    credit_code: str = ""
    phone: str = ""
    # the township key for township units and village committees, "" at the county.
    township_key: str = ""


@dataclass(frozen=True)
class UserPlan:
    username: str
    full_name: str
    roles: tuple[str, ...]
    unit_code: str | None
    note: str = ""


@dataclass(frozen=True)
class CountyPlan:
    seed: int
    regions: tuple[RegionPlan, ...]  # parents before children
    units: tuple[UnitPlan, ...]
    users: tuple[UserPlan, ...]
    _by_code: dict[str, RegionPlan] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update((r.code, r) for r in self.regions)

    @property
    def county(self) -> RegionPlan:
        return self._by_code[COUNTY[0]]

    def region(self, code: str) -> RegionPlan:
        return self._by_code[code]

    def at_level(self, level: str) -> list[RegionPlan]:
        return [r for r in self.regions if r.level == level]

    def children(self, code: str) -> list[RegionPlan]:
        return [r for r in self.regions if r.parent_code == code]

    def township(self, key: str) -> RegionPlan:
        return next(r for r in self.regions if r.level == RegionLevel.TOWNSHIP and r.key == key)

    def unit(self, code: str) -> UnitPlan:
        return next(u for u in self.units if u.code == code)


# --- names -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _TownshipSpec:
    seq: str  # 3 digits of the statistical code: 0xx streets, 1xx towns, 2xx xiang
    name: str
    kind: str
    key: str
    communities: tuple[str, ...]
    villages: tuple[str, ...]

    @property
    def short(self) -> str:
        return self.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")


TOWNSHIPS: Final = (
    _TownshipSpec(
        "001",
        "青溪街道",
        "street",
        "qingxi",
        ("府前社区", "溪口社区", "文昌社区", "解放社区", "望江社区", "南门社区", "丽阳社区"),
        (),
    ),
    _TownshipSpec(
        "002",
        "城东街道",
        "street",
        "chengdong",
        ("东城社区", "金桥社区", "新华社区", "桂花社区", "东湖社区", "花园社区"),
        (),
    ),
    _TownshipSpec(
        "101",
        "白鹭镇",
        "town",
        "bailu",
        ("白鹭社区",),
        ("下坑村", "上田村", "岭头村", "溪源村", "黄泥垄村", "周家村"),
    ),
    _TownshipSpec(
        "102", "枫岭镇", "town", "fengling", ("枫岭社区",), ("枫树湾村", "后垟村", "大岙村", "桐坑村", "叶村")
    ),
    _TownshipSpec(
        "103", "石塘镇", "town", "shitang", ("石塘社区",), ("官塘村", "新宅村", "里庄村", "塘头村")
    ),
    _TownshipSpec(
        "201", "竹源乡", "xiang", "zhuyuan", (), ("竹源村", "上坪村", "高山村", "坑口村", "蓝家村")
    ),
)

CN_NUMERALS: Final = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")

# Micro-grids (微网格) in the first grids of the county seat's first community.
MICROGRID_PARENTS: Final = 2
MICROGRIDS_PER_GRID: Final = 3

SURNAMES: Final = "王李张陈刘杨黄吴周徐朱叶潘蓝毛雷钟胡郑何林金应季项邱鲍程"
GIVEN: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文晓春海玲红斌志慧林燕俊浩婷鑫宇航晨欣佳雅琪琳梅"
)


def grid_name(village_name: str, n: int) -> str:
    return f"{village_name}第{CN_NUMERALS[n - 1] if n <= 10 else n}网格"


def person_names(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct plausible Chinese full names."""
    names: list[str] = []
    while len(names) < n:
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        name = rng.choice(SURNAMES) + given
        if name not in names:
            names.append(name)
    return names


# --- geometry --------------------------------------------------------------------------------------

_COS_LAT: Final = math.cos(math.radians(CENTER[1]))


def _to_lnglat(geom: BaseGeometry) -> BaseGeometry:
    """From the local isotropic frame (degrees of latitude, origin at CENTER) to WGS-84 lng/lat."""
    return affinity.affine_transform(geom, [1 / _COS_LAT, 0, 0, 1, CENTER[0], CENTER[1]])


def _outline(rng: random.Random) -> Polygon:
    """A wobbly closed curve: the mean radius modulated by a few random harmonics."""
    harmonics = [
        (k, rng.uniform(0.02, 0.09) / math.sqrt(k - 1), rng.uniform(0, 2 * math.pi)) for k in range(2, 8)
    ]
    points = []
    for i in range(180):
        t = 2 * math.pi * i / 180
        r = RADIUS_DEG * (1 + sum(a * math.sin(k * t + p) for k, a, p in harmonics))
        points.append((r * math.cos(t), r * math.sin(t)))
    return Polygon(points)


def _polygons(geom: BaseGeometry) -> BaseGeometry:
    """Only the areal parts of an overlay result, as a Polygon or MultiPolygon."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _random_points(rng: random.Random, area: BaseGeometry, n: int) -> list[tuple[float, float]]:
    min_x, min_y, max_x, max_y = area.bounds
    shapely.prepare(area)
    points: list[tuple[float, float]] = []
    while len(points) < n:
        x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if area.contains_properly(Point(x, y)):
            points.append((x, y))
    return points


def _voronoi(area: BaseGeometry, seeds: Sequence[tuple[float, float]]) -> list[BaseGeometry]:
    """Voronoi cells of ``seeds`` clipped to ``area``, in the order of the seeds."""
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(list(seeds)), extend_to=area.envelope.buffer(1.0), ordered=True
    )
    return [_polygons(cell.intersection(area)) for cell in cells.geoms]


def _relaxed_sites(
    rng: random.Random, area: BaseGeometry, n: int, fixed: Sequence[tuple[float, float]], relax: int
) -> list[tuple[float, float]]:
    """``fixed`` sites plus random ones moved a few times to the centroid of their cell (Lloyd relaxation)."""
    free = _random_points(rng, area, n - len(fixed))
    for _ in range(relax):
        cells = _voronoi(area, [*fixed, *free])
        moved = []
        for site, cell in zip(free, cells[len(fixed) :], strict=True):
            c = cell.centroid
            moved.append((c.x, c.y) if area.contains_properly(c) else site)
        free = moved
    return [*fixed, *free]


def _warp(rng: random.Random, scale: float) -> tuple[float, float, float, float, float, float]:
    """A smooth random displacement field (amplitude, frequency, 4 phases) for curvy borders."""
    p1, p2, p3, p4 = (rng.uniform(0, 2 * math.pi) for _ in range(4))
    return 0.28 * scale, 2 * math.pi / (1.6 * scale), p1, p2, p3, p4


def _clusters(
    rng: random.Random, area: BaseGeometry, sites: Sequence[tuple[float, float]], atoms_per_cell: int
) -> list[BaseGeometry]:
    """Cells with organic borders: small Voronoi atoms, each given to the nearest site in a warped space."""
    n = len(sites)
    atoms = _voronoi(area, _relaxed_sites(rng, area, n * atoms_per_cell, (), 1))
    amp, freq, p1, p2, p3, p4 = _warp(rng, math.sqrt(area.area / n))

    def warped(x: float, y: float) -> tuple[float, float]:
        return (
            x + amp * math.sin(freq * y + p1) * math.cos(0.7 * freq * x + p3),
            y + amp * math.sin(freq * x + p2) * math.cos(0.7 * freq * y + p4),
        )

    warped_sites = [warped(x, y) for x, y in sites]
    members: list[list[BaseGeometry]] = [[] for _ in sites]
    for atom in atoms:
        wx, wy = warped(*atom.centroid.coords[0])
        members[
            min(range(n), key=lambda k: (wx - warped_sites[k][0]) ** 2 + (wy - warped_sites[k][1]) ** 2)
        ].append(atom)
    if not all(members):
        raise ValueError("a cell got no atoms; try another seed")
    return [_polygons(shapely.union_all(m)) for m in members]


def _merge_pieces(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """Cells in pieces keep their largest piece; each other piece joins the neighbour it borders most."""
    cells = list(cells)
    for k in range(len(cells)):
        if not isinstance(cells[k], MultiPolygon):
            continue
        largest, *rest = sorted(cells[k].geoms, key=lambda g: -g.area)
        kept = [largest]
        for piece in rest:
            border = {
                j: piece.boundary.intersection(c.boundary).length for j, c in enumerate(cells) if j != k
            }
            target = max(border, key=lambda j: (border[j], -j))
            if border[target] > 0:
                cells[target] = _polygons(shapely.union_all([cells[target], piece]))
            else:
                kept.append(piece)
        cells[k] = _polygons(MultiPolygon(kept))
    return cells


def _reading_order(cell: BaseGeometry) -> tuple[float, float]:
    p = cell.representative_point()
    return (-round(p.y, 4), round(p.x, 4))


def subdivide(
    rng: random.Random,
    area: BaseGeometry,
    n: int,
    *,
    seeds: Sequence[tuple[float, float]] = (),
    relax: int = 3,
    organic: int = 0,
) -> list[BaseGeometry]:
    """Split ``area`` into ``n`` cells that tile it (before rounding).

    Sites are ``seeds`` (kept in place, and then the cells come in their order) plus random points in
    ``area`` relaxed ``relax`` times (Lloyd), so cells have even sizes and round shapes; without ``seeds``
    the cells come in reading order, north to south. With ``organic`` > 0 each cell is made of about that
    many Voronoi atoms, for irregular borders like real ones; else cells are plain Voronoi cells.
    """
    sites = _relaxed_sites(rng, area, n, list(seeds), relax)
    cells = _clusters(rng, area, sites, organic) if organic else _voronoi(area, sites)
    cells = _merge_pieces(cells)
    return cells if seeds else sorted(cells, key=_reading_order)


@dataclass
class _Node:
    """A region while the geometry is made: float cell first, rounded geometry at the end."""

    code: str
    name: str
    level: str
    cell: BaseGeometry
    kind: str = ""
    key: str = ""
    children: list[_Node] = field(default_factory=list)
    geometry: BaseGeometry | None = None

    def walk(self) -> Iterator[_Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def _township_seeds(rng: random.Random) -> list[tuple[float, float]]:
    """Streets crowd the county seat at the center; towns and xiang lie around them."""
    streets = [s for s in TOWNSHIPS if s.kind == "street"]
    seeds = [(-0.018, 0.006), (0.022, -0.004)][: len(streets)]
    rural = len(TOWNSHIPS) - len(seeds)
    start = rng.uniform(0, 2 * math.pi)
    for i in range(rural):
        angle = start + 2 * math.pi * i / rural + rng.uniform(-0.25, 0.25)
        radius = RADIUS_DEG * rng.uniform(0.55, 0.65)
        seeds.append((radius * math.cos(angle), radius * math.sin(angle)))
    return seeds


def _build_tree(rng: random.Random) -> _Node:
    county = _Node(COUNTY[0], COUNTY[1], RegionLevel.COUNTY, _outline(rng))
    township_cells = subdivide(
        rng, county.cell, len(TOWNSHIPS), seeds=_township_seeds(rng), relax=0, organic=60
    )
    for spec, t_cell in zip(TOWNSHIPS, township_cells, strict=True):
        township = _Node(
            f"{COUNTY[0]}{spec.seq}000", spec.name, RegionLevel.TOWNSHIP, t_cell, spec.kind, spec.key
        )
        county.children.append(township)
        names = [(n, "community") for n in spec.communities] + [(n, "village") for n in spec.villages]
        village_cells = subdivide(rng, t_cell, len(names), organic=16)
        # Communities at the seat of a town (the cell nearest the middle), villages around.
        if spec.kind == "town":
            middle = t_cell.representative_point()
            seat = min(range(len(village_cells)), key=lambda i: village_cells[i].distance(middle))
            village_cells.insert(0, village_cells.pop(seat))
        community_seq, village_seq = 1, 201
        for (name, kind), v_cell in zip(names, village_cells, strict=True):
            if kind == "community":
                seq, community_seq = community_seq, community_seq + 1
            else:
                seq, village_seq = village_seq, village_seq + 1
            village = _Node(f"{township.code[:9]}{seq:03d}", name, RegionLevel.VILLAGE, v_cell, kind)
            township.children.append(village)
            if kind == "community":
                n_grids = rng.randint(5, 7) if spec.kind == "street" else 5
            else:
                n_grids = rng.randint(4, 5)
            for g, g_cell in enumerate(subdivide(rng, v_cell, n_grids), start=1):
                village.children.append(
                    _Node(f"{village.code}{g:03d}", grid_name(name, g), RegionLevel.GRID, g_cell)
                )
    county_seat = county.children[0].children[0]
    for grid in county_seat.children[:MICROGRID_PARENTS]:
        for m, m_cell in enumerate(subdivide(rng, grid.cell, MICROGRIDS_PER_GRID), start=1):
            grid.children.append(
                _Node(f"{grid.code}{m:03d}", f"{grid.name}{m}号微网格", RegionLevel.MICROGRID, m_cell)
            )
    return county


def _snap_leaves(county: _Node) -> None:
    """Round the finest cells to GRID_SIZE as one network, so neighbours keep identical borders."""
    leaves = [n for n in county.walk() if not n.children]
    cells = [_to_lnglat(n.cell) for n in leaves]
    network = shapely.union_all([c.boundary for c in cells], grid_size=GRID_SIZE)
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(network))))
    tree = shapely.STRtree(cells)
    owned: list[list[BaseGeometry]] = [[] for _ in leaves]
    for face in faces:
        candidates = sorted(int(i) for i in tree.query(face))
        areas = [face.intersection(cells[i]).area for i in candidates]
        owned[candidates[max(range(len(areas)), key=areas.__getitem__)]].append(face)
    for leaf, parts in zip(leaves, owned, strict=True):
        if not parts:
            raise ValueError(f"cell {leaf.code} vanished when rounded")
        leaf.geometry = shapely.union_all(parts, grid_size=GRID_SIZE)


def _union_up(node: _Node) -> BaseGeometry:
    if node.children:
        node.geometry = shapely.union_all([_union_up(c) for c in node.children], grid_size=GRID_SIZE)
    assert node.geometry is not None
    return node.geometry


def geojson(geom: BaseGeometry) -> dict[str, Any]:
    """A GeoJSON geometry (RFC 7946 ring orientation: outer rings counter-clockwise) of plain lists."""
    geom = shapely.orient_polygons(_polygons(geom), exterior_cw=False)
    result: dict[str, Any] = json.loads(json.dumps(mapping(geom)))
    return result


def build_regions(seed: int = DEMO_SEED) -> tuple[RegionPlan, ...]:
    """The region tree, province to micro-grid, parents first. Pure and deterministic."""
    rng = random.Random(f"{seed}:geometry")
    county = _build_tree(rng)
    _snap_leaves(county)
    _union_up(county)
    regions = [
        RegionPlan(PROVINCE[0], PROVINCE[1], RegionLevel.PROVINCE, None),
        RegionPlan(CITY[0], CITY[1], RegionLevel.CITY, PROVINCE[0]),
    ]
    parents = {county.code: CITY[0]}
    for node in county.walk():
        for child in node.children:
            parents[child.code] = node.code
        assert node.geometry is not None
        regions.append(
            RegionPlan(
                node.code,
                node.name,
                node.level,
                parents[node.code],
                geojson(node.geometry),
                node.kind,
                node.key,
            )
        )
    return tuple(regions)


# --- units -----------------------------------------------------------------------------------------

COUNTY_DEPARTMENTS: Final = (
    ("MZJ", "民政局"),
    ("GAJ", "公安局"),
    ("SCJGJ", "市场监督管理局"),
    ("ZHZFJ", "综合行政执法局"),
    ("SFJ", "司法局"),
    ("YJGLJ", "应急管理局"),
    ("ZJJ", "住房和城乡建设局"),
    ("STHJ", "生态环境分局"),
    ("WJJ", "卫生健康局"),
    ("RSJ", "人力资源和社会保障局"),
    ("ZRZYJ", "自然资源和规划局"),
    ("NYNCJ", "农业农村局"),
)
STREET_STATIONS: Final = (("SHSWB", "社会事务办"), ("PAB", "平安办"), ("CSGLB", "城市管理办"))
RURAL_STATIONS: Final = (("SHSWB", "社会事务办"), ("NYNCB", "农业农村办"), ("PAB", "平安办"))
# suffix, name template ({county} = 青溪县, {short} = the township's short name)
DISPATCHED_AGENCIES: Final = (
    ("PCS", "{county}公安局{short}派出所"),
    ("SCJGS", "{county}市场监督管理局{short}市场监督管理所"),
    ("SFS", "{county}司法局{short}司法所"),
    ("ZFZD", "{county}综合行政执法局{short}中队"),
    ("ZRZYS", "{county}自然资源和规划局{short}自然资源所"),
)
COMMAND_CENTER_CODE: Final = f"{COUNTY[0]}-ZHZX"
COUNTY_GOVERNMENT_CODE: Final = f"{COUNTY[0]}-ZF"


def _credit(rng: random.Random, prefix: str) -> str:
    """A GB 32100 code registered in the county: 11 government body, 12 public institution, 54 committee."""
    body = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice("0123456789X")
    return make_credit_code(prefix + COUNTY[0] + body)


class _Phones:
    """Distinct office landlines of the county (丽水 numbers: 0578 and 7 digits)."""

    def __init__(self, rng: random.Random, *reserved: str) -> None:
        self.rng = rng
        self.used = set(reserved)

    def __call__(self) -> str:
        while True:
            phone = f"{AREA_CODE}-{self.rng.randint(7100000, 7399999)}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


COMMAND_CENTER_PHONE: Final = f"{AREA_CODE}-7112345"


def build_units(regions: Sequence[RegionPlan], seed: int = DEMO_SEED) -> tuple[UnitPlan, ...]:
    """The county's units: command center, government and departments; per township its government,
    command room, stations and dispatched agencies; a committee per village or community."""
    rng = random.Random(f"{seed}:units")
    phone = _Phones(rng, COMMAND_CENTER_PHONE)
    county_code, county_name = COUNTY
    units: list[UnitPlan] = []

    def add(code: str, name: str, kind: str, region: str, credit: str = "", key: str = "") -> None:
        credit_code = _credit(rng, credit) if credit else ""
        tel = COMMAND_CENTER_PHONE if code == COMMAND_CENTER_CODE else phone()
        units.append(UnitPlan(code, name, kind, region, credit_code, tel, key))

    add(COMMAND_CENTER_CODE, f"{county_name}综合指挥中心", UnitKind.COUNTY_COMMAND_CENTER, county_code, "12")
    add(COUNTY_GOVERNMENT_CODE, f"{county_name}人民政府", UnitKind.OTHER, county_code, "11")
    for suffix, name in COUNTY_DEPARTMENTS:
        full = f"{CITY[1]}生态环境局{COUNTY_SHORT}分局" if suffix == "STHJ" else f"{county_name}{name}"
        add(f"{county_code}-{suffix}", full, UnitKind.COUNTY_DEPARTMENT, county_code, "11")
    specs = {s.key: s for s in TOWNSHIPS}
    for township in (r for r in regions if r.level == RegionLevel.TOWNSHIP):
        spec, t9, code = specs[township.key], township.code[:9], township.code
        government = f"{spec.name}办事处" if spec.kind == "street" else f"{spec.name}人民政府"
        add(f"{t9}-ZF", government, UnitKind.TOWNSHIP_GOVERNMENT, code, "11", spec.key)
        add(f"{t9}-ZHXX", f"{spec.name}综合信息指挥室", UnitKind.TOWNSHIP_COMMAND_ROOM, code, "", spec.key)
        for suffix, name in STREET_STATIONS if spec.kind == "street" else RURAL_STATIONS:
            add(f"{t9}-{suffix}", f"{spec.name}{name}", UnitKind.TOWNSHIP_STATION, code, "", spec.key)
        for suffix, template in DISPATCHED_AGENCIES:
            name = template.format(county=county_name, short=spec.short)
            add(
                f"{t9}-{suffix}",
                name,
                UnitKind.DISPATCHED_AGENCY,
                code,
                "11" if suffix == "PCS" else "",
                spec.key,
            )
        for village in (r for r in regions if r.parent_code == code):
            if village.kind == "community":
                suffix, committee = "JWH", f"{village.name}居民委员会"
            else:
                suffix, committee = "CWH", f"{village.name}村民委员会"
            add(
                f"{village.code}-{suffix}",
                committee,
                UnitKind.VILLAGE_COMMITTEE,
                village.code,
                "54",
                spec.key,
            )
    return tuple(units)


# --- users -----------------------------------------------------------------------------------------


def build_users(
    regions: Sequence[RegionPlan], units: Sequence[UnitPlan], seed: int = DEMO_SEED
) -> tuple[UserPlan, ...]:
    """Staff of every role at the county and in every township, and a few residents."""
    rng = random.Random(f"{seed}:users")
    county_code = COUNTY[0]
    rows: list[tuple[str, tuple[str, ...], str | None, str]] = [
        ("admin", ("admin",), COMMAND_CENTER_CODE, "县级系统管理员"),
        ("county_center", ("county_center",), COMMAND_CENTER_CODE, "县综合指挥中心值班员"),
        ("county_leader", ("leader",), COUNTY_GOVERNMENT_CODE, "县领导"),
        ("hub_operator", ("hub_operator",), COMMAND_CENTER_CODE, "协同平台操作员（暂设县指挥中心）"),
    ]
    for suffix, name in COUNTY_DEPARTMENTS:
        rows.append((f"{suffix.lower()}_handler", ("handler",), f"{county_code}-{suffix}", f"{name}承办人"))
    villages: dict[str | None, list[RegionPlan]] = {}
    for r in regions:
        if r.level == RegionLevel.VILLAGE:
            villages.setdefault(r.parent_code, []).append(r)
    committees = {u.region_code: u.code for u in units if u.kind == UnitKind.VILLAGE_COMMITTEE}
    for township in (r for r in regions if r.level == RegionLevel.TOWNSHIP):
        key, t9 = township.key, township.code[:9]
        first, second = villages[township.code][0], villages[township.code][1]
        rows += [
            (f"{key}_admin", ("admin",), f"{t9}-ZF", "乡镇（街道）系统管理员"),
            (f"{key}_leader", ("leader",), f"{t9}-ZF", "乡镇（街道）领导"),
            (f"{key}_dispatcher", ("dispatcher",), f"{t9}-ZHXX", "综合信息指挥室调度员"),
            (f"{key}_handler", ("handler",), f"{t9}-SHSWB", "站所承办人"),
            (f"{key}_police", ("handler",), f"{t9}-PCS", "派驻机构承办人"),
            (f"{key}_cadre", ("village_cadre",), committees[first.code], f"{first.name}干部"),
            (f"{key}_grid", ("grid_worker",), committees[first.code], f"{first.name}网格员"),
            (f"{key}_grid2", ("grid_worker",), committees[second.code], f"{second.name}网格员"),
        ]
    rows += [(f"resident{i}", ("resident",), None, "居民") for i in range(1, 5)]
    names = person_names(rng, len(rows))
    return tuple(
        UserPlan(username, full_name, roles, unit_code, note)
        for (username, roles, unit_code, note), full_name in zip(rows, names, strict=True)
    )


def build_plan(seed: int = DEMO_SEED) -> CountyPlan:
    regions = build_regions(seed)
    units = build_units(regions, seed)
    return CountyPlan(seed, regions, units, build_users(regions, units, seed))
