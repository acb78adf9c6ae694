"""The hand-drawn plan of the synthetic Tianshui demo city.

Real geography sets the frame: the Ji River (藉河) valley of 秦州区 runs west to
east at about 34.57 N and joins the Wei River (渭河), which comes down from
三阳川 in the north-west and flows east past 北道 (麦积区) and 社棠.  Everything
else (terrain, roads, buildings, community areas) is generated from this plan
and a seed.  Coordinates are lon/lat (EPSG:4326); widths in metres.
"""

from __future__ import annotations

GENERATOR_VERSION = "1.0"
DEFAULT_SEED = 20240501
SOURCE = "tianshui-demo"

# The DEM covers the valleys and the loess hills around them.
DEM_BOUNDS = (105.555, 34.485, 106.045, 34.675)
FULL_EXTENT = (105.56, 34.49, 106.04, 34.628)
# A small part of the old town of 秦州 on both banks, for tests (≈ 3 × 2.5 km).
SMALL_EXTENT = (105.703, 34.566, 105.735, 34.589)

# Valleys: control points along the valley axis from upstream to downstream:
# (lon, lat, river level m, floor half-width left m, right m, water width m).
# "Left" is the left hand looking downstream (north for an eastward river).
# The main valley carries the Ji River west of the confluence and the Wei
# River east of it.
CONFLUENCE = (105.880, 34.5665)
MAIN_VALLEY = {
    "key": "main",
    "points": [
        (105.530, 34.5725, 1192, 370, 320, 30),
        (105.572, 34.5735, 1184, 640, 460, 35),
        (105.600, 34.5752, 1178, 1150, 690, 40),
        (105.630, 34.5772, 1172, 1520, 870, 45),
        (105.660, 34.5785, 1166, 1700, 1010, 50),
        (105.690, 34.5775, 1160, 1790, 1010, 55),
        (105.715, 34.5755, 1154, 1790, 1060, 60),
        (105.740, 34.5735, 1147, 1750, 1150, 60),
        (105.770, 34.5718, 1139, 1660, 1240, 60),
        (105.800, 34.5705, 1132, 1660, 1290, 60),
        (105.830, 34.5690, 1123, 1610, 1330, 65),
        (105.860, 34.5676, 1114, 1660, 1380, 65),
        (105.880, 34.5665, 1109, 1750, 1470, 170),
        (105.910, 34.5660, 1106, 1750, 1520, 190),
        (105.940, 34.5655, 1104, 1560, 1380, 190),
        (105.970, 34.5645, 1102, 1330, 1150, 180),
        (105.995, 34.5630, 1101, 830, 740, 180),
        (106.030, 34.5600, 1100, 410, 370, 170),
        (106.070, 34.5570, 1099, 320, 320, 170),
    ],
    "river_names": ("藉河", "渭河"),  # before / after the confluence
    "meander_m": 110.0,
}
WEI_UPPER_VALLEY = {
    "key": "wei_upper",
    "points": [
        (105.700, 34.675, 1130, 350, 350, 140),
        (105.738, 34.654, 1124, 380, 380, 150),
        (105.772, 34.632, 1119, 450, 420, 150),
        (105.806, 34.614, 1115, 550, 480, 160),
        (105.840, 34.598, 1112, 700, 550, 160),
        (105.864, 34.582, 1110, 800, 650, 170),
        (105.880, 34.5665, 1109, 900, 700, 170),
    ],
    "river_names": ("渭河", "渭河"),
    "meander_m": 60.0,
}
# Tributaries from source to mouth; the last point is snapped onto the main river.
TRIBUTARIES = [
    {"key": "luoyu", "name": "罗峪河", "points": [
        (105.741, 34.622, 1265, 120, 120, 10), (105.744, 34.604, 1205, 230, 230, 12),
        (105.748, 34.590, 1168, 300, 300, 14), (105.750, 34.574, 1146, 320, 320, 14)]},
    {"key": "lver", "name": "吕二沟", "points": [
        (105.714, 34.532, 1330, 60, 60, 6), (105.710, 34.550, 1230, 120, 120, 8),
        (105.707, 34.562, 1175, 200, 200, 10), (105.705, 34.5760, 1157, 220, 220, 10)]},
    {"key": "yingchuan", "name": "颍川河", "points": [
        (105.922, 34.604, 1185, 120, 120, 10), (105.913, 34.592, 1140, 220, 220, 12),
        (105.905, 34.580, 1115, 280, 280, 14), (105.902, 34.5665, 1106, 300, 300, 14)]},
    {"key": "dongke", "name": "东柯河", "points": [
        (105.962, 34.522, 1265, 120, 120, 10), (105.957, 34.540, 1180, 220, 220, 12),
        (105.953, 34.553, 1125, 300, 300, 14), (105.950, 34.5652, 1103, 320, 320, 14)]},
]
# A lake beside the Ji River (a rubber-dam lake in a riverside park).
LAKES = [{"key": "tianshuihu", "name": "天水湖", "centre": (105.664, 34.5735),
          "radii_m": (420, 130), "angle_deg": 3.0}]

