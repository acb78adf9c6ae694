"""``import_dem``: SRTM .hgt.zip and GeoTIFF through dem_register, with an
ImportRun, base elevations of covered buildings, and broken files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from django.core.management import call_command
from django.core.management.base import CommandError

from cim.choices import ImportStatus
from cim.models import AuditLog, DemRaster, ImportRun
from cim.services.imports import file_checksum
from cim.services.terrain import ground_height
from tests import factories as f

pytestmark = pytest.mark.django_db


def run_import(path: Path, *args: str) -> tuple[ImportRun, str]:
    out = io.StringIO()
    call_command("import_dem", str(path), *args, stdout=out)
    return ImportRun.objects.latest("id"), out.getvalue()


def test_srtm_zip_and_geotiff(media_root, shared_data):
    house = f.building(7.4200, 43.7350, source_id="on-the-hill")
    far = f.building(105.70, 34.58, source_id="tianshui")
    zipped = shared_data / "dem" / "N43E007.hgt.zip"
    run, summary = run_import(zipped)
    assert run.status == ImportStatus.SUCCEEDED and run.kind == "dem"
    assert run.checksum == file_checksum(zipped) and run.file_size == zipped.stat().st_size
    assert run.counts["dem"] == {"read": 1, "imported": 1, "inserted": 1, "updated": 0, "rejected": 0}
    dem = DemRaster.objects.get()
    assert (dem.name, dem.width, dem.height, dem.import_run) == ("N43E007", 1201, 1201, run)
    assert (media_root / dem.path).is_file()
    assert "1201×1201" in summary
    assert AuditLog.objects.filter(action="import.dem", object_id=str(run.pk)).exists()
    house.refresh_from_db()
    far.refresh_from_db()
    assert house.base_elevation is not None and far.base_elevation is None
    assert house.base_elevation <= ground_height(*house.centroid.coords).height + 0.01

    tif = shared_data / "dem" / "monaco_srtm3_clip.tif"
    run, _ = run_import(tif, "--name", "Monaco clip", "--priority", "5", "--vertical-datum", "egm96")
    clip = DemRaster.objects.get(name="Monaco clip")
    assert clip.priority == 5 and run.options == {"name": "Monaco clip", "priority": 5,
                                                  "vertical_datum": "egm96"}
    assert ground_height(7.42, 43.735).dem_name == "Monaco clip"  # the higher priority answers

    again, _ = run_import(zipped)
    assert again.counts["dem"]["updated"] == 1 and DemRaster.objects.count() == 2


def test_geotiff_without_crs_needs_one(media_root, tmp_path):
    path = tmp_path / "nocrs.tif"
    data = np.linspace(100, 200, 50 * 40, dtype=np.float32).reshape(40, 50)
    with rasterio.open(path, "w", driver="GTiff", width=50, height=40, count=1, dtype="float32",
                       transform=Affine(0.001, 0, 105.70, 0, -0.001, 34.60)) as dst:
        dst.write(data, 1)
    with pytest.raises(CommandError, match=r"nocrs\.tif: no coordinate reference system .* --crs"):
        run_import(path)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "--crs" in failed.message
    assert not DemRaster.objects.exists()
    run_import(path, "--crs", "EPSG:4326")
    assert ground_height(105.725, 34.58).height == pytest.approx(150, abs=30)


def test_broken_files_change_nothing(media_root, shared_data, tmp_path):
    run_import(shared_data / "dem" / "monaco_srtm3_clip.tif")
    before = list(DemRaster.objects.values_list("path", "checksum", "min_elevation", "max_elevation"))
    original = (shared_data / "dem" / "N43E007.hgt.zip").read_bytes()
    cut_zip = tmp_path / "N43E007.hgt.zip"
    cut_zip.write_bytes(original[: len(original) // 2])
    with zipfile.ZipFile(shared_data / "dem" / "N43E007.hgt.zip") as zf:
        hgt = zf.read(zf.namelist()[0])
    cut_hgt = tmp_path / "N43E007.hgt"
    cut_hgt.write_bytes(hgt[: len(hgt) // 2])  # GDAL decides .hgt size from the name: short read
    cut_tif = tmp_path / "cut.tif"
    cut_tif.write_bytes((shared_data / "dem" / "monaco_srtm3_clip.tif").read_bytes()[:4000])
    notes = tmp_path / "heights.txt"
    notes.write_text("1 2 3")
    feet = tmp_path / "feet.tif"
    with rasterio.open(feet, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.01, 0, 7.4, 0, -0.01, 43.8)) as dst:
        dst.write(np.full((4, 4), 30000, dtype=np.float32), 1)
    cases = {cut_zip: "N43E007.hgt.zip: ", cut_hgt: "N43E007.hgt: ", cut_tif: "cut.tif: ",
             notes: "heights.txt: unknown format", feet: "feet.tif: heights .* not plausible"}
    for path, message in cases.items():
        with pytest.raises(CommandError, match=message):
            run_import(path)
        failed = ImportRun.objects.latest("id")
        assert failed.status == ImportStatus.FAILED and path.name in failed.message
    assert list(DemRaster.objects.values_list("path", "checksum", "min_elevation", "max_elevation")) == before


def test_a_raster_outside_the_valid_range_is_refused(media_root, tmp_path):
    """Issue 12 §3.11 for DEMs: a GeoTIFF said to be in EPSG:4326 whose cells lie at
    longitude 500 fails the import with the reason in its report; nothing is stored."""
    path = tmp_path / "lon500.tif"
    with rasterio.open(path, "w", driver="GTiff", width=10, height=10, count=1, dtype="float32",
                       crs="EPSG:4326", transform=Affine(0.01, 0, 500.0, 0, -0.01, 34.6)) as dst:
        dst.write(np.full((10, 10), 1200, dtype=np.float32), 1)
    with pytest.raises(CommandError, match=r"lon500\.tif: extent .* not a valid longitude/latitude range"):
        run_import(path)
    failed = ImportRun.objects.latest("id")
    assert failed.status == ImportStatus.FAILED and "valid longitude/latitude range" in failed.message
    assert not DemRaster.objects.exists()
