"""Every setting of the city-model app, declared once (``settings.CIM``).

A deployment overrides keys in ``settings.CIM``; anything else comes from
here.  Paths and hosts default to the environment read in ``config/env.py``.
"""

from __future__ import annotations

from config import env
from config.common.appsettings import AppSettings, Key

__all__ = ["cim_settings"]

cim_settings = AppSettings("CIM", {
    # -- files ---------------------------------------------------------------
    "SHARED_DATA_DIR": Key(env.SHARED_DATA_DIR, "real test data (OSM, SRTM, CityJSON, admin data)"),
    "DEM_DIR": Key(env.MEDIA_ROOT / "dem", "registered elevation models"),
    "TILES_DIR": Key(env.MEDIA_ROOT / "tiles", "served 3D Tiles (a link to the current build)"),
    "TILES_PART_GRACE_S": Key(0.0, "a full build spread over the workers leaves them this long to "
                                   "take shares before it builds the rest itself"),
    "TERRAIN_DIR": Key(env.MEDIA_ROOT / "terrain", "served terrain tiles (a link to the current build)"),
    "BASEMAP_DIR": Key(env.MEDIA_ROOT / "basemap",
                       "served raster basemap tiles (a link to the current build)"),
    # -- the basemap -------------------------------------------------------------
    "BASEMAP_MIN_ZOOM": Key(10, "coarsest zoom of the built basemap (XYZ, Web Mercator)"),
    "BASEMAP_MAX_ZOOM": Key(16, "finest zoom of the built basemap (16: ≈2 m pixels at 35° N; 17 draws "
                                "about three times as many tiles for ≈1 m)"),
    "BASEMAP_FONT": Key("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                        "CJK font of the basemap's labels (Debian fonts-noto-cjk)"),
    "BASEMAP_FONT_INDEX": Key(2, "face in the font collection (2: Noto Sans CJK SC)"),
    "BASEMAP_EXTERNAL": Key(None, "an external imagery service used instead of the built basemap, e.g. "
                                  "the province's 天地图 or 国土 service on the closed network: "
                                  "{'kind': 'wmts'|'xyz'|'tms', 'url': ..., 'layer', 'style', "
                                  "'tile_matrix_set', 'format', 'min_zoom', 'max_zoom', 'subdomains', "
                                  "'attribution'}; None: the platform's own tiles"),
    "BIM_TILES_DIR": Key(env.MEDIA_ROOT / "bim",
                         "3D Tiles of BIM models, <model id>/ each (a link to its build)"),
    # -- the city model --------------------------------------------------------
    "STOREY_HEIGHT_M": Key(3.0, "height of one storey, to derive heights from floors and back"),
    "MAX_BUILDING_HEIGHT_M": Key(900.0, "taller buildings are refused by the importers"),
    "OSM_READ_IN_CHILD": Key(True, "import_osm reads the PBF in a forked process beside the loader"),
    "ROUTING_CHECK_INTERVAL_S": Key(1.0, "how often the routing graph checks whether roads changed"),
    "METRIC_SRID": Key(4544, "metric CRS of the city's analyses (CGCS2000 3° Gauss-Krüger, CM 105° E)"),
    "DATUM_1985_OFFSET_M": Key(0.0, "1985 national height datum minus the DEM's EGM96 heights, in metres, "
                                    "at the city (a few decimetres at most; 0 when not surveyed)"),
    "PEOPLE_PER_HOUSEHOLD": Key(2.62, "people per dwelling for estimates (2020 census, national average)"),
    "REPORT_FONT": Key("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                       "TrueType CJK font embedded in PDF reports (Debian fonts-wqy-zenhei)"),
    # -- sunlight analysis (GB 50180-2018 表 4.0.9) -------------------------------
    "SUNLIGHT_CLIMATE_ZONE": Key("II", "building climate zone of the city (GB 50178: I–VII; Tianshui: II)"),
    "SUNLIGHT_URBAN_POPULATION": Key(
        800_000, "urban resident population (城区常住人口) that picks the sunlight standard's row "
                 "(GB 50180-2018 splits at 500,000); set it from the city's statistics"),
    "SCHEME_MAX_BYTES": Key(20 * 1024 * 1024, "largest file of a design scheme (site, buildings, green)"),
    "SCHEME_IMAGE_MAX_BYTES": Key(4 * 1024 * 1024, "largest view picture posted with a scheme comparison"),
    # -- long jobs on workers (cim.services.jobs) -------------------------------
    "JOB_HEARTBEAT_S": Key(5.0, "a running job's worker writes its heartbeat this often"),
    "JOB_LOST_AFTER_S": Key(60.0, "a running job without a heartbeat this long is marked failed (lost)"),
    "JOB_PROGRESS_EVERY_S": Key(0.5, "a job's progress is written (and announced) at most this often"),
    "JOB_UPLOAD_MAX_BYTES": Key(1 << 30, "largest file a job may be given (imports)"),
    # -- door plates and the scan page ----------------------------------------
    "PLATE_HOST": Key(env.PLATE_HOST, "host printed in plate QR codes (https://<host>/P/<CODE>)"),
    "PLATE_SHEET_MAX": Key(2000, "most plates on one printed sheet (PDF) of a community"),
    "CLIENT_HASH_SALT": Key(env.CLIENT_HASH_SALT, "salt of the client-address hashes in scan statistics"),
    "SCAN_PAGE_TTL_S": Key(1800, "a rendered scan page is kept in Redis this long"),
    "SCAN_RATE_PER_MIN": Key(60, "scans one client may make per minute"),
    "SCAN_SPIKE_PER_MIN": Key(60, "scans of one plate in a minute that raise a plate alert"),
    "SCAN_BATCH_S": Key(
        0.5, "a process answers scans of a page it holds (checked with Redis this recently) without "
             "waiting for Redis, and sends their counts in one round trip at most this many seconds "
             "later; 0: one round trip per scan (see cim.services.plates.scan_batch)"),
    "REPORT_PHOTO_MAX_BYTES": Key(5 * 1024 * 1024, "largest photo of a resident's report"),
    "REPORT_RATE_PER_10MIN": Key(5, "reports one client may file in ten minutes"),
    "TRACK_RATE_PER_MIN": Key(30, "tracking-code look-ups one client may make per minute"),
    "REPORT_RESPOND_HOURS": Key(
        {"road": 2, "lighting": 4, "sanitation": 4, "water": 2, "safety": 1, "noise": 2, "plate": 8,
         "other": 4},
        "hours, per report category, within which staff must claim (acknowledge) a new report; "
        "a category not listed gets the value of 'other'"),
    "REPORT_RESOLVE_HOURS": Key(
        {"road": 72, "lighting": 72, "sanitation": 48, "water": 48, "safety": 24, "noise": 48,
         "plate": 168, "other": 72},
        "hours, per report category, within which a report must be resolved or rejected"),
    "REPORT_QUEUE_PAGE_SIZE": Key(20, "reports per page of the back-office queue"),
    "FLAG_RATE_PER_10MIN": Key(5, "plate problem flags one client may send in ten minutes"),
    # -- pages ------------------------------------------------------------------
    "WS_URL": Key(env.WS_URL, "where browsers open WebSockets; empty: the page's own origin"),
})
