"""Demo personnel (synthetic, labelled so): the two shifts, a week of the duty
roster around today, fifteen experts and the members of the seeded units with
their certificates (some expired).  Idempotent: what exists is left alone.
Called by ``seed_emergency_demo``."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from emergency.models import Agency, DutyAssignment, DutyShift, Expert, Unit
from emergency.services import personnel as svc

__all__ = ["seed_personnel"]

SHIFTS = [("DAY", "白班", dt.time(8), dt.time(20), 1), ("NIGHT", "夜班", dt.time(20), dt.time(8), 2)]
# position → rota of synthetic names (and the agency they sit in)
ROTA = {
    "leader": (["周立新", "韩振华", "马晓东", "赵文博"], "TS-EM"),
    "officer": (["李晓燕", "王海涛", "杨帆", "陈静", "刘洋", "孙磊"], "TS-EM"),
    "dispatcher": (["张敏", "郭强", "何丽", "冯建军", "高雪"], "TS-EM"),
}
EXPERTS = [
    ("魏国栋", ["hazchem", "fire"], "甘肃省化工研究院", "研究员"),
    ("柴永红", ["geological"], "甘肃省地质环境监测院天水分院", "高级工程师"),
    ("石建平", ["geological", "structure"], "天水市自然资源局", "正高级工程师"),
    ("裴慧敏", ["medical"], "天水市第一人民医院", "主任医师"),
    ("令狐斌", ["medical", "public_health"], "天水市疾病预防控制中心", "副主任医师"),
    ("牛志刚", ["fire"], "天水市消防救援支队", "高级工程师"),
    ("苟文华", ["water"], "天水市水务局", "高级工程师"),
    ("雷鸣", ["power"], "国网天水供电公司", "高级工程师"),
    ("汪晓丽", ["meteorology"], "天水市气象局", "高级工程师"),
    ("包振宇", ["structure"], "天水市建筑设计院", "一级注册结构工程师"),
    ("闫丽娟", ["public_health"], "天水市卫生健康委员会", "主任医师"),
    ("慕容川", ["traffic"], "天水市交通运输局", "高级工程师"),
    ("姚红梅", ["hazchem"], "兰州大学化学化工学院", "教授"),
    ("蒲海军", ["water", "geological"], "天水市水文站", "高级工程师"),
    ("窦建新", ["power", "fire"], "甘肃电投天水热电公司", "安全总监"),
]
MEMBER_NAMES = ["邓", "田", "苏", "任", "蒋", "梁", "吕", "曹", "彭", "潘", "唐", "许", "崔", "程", "丁"]
GIVEN = ["志远", "宏伟", "建华", "海燕", "军", "婷", "鹏", "静怡", "晓峰", "亮"]
ROLES = ["队长", "驾驶员", "队员", "队员", "队员", "卫生员"]
CERTS = {"fire_engine": "消防员国家职业资格", "aerial_ladder": "消防员国家职业资格",
         "rescue_team": "应急救援员国家职业资格", "hazmat": "危险化学品处置资格",
         "ambulance": "院前急救资格证", "police_car": "人民警察执法资格", "epidemic_team": "公共卫生应急资格",
         "command_vehicle": "应急指挥员培训合格证"}


def _phone(n: int) -> str:
    return f"1390938{n % 10000:04d}"


def seed_personnel(*, by: str, today: dt.date | None = None) -> dict[str, int]:
    """Seed the demo personnel; returns how many of each were made."""
    counts = {"shifts": 0, "duties": 0, "experts": 0, "team_members": 0, "qualifications": 0}
    shifts = {}
    for code, name, start, end, order in SHIFTS:
        shift = DutyShift.objects.filter(code=code).first()
        if shift is None:
            shift = svc.shift_save(by=by, code=code, name=name, start=start, end=end, order=order)
            counts["shifts"] += 1
        shifts[code] = shift
    today = today or timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    agencies = {a.code: a for a in Agency.objects.all()}
    serial = 0
    for k in range(-1, 7):  # from the Sunday before (its night runs into Monday) to Sunday
        day = monday + dt.timedelta(days=k)
        for s, code in enumerate(("DAY", "NIGHT")):
            for position, (names, agency) in ROTA.items():
                name = names[(2 * (k + 1) + s) % len(names)]
                if DutyAssignment.objects.filter(date=day, shift=shifts[code], position=position).exists():
                    continue
                serial += 1
                svc.duty_assign(by=by, date=day, shift=shifts[code], position=position, person_name=name,
                                phone=_phone(100 + names.index(name) + 10 * len(position)),
                                agency=agencies.get(agency), synthetic=True, note="合成演示数据")
                counts["duties"] += 1
    for n, (name, fields, org, title) in enumerate(EXPERTS):
        if Expert.objects.filter(name=name, organisation=org).exists():
            continue
        svc.expert_save(by=by, name=name, fields=fields, organisation=org, title=title,
                        phone=_phone(2000 + n),
                        availability=("available", "available", "on_call", "unavailable")[n % 4],
                        note="合成演示数据", synthetic=True)
        counts["experts"] += 1
    m = 0
    for unit in Unit.objects.filter(synthetic=True).order_by("pk"):
        if unit.team_members.exists():
            continue
        for r in range(min(max(unit.crew_size, 2), 4)):
            m += 1
            member = svc.team_member_save(
                by=by, unit=unit, name=MEMBER_NAMES[m % len(MEMBER_NAMES)] + GIVEN[(m * 3) % len(GIVEN)],
                role=ROLES[r], phone=_phone(5000 + m), synthetic=True)
            counts["team_members"] += 1
            issued = today - dt.timedelta(days=365 * 3 + 40 * (m % 7))
            expires = issued + dt.timedelta(days=365 * 3)  # about one in seven has run out
            svc.qualification_add(by=by, member=member, name=CERTS.get(unit.unit_type, "应急救援培训合格证"),
                                  certificate_no=f"TS-{unit.code}-{m:04d}", issued_on=issued,
                                  expires_on=expires + dt.timedelta(days=200 if m % 3 else 0))
            counts["qualifications"] += 1
            if r == 0:
                svc.qualification_add(by=by, member=member, name="机动车驾驶证（A2）",
                                      certificate_no=f"DL-{m:06d}", issued_on=issued,
                                      expires_on=issued + dt.timedelta(days=365 * 10))
                counts["qualifications"] += 1
    return counts
