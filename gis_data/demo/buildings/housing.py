"""Housing: walk-up compounds, tower compounds, old-town courtyard houses and
urban villages.  Pure: no Django."""

from __future__ import annotations

import numpy as np
import shapely

from ..blocks import Parcel
from ..geo import rng_for
from .base import SOUTH_FACING_MAX, STOREY_M, Buildings, Frame, fit, inner_of, rows

COMPOUND_WORDS = [
    "翠园", "锦华", "金城", "明珠", "天润", "华龙", "润泽", "瑞和", "嘉和", "兴盛", "秀水",
    "阳光", "春晖", "碧水", "紫荆", "玉兰", "海棠", "丁香", "凤凰", "龙城", "秦城", "羲皇",
    "伏羲", "成纪", "陇上", "渭水", "藉滨", "河畔", "南山", "北山", "东方", "西城", "新城",
    "福瑞", "富康", "安康", "祥和", "和谐", "鸿运", "鼎盛", "恒泰", "泰和", "永康", "康乐",
    "麦香", "果园", "花牛", "杏林", "桃源", "柳岸", "荷塘", "清泉", "锦江", "金色", "银河",
    "星光", "朝阳", "晨曦", "书香", "文苑", "学苑", "怡景", "雅居", "宜居", "丽景", "佳园",
]
OLD_SUFFIX = ["小区", "小区", "新村", "住宅楼", "小区"]
NEW_SUFFIX = ["花园", "家园", "名苑", "华府", "嘉园", "御景", "公馆", "雅苑", "悦府", "国际社区"]
WORK_UNITS = [
    "铁路", "长城开关厂", "长城控制电器厂", "星火机床厂", "二一三厂", "海林轴承厂", "岷山机械厂",
    "锻压机床厂", "风动机械厂", "电缆厂", "纺织厂", "卷烟厂", "市政府", "师范学院", "地质队",
    "水电局", "供电公司", "邮电局", "商业局", "粮食局",
]


def compound_name(rng: np.random.Generator, new: bool, near_factory: bool) -> str:
    word = COMPOUND_WORDS[int(rng.integers(len(COMPOUND_WORDS)))]
    if new:
        return word + NEW_SUFFIX[int(rng.integers(len(NEW_SUFFIX)))]
    if near_factory or rng.random() < 0.2:
        return WORK_UNITS[int(rng.integers(len(WORK_UNITS)))] + "家属院"
    return word + OLD_SUFFIX[int(rng.integers(len(OLD_SUFFIX)))]


def layout_walkup(p: Parcel, idx: int, out: Buildings, seed: int, near_factory: bool) -> None:
    rng = rng_for(seed, "walkup", idx)
    inner = inner_of(p, 7.0)
    if inner is None:
        return
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    floors = int(rng.choice([5, 6, 7], p=[0.15, 0.6, 0.25]))
    storey = STOREY_M["residential"]
    depth = rng.uniform(10.5, 12.5)
    pitch = depth + 1.25 * floors * storey
    unit = rng.uniform(12.5, 15.0)
    n_units = int(rng.choice([2, 3, 4], p=[0.3, 0.45, 0.25]))
    lengths = [unit * k for k in range(n_units, 1, -1)] or [unit * 2]
    polys, us, vs, _ = rows(frame, inner, depth=depth, pitch=pitch, lengths=lengths,
                             gap=rng.uniform(10, 14), rng=rng, stagger=rng.random() < 0.3)
    if len(polys) == 0:
        return
    year = int(rng.integers(1980, 2009))
    compound = compound_name(rng, False, near_factory)
    order = np.lexsort((us, -vs))  # numbered from the north-west
    polys = polys[order]
    names = [f"{compound}{i + 1}号楼" for i in range(len(polys))]
    floors_each = np.full(len(polys), floors)
    uses = ["residential"] * len(polys)
    storeys = [storey] * len(polys)
    years = list(np.clip(year + rng.integers(-1, 2, len(polys)), 1978, 2010))
    if len(polys) >= 8 and rng.random() < 0.35:
        # A kindergarten in one of the slots: a lower, deeper building.
        k = int(rng.integers(len(polys)))
        floors_each[k] = 3
        uses[k] = "education"
        storeys[k] = STOREY_M["education"]
        names[k] = f"{compound}幼儿园"
    out.add(list(polys), use=uses, floors=floors_each, storey=storeys, year=years,
            typology="walkup", parcel=idx, name=names,
            tags=[{"compound": compound, "building_no": i + 1} for i in range(len(polys))])