# Districts that carry urban fabric.
QINZHOU, MAIJI = "620502", "620503"

# Urban units (street offices, and the towns whose residents' committees lie in
# the valley) with a seed point and a relative share of the valley floor of
# their district; each unit's area grows from its seed along the street graph,
# so it stays contiguous.  Only 社区 take part for towns.
UNIT_ANCHORS = {
    "620502007": (105.650, 34.5790, 2.4),  # 天水郡街道 (west, both banks)
    "620502005": (105.697, 34.5840, 0.8),  # 西关街道
    "620502001": (105.714, 34.5830, 0.7),  # 大城街道
    "620502004": (105.726, 34.5850, 0.45),  # 中城街道
    "620502003": (105.738, 34.5825, 0.6),  # 东关街道
    "620502006": (105.712, 34.5655, 1.3),  # 石马坪街道 (south bank)
    "620502002": (105.770, 34.5760, 2.0),  # 七里墩街道 (east)
    "620503105": (105.818, 34.5820, 1.6),  # 花牛镇 (north bank, between the cities)
    "620503101": (105.830, 34.5590, 1.9),  # 马跑泉镇 (south bank)
    "620503001": (105.900, 34.5870, 0.9),  # 道北街道 (north of the railway)
    "620503002": (105.902, 34.5740, 0.9),  # 北道埠街道
    "620503003": (105.905, 34.5565, 1.1),  # 桥南街道 (south of the Wei)
    "620503100": (105.962, 34.5720, 1.3),  # 社棠镇 (east)
    "620503400": (105.975, 34.5560, 0.7),  # 天水经济开发区
}
# Units whose every child (villages too) gets an area; other towns only their 社区.
ALL_CHILDREN_UNITS = {"620503001"}

# Typology zones: (lon, lat, radius m, {typology: weight}).  A parcel's weights
# are the Gaussian-weighted sum over the zones plus a background.
BACKGROUND = {"walkup": 0.4, "tower": 0.22, "village": 0.05}
ZONES = [
    # 秦州 old town (天水古城) and its centre
    (105.719, 34.5850, 1150, {"oldtown": 3.4, "walkup": 0.9}),
    (105.728, 34.5800, 550, {"commercial": 1.6, "office": 0.7}),
    # 天水郡 / 西十里: the new west of 秦州
    (105.650, 34.5780, 2600, {"tower": 1.6, "walkup": 0.6}),
    (105.610, 34.5760, 1800, {"village": 1.0, "walkup": 0.5}),
    # 石马坪 south bank
    (105.712, 34.5660, 1500, {"walkup": 1.3, "tower": 0.6}),
    # 七里墩: the old factories (长控, 长开, 二一三) and their housing
    (105.768, 34.5745, 1200, {"industrial": 1.1, "walkup": 1.2}),
    (105.790, 34.5700, 1500, {"tower": 0.9, "walkup": 0.9}),
    # 花牛 / 马跑泉 between the two cities
    (105.818, 34.5810, 1300, {"walkup": 0.8, "industrial": 0.7, "village": 0.7}),
    (105.835, 34.5600, 1800, {"tower": 1.2, "village": 0.8}),
    # 北道: old railway town on the north bank of the Wei
    (105.898, 34.5755, 1100, {"oldtown": 1.4, "walkup": 1.4, "commercial": 0.5}),
    (105.896, 34.5880, 1300, {"walkup": 1.0, "village": 1.2}),
    # 桥南: the new district south of the Wei
    (105.905, 34.5560, 1900, {"tower": 2.0, "walkup": 0.4}),
    # 社棠 and the development zone: machine-tool works (星火) and industry
    (105.965, 34.5680, 1700, {"industrial": 1.3, "walkup": 0.7}),
    (105.975, 34.5560, 1400, {"industrial": 1.6}),
    # 三阳川 gorge
    (105.800, 34.6180, 2500, {"village": 1.6, "walkup": 0.4}),
]

