"""Build and load the Tianshui demo city.

    manage.py build_demo_city                 # the whole city (≈ 120 km², ≥ 60,000 buildings)
    manage.py build_demo_city --small         # a 3 × 2.5 km part of the old town, for tests
    manage.py build_demo_city --extent 105.70,34.56,105.74,34.59 --seed 7
    manage.py build_demo_city --force         # rebuild even if this very city is loaded

Real: the division codes and names of Tianshui and the boundaries of the city
and its districts.  Synthetic (marked so, source ``tianshui-demo``): terrain,
water, roads, buildings, community areas and service points, generated from
the seed.  Loading the same seed and generator version twice changes nothing.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from tqdm import tqdm

from cim.choices import ImportKind, ImportStatus
from cim.models import ImportRun
from gis_data.demo import city as city_mod
from gis_data.demo import plan
from gis_data.demo.loader import SOURCE, city_tables_size, demo_city_load, demo_loaded_run

LOAD_STEPS = 9


def parse_extent(raw: str) -> tuple[float, float, float, float]:
    """``west,south,east,north`` in degrees, inside the demo's DEM."""
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 4:
        raise CommandError(_("--extent：需要四个数 west,south,east,north，收到 %(n)d 个") % {"n": len(parts)})
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise CommandError(_("--extent：%(raw)s 不是数字") % {"raw": raw}) from None
    if not (west < east and south < north):
        raise CommandError(_("--extent：须 west < east 且 south < north"))
    dw, ds, de, dn = plan.DEM_BOUNDS
    if west < dw or east > de or south < ds or north > dn:
        raise CommandError(_("--extent：超出演示城市范围 %(b)s") % {"b": plan.DEM_BOUNDS})
    return west, south, east, north


class Command(BaseCommand):
    help = _("生成并加载天水演示城市（真实区划 + 合成的地形、水系、路网、建筑、社区与服务网点）")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=plan.DEFAULT_SEED,
                            help=_("随机种子（默认 %(d)s）") % {"d": plan.DEFAULT_SEED})
        parser.add_argument("--extent", help=_("只生成此范围 west,south,east,north（度）"))
        parser.add_argument("--small", action="store_true", help=_("只生成老城的一小片（测试用）"))
        parser.add_argument("--force", action="store_true", help=_("即使已加载也重新生成"))

    def handle(self, *args, seed: int, extent: str | None, small: bool, force: bool, **options):
        if seed < 0 or seed >= 2**63:
            raise CommandError(_("--seed：须为非负整数"))
        if extent and small:
            raise CommandError(_("--extent 与 --small 只能选一个"))
        bounds = parse_extent(extent) if extent else (plan.SMALL_EXTENT if small else plan.FULL_EXTENT)
        quiet = options.get("verbosity", 1) < 1

        loaded = demo_loaded_run(seed=seed, extent=bounds)
        if loaded is not None and not force:
            message = _("演示城市已加载（种子 %(seed)s，生成器 %(v)s，导入记录 #%(run)s），"
                        "未作任何更改；用 --force 重新生成。")
            self.stdout.write(message % {"seed": seed, "v": plan.GENERATOR_VERSION, "run": loaded.pk})
            return

        run = ImportRun.objects.create(
            kind=ImportKind.DEMO, source_name=f"{SOURCE} seed={seed}",
            options={"seed": seed, "version": plan.GENERATOR_VERSION, "extent": list(bounds),
                     "full": bounds == plan.FULL_EXTENT})
        started = time.perf_counter()
        bar = tqdm(total=len(city_mod.STEPS) + LOAD_STEPS, desc=_("演示城市"), unit=_("步"),
                   disable=quiet, file=self.stderr)

        marks: list[tuple[str, float]] = []

        def tick(name: str) -> None:
            marks.append((name, time.perf_counter()))
            bar.set_postfix_str(name)
            bar.update(1)

        try:
            try:
                city = city_mod.generate(seed=seed, extent=bounds, progress=tick)
            except city_mod.EmptyExtent:
                city = None
            if city is None or not city.buildings["geom"]:
                raise CommandError(_("--extent：范围内没有城区（河谷平地），没有可生成的建筑"))
            content_digest = city_mod.digest(city)
            generated = time.perf_counter()
            counts = demo_city_load(city=city, run=run, progress=tick)
            loaded_at = time.perf_counter()
        except Exception as exc:
            bar.close()
            run.status = ImportStatus.FAILED
            run.finished_at = timezone.now()
            run.message = str(exc)[:2000]
            run.save(update_fields=["status", "finished_at", "message"])
            if isinstance(exc, CommandError):
                raise
            detail = str(exc)
            detail = detail if len(detail) <= 300 else detail[:300] + "…"
            raise CommandError(_("生成演示城市失败，数据库未改动：%(e)s") % {"e": detail}) from exc
        bar.close()
        size = city_tables_size()
        load_marks = [(n, t) for n, t in marks if t >= generated]
        load_steps = {n: round(t - prev, 2) for (n, t), prev in
                      zip(load_marks, [generated] + [t for _, t in load_marks], strict=False)}
        stats = dict(city.stats, load_timings_s=load_steps, generate_s=round(generated - started, 1),
                     load_s=round(loaded_at - generated, 1), total_s=round(loaded_at - started, 1),
                     city_tables_bytes=size)
        run.counts = counts
        run.checksum = content_digest
        run.options = dict(run.options, stats=stats)
        run.status = ImportStatus.SUCCEEDED
        run.finished_at = timezone.now()
        run.message = _("合成演示城市，种子 %(s)s") % {"s": seed}
        run.save(update_fields=["counts", "checksum", "options", "status", "finished_at", "message"])

        self.stdout.write(_("天水演示城市（种子 %(seed)s，生成器 %(v)s，导入记录 #%(run)s）") % {
            "seed": seed, "v": plan.GENERATOR_VERSION, "run": run.pk})
        labels = {"admin_areas": _("行政区划（真实代码）"), "community_areas": _("社区范围（合成）"),
                  "street_areas": _("街道范围（合成）"), "buildings": _("建筑"),
                  "road_nodes": _("路网节点"), "road_segments": _("路段"),
                  "service_points": _("服务网点"), "waterways": _("水系"), "dem": _("数字高程模型")}
        for key, label in labels.items():
            self.stdout.write(f"  {label:<16} {counts.get(key, 0):>8,}")
        self.stdout.write(_("  城区面积 %(a).1f 平方公里（陆地 %(l).1f）") % {
            "a": city.stats["fabric_km2"], "l": city.stats["fabric_land_km2"]})
        self.stdout.write(_("  用时 %(t).1f 秒（生成 %(g).1f，入库 %(l).1f）") % {
            "t": stats["total_s"], "g": stats["generate_s"], "l": stats["load_s"]})
        self.stdout.write(_("  城市数据表占用 %(mb).1f MB") % {"mb": size / 1e6})
        self.stdout.write(_("  内容摘要 %(d)s") % {"d": run.checksum[:16]})