def layout_tower(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "tower", idx)
    inner = inner_of(p, 9.0)
    if inner is None:
        return
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    compound = compound_name(rng, True, False)
    year = int(rng.integers(2006, 2024))
    v_start = None
    if rng.random() < 0.55 and frame.v1 - frame.v0 > 120:
        # Two-storey shops along the southern edge (底商).
        shop_depth = rng.uniform(12, 16)
        polys, *_ = rows(frame, inner, depth=shop_depth, pitch=1e9,
                          lengths=[rng.uniform(45, 70), 35.0, 22.0], gap=rng.uniform(8, 12),
                          rng=rng, stagger=False)
        if len(polys):
            out.add(list(polys), use="commercial", floors=2, storey=STOREY_M["commercial"],
                    year=year, typology="tower", parcel=idx, name=f"{compound}商业街",
                    tags={"compound": compound, "podium": True})
            v_start = frame.v0 + shop_depth + 4 + 26
    slab = rng.random() < 0.4
    width = rng.uniform(34, 44) if slab else rng.uniform(23, 29)
    depth = rng.uniform(16, 19) if slab else rng.uniform(17, 22)
    floor_choices = np.array([18, 24, 26, 28, 30, 32, 33])
    floors = int(rng.choice(floor_choices, p=[0.2, 0.15, 0.15, 0.15, 0.12, 0.1, 0.13]))
    height = floors * STOREY_M["residential"]
    pitch = depth + float(np.clip(0.5 * height, 30, 48))
    polys, us, vs, _ = rows(frame, inner, depth=depth, pitch=pitch,
                             lengths=[width, width * 0.8], gap=rng.uniform(15, 22), rng=rng,
                             stagger=True, v_start=v_start)
    if len(polys) == 0:
        return
    order = np.lexsort((us, -vs))
    polys = polys[order]
    each = np.clip(floors + rng.integers(-3, 4, len(polys)) * (rng.random() < 0.5), 18, 33)
    out.add(list(polys), use="residential", floors=each, storey=STOREY_M["residential"],
            year=list(np.clip(year + rng.integers(-1, 2, len(polys)), 2005, 2024)),
            typology="tower", parcel=idx, name=[f"{compound}{i + 1}号楼" for i in range(len(polys))],
            tags=[{"compound": compound, "building_no": i + 1} for i in range(len(polys))])