# Names of the main roads.  Lines are referred to by (valley, side, rank):
# rank 0 is the riverside road, 1 the first arterial, 2 the second.
# Each entry: list of (from lon, to lon, name, road class, oneway).
ARTERIALS = {
    ("main", "left", 0): [(-999, 105.880, "藉河北路", "primary", False),
                          (105.880, 999, "渭滨北路", "primary", False)],
    ("main", "right", 0): [(-999, 105.880, "藉河南路", "primary", False),
                           (105.880, 999, "渭滨南路", "primary", False)],
    ("main", "left", 1): [(-999, 105.700, "成纪大道", "trunk", False),
                          (105.700, 105.745, "民主路", "primary", "forward"),
                          (105.745, 105.885, "羲皇大道", "trunk", False),
                          (105.885, 105.945, "商埠路", "primary", False),
                          (105.945, 999, "社棠路", "primary", False)],
    ("main", "left", 2): [(-999, 105.700, "环城北路", "secondary", False),
                          (105.700, 105.745, "解放路", "primary", "backward"),
                          (105.745, 105.880, "天水大道", "secondary", False),
                          (105.880, 999, "北山路", "secondary", False)],
    ("main", "right", 1): [(-999, 105.760, "石马坪路", "secondary", False),
                           (105.760, 105.880, "马跑泉路", "primary", False),
                           (105.880, 105.945, "埠南路", "primary", False),
                           (105.945, 999, "开发区大道", "primary", False)],
    ("wei_upper", "left", 0): [(-999, 999, "渭滨路", "secondary", False)],
    ("wei_upper", "right", 0): [(-999, 999, "三阳川路", "secondary", False)],
}
# Offsets (m from the valley axis) of the arterial lines by rank.
ARTERIAL_OFFSETS = {1: 620.0, 2: 1150.0}

# Names of the bridged cross arterials, west to east, per district.
CROSS_ARTERIAL_NAMES = {
    QINZHOU: ["西十里路", "王家磨路", "暖和湾路", "瀛池路", "莲亭路", "皂郊路", "西关路",
              "自由路", "大众路", "建设路", "双桥路", "岷山路", "罗玉路", "五里铺路",
              "七里墩路", "长开路", "东十里路"],
    MAIJI: ["花牛路", "二一九路", "柳林路", "马跑泉大道", "瑞欣路", "天河路", "大桥路",
            "育才路", "红旗路", "前进路", "龙园路", "甘棠路", "星火路", "成纪路", "东岔路"],
}
# Words for the ordinary streets (支路) and lanes (巷).
STREET_WORDS = [
    "青年", "文化", "和平", "团结", "光明", "迎宾", "春风", "莲湖", "泉湖", "龙城", "长青",
    "秀水", "锦绣", "桃园", "杏花", "玉泉", "伏羲", "娲皇", "麦积", "南山", "伏羲庙", "胜利",
    "新华", "人民", "幸福", "友谊", "朝阳", "东风", "红山", "绿荫", "书院", "学府", "花园",
    "槐荫", "枣园", "梨园", "苹果", "丰收", "兴业", "振兴", "兴隆", "富民", "安居", "乐业",
    "陇林", "天庆", "瑞祥", "祥和", "吉祥", "永安", "永兴", "长乐", "康乐", "太平", "育英",
    "崇文", "尚德", "明德", "广场", "公园", "滨河", "西湖", "北湖", "南湖", "柳岸", "桥头",
    "石桥", "新村", "旧街", "古槐", "飞将", "李广", "仙人", "秦岭", "陇南", "陇东", "关山",
]
