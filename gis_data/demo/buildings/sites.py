"""Centres, industry and public sites: malls and offices, factories,
schools with their sports fields, hospitals, government compounds and
markets.  Pure: no Django."""

from __future__ import annotations

import numpy as np
import shapely

from ..blocks import Parcel, principal_angle
from ..geo import rng_for
from .base import SOUTH_FACING_MAX, STOREY_M, Buildings, Frame, first_fit, inner_of, place_one, rows
from .housing import COMPOUND_WORDS

FACTORIES = [
    "天水长城开关厂", "天水长城控制电器厂", "星火机床厂", "天水二一三机床电器厂",
    "天水海林轴承厂", "天水锻压机床厂", "天水风动机械厂", "天水岷山机械厂", "天水电缆厂",
    "天水华天电子", "天水天光半导体", "天水铁路电缆厂", "天水纺织厂", "天水卷烟厂",
    "天水食品厂", "天水啤酒厂", "天水电气传动研究所", "天水星火机械厂",
]
MALL_WORDS = ["天水", "秦州", "麦积", "羲皇", "伏羲", "陇右", "成纪", "国贸", "百货", "金鹰",
              "万家", "嘉信", "华联", "新世纪", "东方", "中心"]
MALL_SUFFIX = ["商厦", "购物中心", "商贸城", "百货大楼", "广场", "商城"]
OFFICE_SUFFIX = ["大厦", "金融中心", "商务中心", "大厦", "写字楼"]


def layout_commercial(p: Parcel, idx: int, out: Buildings, seed: int, office_only: bool) -> None:
    rng = rng_for(seed, "commercial", idx)
    inner = inner_of(p, 8.0)
    if inner is None:
        return
    frame = Frame(p.geom, p.angle, inner)
    pitch_u, pitch_v = rng.uniform(88, 110), rng.uniform(78, 95)
    us = np.arange(frame.u0 + pitch_u / 2, frame.u1, pitch_u)
    vs = np.arange(frame.v0 + pitch_v / 2, frame.v1, pitch_v)
    if us.size == 0 or vs.size == 0:
        return
    uu, vv = (a.ravel() for a in np.meshgrid(us, vs))
    n = uu.size
    kind = np.where(office_only, 1, rng.choice(3, n, p=[0.4, 0.4, 0.2]))  # mall, office, shops
    w = np.where(kind == 0, rng.uniform(62, 84, n), np.where(kind == 1, rng.uniform(32, 44, n),
                                                                  rng.uniform(60, 80, n)))
    d = np.where(kind == 0, rng.uniform(44, 70, n), np.where(kind == 1, rng.uniform(21, 28, n),
                                                                  rng.uniform(13, 16, n)))
    variants = [frame.rects(uu, vv, w, d), frame.rects(uu, vv, w * 0.7, d * 0.75)]
    kept, which = first_fit(inner, uu, variants)
    for i in np.flatnonzero(kept):
        poly = variants[which[i]][i]
        word = MALL_WORDS[int(rng.integers(len(MALL_WORDS)))]
        if kind[i] == 0:
            out.add([poly], use="commercial", floors=int(rng.integers(4, 7)),
                    storey=STOREY_M["commercial"], year=int(rng.integers(1996, 2024)),
                    typology="commercial", parcel=idx,
                    name=word + MALL_SUFFIX[int(rng.integers(len(MALL_SUFFIX)))])
        elif kind[i] == 1:
            out.add([poly], use="office", floors=int(rng.integers(10, 29)),
                    storey=STOREY_M["office"], year=int(rng.integers(1996, 2023)),
                    typology="office" if office_only else "commercial", parcel=idx,
                    name=word + OFFICE_SUFFIX[int(rng.integers(len(OFFICE_SUFFIX)))])
        else:
            out.add([poly], use="commercial", floors=int(rng.integers(2, 4)),
                    storey=STOREY_M["commercial"], year=int(rng.integers(1990, 2020)),
                    typology="commercial", parcel=idx)


def layout_industrial(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "industrial", idx)
    inner = inner_of(p, 8.0)
    if inner is None:
        return
    frame = Frame(p.geom, principal_angle(p.geom), inner)
    factory = FACTORIES[int(rng.integers(len(FACTORIES)))]
    shed_l, shed_w = rng.uniform(70, 140), rng.uniform(32, 60)
    gap = rng.uniform(16, 24)
    us = np.arange(frame.u0 + shed_l / 2 + 2, frame.u1, shed_l + gap)
    vs = np.arange(frame.v0 + shed_w / 2 + 2, frame.v1, shed_w + gap)
    if us.size == 0 or vs.size == 0:
        return
    uu, vv = (a.ravel() for a in np.meshgrid(us, vs))
    variants = [frame.rects(uu, vv, shed_l, shed_w), frame.rects(uu, vv, shed_l * 0.6, shed_w),
                frame.rects(uu, vv, shed_l * 0.35, shed_w * 0.6)]
    kept, which = first_fit(inner, uu, variants)
    year0 = int(np.clip(rng.triangular(1958, 1972, 2014), 1958, 2015))
    number = 0
    for i in np.flatnonzero(kept):
        poly = variants[which[i]][i]
        number += 1
        if number == 1 and which[i] == 2:
            out.add([poly], use="office", floors=int(rng.integers(3, 6)), storey=STOREY_M["office"],
                    year=year0, typology="industrial", parcel=idx, name=f"{factory}办公楼",
                    tags={"factory": factory})
            continue
        two = rng.random() < 0.2
        out.add([poly], use="industrial", floors=2 if two else 1,
                storey=float(rng.uniform(5.5, 6.5) if two else rng.uniform(8.0, 12.0)),
                year=int(np.clip(year0 + rng.integers(0, 25), 1958, 2023)), typology="industrial",
                parcel=idx, name=f"{factory}{number}号厂房", tags={"factory": factory})