def courtyard_rings(kind: np.ndarray, w: np.ndarray, d: np.ndarray, a: np.ndarray,
                     b: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Rings of courtyard-house footprints, by shape, relative to the lot centre."""
    out = {}
    hw, hd = w / 2, d / 2
    sel = kind == 0  # 三合院 open to the south
    if sel.any():
        x, y, aa, bb = hw[sel], hd[sel], a[sel], b[sel]
        ring = np.stack([np.stack(c, axis=-1) for c in [
            (-x, y), (-x, -y), (-x + bb, -y), (-x + bb, y - aa), (x - bb, y - aa), (x - bb, -y),
            (x, -y), (x, y), (-x, y)]], axis=1)
        out["u"] = (sel, ring)
    sel = kind == 1  # L-shaped
    if sel.any():
        x, y, aa, bb = hw[sel], hd[sel], a[sel], b[sel]
        ring = np.stack([np.stack(c, axis=-1) for c in [
            (-x, y), (-x, -y), (-x + bb, -y), (-x + bb, y - aa), (x, y - aa), (x, y), (-x, y)]],
            axis=1)
        out["l"] = (sel, ring)
    sel = kind == 2  # a single north row (北房)
    if sel.any():
        x, y, aa = hw[sel], hd[sel], a[sel]
        ring = np.stack([np.stack(c, axis=-1) for c in [
            (-x, y - aa), (x, y - aa), (x, y), (-x, y), (-x, y - aa)]], axis=1)
        out["r"] = (sel, ring)
    return out


def layout_oldtown(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "oldtown", idx)
    inner = inner_of(p, 1.0)
    if inner is None:
        return
    frame = Frame(p.geom, p.angle, inner)
    lot_w, lot_d = rng.uniform(14.5, 18.0), rng.uniform(18.5, 24.0)
    us = np.arange(frame.u0 + lot_w / 2 + rng.uniform(0, 3), frame.u1, lot_w)
    vs = np.arange(frame.v0 + lot_d / 2 + rng.uniform(0, 3), frame.v1, lot_d)
    if us.size == 0 or vs.size == 0:
        return
    uu, vv = (a.ravel() for a in np.meshgrid(us, vs))
    margin = 1.2
    bw, bd = lot_w - 2 * margin, lot_d - 2 * margin
    ok = fit(inner, frame.rects(uu, vv, bw, bd))
    uu, vv = uu[ok], vv[ok]
    n = uu.size
    if n == 0:
        return
    kind = rng.choice(4, size=n, p=[0.32, 0.22, 0.18, 0.28])  # U, L, row, 四合院
    a = rng.uniform(6.0, 7.5, n)
    b = rng.uniform(4.5, 6.0, n)
    floors = rng.choice([1, 2, 3], size=n, p=[0.55, 0.35, 0.10])
    years = np.clip(rng.triangular(1925, 1968, 1999, n).astype(int), 1920, 2000)
    shop = rng.random(n) < 0.12
    use = np.where(shop, "commercial", "residential")
    ww, dd = np.full(n, bw), np.full(n, bd)
    for _key, (sel, ring) in courtyard_rings(kind, ww, dd, a, b).items():
        polys = frame.shapes(uu[sel], vv[sel], ring)
        out.add(list(polys), use=list(use[sel]), floors=floors[sel], storey=STOREY_M["oldtown"],
                year=years[sel], typology="oldtown", parcel=idx, tags={"courtyard": True})
    sel = kind == 3
    if sel.any():
        shells = frame.rects(uu[sel], vv[sel], ww[sel], dd[sel])
        holes = frame.rects(uu[sel], vv[sel], ww[sel] - 2 * b[sel], dd[sel] - 2 * a[sel] + 2.0)
        polys = [shapely.Polygon(s.exterior.coords, [h.exterior.coords])
                 for s, h in zip(shells, holes, strict=True)]
        out.add(polys, use=list(use[sel]), floors=floors[sel], storey=STOREY_M["oldtown"],
                year=years[sel], typology="oldtown", parcel=idx, tags={"siheyuan": True})


def layout_village(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "village", idx)
    inner = inner_of(p, 1.0)
    if inner is None:
        return
    frame = Frame(p.geom, p.angle + rng.uniform(-0.05, 0.05), inner)
    lot_w, lot_d = rng.uniform(11.0, 14.0), rng.uniform(12.5, 16.0)
    us = np.arange(frame.u0 + lot_w / 2, frame.u1, lot_w)
    vs = np.arange(frame.v0 + lot_d / 2, frame.v1, lot_d)
    if us.size == 0 or vs.size == 0:
        return
    uu, vv = (a.ravel() for a in np.meshgrid(us, vs))
    n = uu.size
    margin = 1.25
    bw = lot_w - 2 * margin - rng.uniform(0, 1.5, n)
    bd = lot_d - 2 * margin - rng.uniform(0, 3.0, n)
    # Shift each house towards the north of its lot (yard to the south).
    vv = vv + (lot_d - 2 * margin - bd) / 2
    keep = rng.random(n) > 0.10
    polys = frame.rects(uu, vv, bw, bd)
    keep &= fit(inner, polys)
    if not keep.any():
        return
    polys = polys[keep]
    m = len(polys)
    out.add(list(polys), use="residential", floors=rng.choice([2, 3, 4], m, p=[0.35, 0.45, 0.2]),
            storey=STOREY_M["village"], year=rng.integers(1986, 2019, m), typology="village",
            parcel=idx)


# ---------------------------------------------------------------- centres and industry