# ---------------------------------------------------------------- public sites


def field_polygon(frame: Frame, inner, length: float, width: float, at_south: bool = True):
    """A sports field with a running track, in the south of the site if it fits."""
    for scale in (1.0, 0.85, 0.7):
        fl, fw = length * scale, width * scale
        u = (frame.u0 + frame.u1) / 2
        v = frame.v0 + fw / 2 + 3 if at_south else (frame.v0 + frame.v1) / 2
        for du in (0.0, -25.0, 25.0, -50.0, 50.0):
            for dv in (0.0, 15.0, 30.0, 45.0):
                rect = frame.rects([u + du], [v + dv], fl, fw)[0]
                if inner.contains(rect):
                    return rect, v + dv + fw / 2
    return None, None


def layout_school(p: Parcel, idx: int, out: Buildings, seed: int, fields: list) -> None:
    rng = rng_for(seed, "school", idx)
    inner = inner_of(p, 6.0)
    if inner is None:
        return
    middle = p.typology == "middle_school"
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    field_poly, field_top = field_polygon(frame, inner, 176.0 if middle else 120.0,
                                           92.0 if middle else 66.0)
    if field_poly is not None:
        fields.append((idx, field_poly))
        # Nothing is built on the field or within 10 m of it.
        inner = inner.difference(field_poly.buffer(10.0))
        shapely.prepare(inner)
    floors = 5 if middle else 4
    depth = rng.uniform(15, 18)
    pitch = depth + 1.3 * floors * STOREY_M["education"]
    polys, us, vs, _ = rows(frame, inner, depth=depth, pitch=pitch, lengths=[70.0, 55.0, 40.0],
                             gap=rng.uniform(14, 20), rng=rng, stagger=False)
    year = int(rng.integers(1982, 2021))
    if len(polys):
        order = np.lexsort((us, -vs))
        labels = ["教学楼", "综合楼", "实验楼", "图书馆", "行政楼", "宿舍楼", "食堂", "体育馆"]
        names = [labels[i] if i < len(labels) else f"{i + 1}号楼" for i in range(len(polys))]
        floors_each = [1 if nm == "食堂" else 2 if nm == "体育馆" else floors for nm in names]
        out.add(list(polys[order]), use="education", floors=floors_each,
                storey=STOREY_M["education"], year=year, typology=p.typology, parcel=idx,
                name=names, tags=[{"site": "school", "part": nm} for nm in names])


def layout_hospital(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "hospital", idx)
    inner = inner_of(p, 8.0)
    if inner is None:
        return
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    year = int(rng.integers(1988, 2021))
    parts = [("门诊楼", 70.0, 36.0, int(rng.integers(4, 6))),
             ("住院楼", 58.0, 22.0, int(rng.integers(12, 21))),
             ("医技楼", 40.0, 24.0, int(rng.integers(4, 7))),
             ("综合楼", 36.0, 16.0, int(rng.integers(5, 9)))]
    v = frame.v0
    for label, w, d, floors in parts:
        found = place_one(frame, inner, v, w, d)
        if found is None:
            continue
        rect, top = found
        out.add([rect], use="healthcare", floors=floors, storey=STOREY_M["healthcare"],
                year=year, typology="hospital", parcel=idx, name=f"{p.name}{label}",
                tags={"site": "hospital", "part": label})
        v = top + max(18.0, 0.5 * floors * STOREY_M["healthcare"])


def layout_government(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "government", idx)
    inner = inner_of(p, 10.0)
    if inner is None:
        return
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    year = int(rng.integers(2006, 2021))
    v = frame.v0 + 25.0  # a forecourt to the south
    for label, w, d, floors in (("办公楼", 72.0, 24.0, int(rng.integers(7, 11))),
                                ("附楼", 44.0, 14.0, 4)):
        found = place_one(frame, inner, v, w, d)
        if found is None:
            continue
        rect, top = found
        out.add([rect], use="public", floors=floors, storey=STOREY_M["public"], year=year,
                typology="government", parcel=idx,
                name=p.name if label == "办公楼" else f"{p.name}{label}",
                tags={"site": "government", "part": label})
        v = top + 30.0


def layout_market(p: Parcel, idx: int, out: Buildings, seed: int) -> None:
    rng = rng_for(seed, "market", idx)
    inner = inner_of(p, 5.0)
    if inner is None:
        return
    frame = Frame(p.geom, float(np.clip(p.angle, -SOUTH_FACING_MAX, SOUTH_FACING_MAX)), inner)
    word = COMPOUND_WORDS[int(rng.integers(len(COMPOUND_WORDS)))]
    polys, *_ = rows(frame, inner, depth=rng.uniform(28, 40), pitch=60.0,
                      lengths=[rng.uniform(50, 75), 36.0], gap=14.0, rng=rng, stagger=False)
    for i, poly in enumerate(polys):
        out.add([poly], use="commercial", floors=1 if i == 0 else 2,
                storey=float(rng.uniform(5.0, 6.5)) if i == 0 else STOREY_M["commercial"],
                year=int(rng.integers(1992, 2016)), typology="market", parcel=idx,
                name=f"{word}农贸市场" if i == 0 else f"{word}农贸市场{i + 1}号楼",
                tags={"site": "market"})
