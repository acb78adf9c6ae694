"""Ground height from a registered DEM: the sampler, the geoid and the API."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from cim.errors import ImportFailed
from cim.models import DemRaster
from cim.services.dem import dem_register
from cim.services.terrain import ground_height, ground_heights
from cim.terrain.geoid import undulation
from cim.terrain.sampler import DemGrid, fill_voids

pytestmark = pytest.mark.django_db


def test_bilinear_sampler_between_pixel_centres():
    data = np.array([[0.0, 10.0], [20.0, 30.0]], dtype=np.float32)
    grid = DemGrid(data, rasterio.Affine(1.0, 0, 100.0, 0, -1.0, 50.0))
    # pixel centres at lon 100.5/101.5, lat 49.5/48.5
    assert grid.sample(100.5, 49.5) == pytest.approx(0.0)
    assert grid.sample(101.0, 49.0) == pytest.approx(15.0)
    assert grid.sample(101.5, 48.5) == pytest.approx(30.0)
    assert np.isnan(grid.sample(103.0, 49.0))


def test_void_fill_uses_neighbours():
    data = np.array([[1, 1, 1], [1, np.nan, 1], [1, 1, 1]], dtype=np.float32)
    assert fill_voids(data)[1, 1] == pytest.approx(1.0)


def test_geoid_undulation_at_tianshui_and_monaco():
    n = undulation([105.72, 105.89, 7.42], [34.58, 34.56, 43.73])
    assert n[0] == pytest.approx(-38.9, abs=0.3)
    assert n[1] == pytest.approx(-38.4, abs=0.3)
    assert n[2] == pytest.approx(48.7, abs=0.3)


def test_srtm_height_matches_the_raw_tile(media_root, shared_data):
    dem = dem_register(source_path=shared_data / "dem" / "N43E007.hgt.zip")
    assert (dem.width, dem.height) == (1201, 1201) and dem.crs == "EPSG:4326"
    # Independent read of the raw tile at one pixel centre.
    with rasterio.open(f"zip://{shared_data / 'dem' / 'N43E007.hgt.zip'}!N43E007.hgt") as src:
        row, col = 700, 500
        raw = float(src.read(1)[row, col])
        lon, lat = src.xy(row, col)
    sample = ground_height(lon, lat)
    assert sample.height == pytest.approx(raw, abs=0.01)
    assert sample.ellipsoidal_height - sample.height == pytest.approx(float(undulation(lon, lat)[0]))
    many = ground_heights(np.array([lon, 20.0]), np.array([lat, 10.0]))
    assert many[0] == pytest.approx(raw, abs=0.01) and np.isnan(many[1])


def test_height_api(client_for, media_root, shared_data):
    dem_register(source_path=shared_data / "dem" / "monaco_srtm3_clip.tif")
    client = client_for(None)
    body = client.get("/api/cim/terrain/height/?lon=7.42&lat=43.74").json()
    assert 0 < body["height"] < 400 and body["dem"] == "monaco_srtm3_clip"
    assert body["ellipsoidal_height"] == pytest.approx(body["height"] + 48.7, abs=0.5)
    outside = client.get("/api/cim/terrain/height/?lon=105.7&lat=34.5").json()
    assert outside["height"] is None
    bad = client.get("/api/cim/terrain/height/?lon=abc&lat=95")
    assert bad.status_code == 400 and bad.json()["field"] == "lon"


def test_dem_without_crs_is_refused_and_nothing_stored(media_root, tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="float32") as d:
        d.write(np.full((4, 4), 1150, dtype=np.float32), 1)
    with pytest.raises(ImportFailed, match="no coordinate reference system"):
        dem_register(source_path=path)
    assert not DemRaster.objects.exists()


def test_dem_with_absurd_heights_is_refused(media_root, tmp_path):
    path = tmp_path / "feet.tif"
    profile = dict(driver="GTiff", width=4, height=4, count=1, dtype="float32", crs="EPSG:4326",
                   transform=rasterio.Affine(0.01, 0, 105.7, 0, -0.01, 34.6))
    with rasterio.open(path, "w", **profile) as d:
        d.write(np.full((4, 4), 25000, dtype=np.float32), 1)
    with pytest.raises(ImportFailed, match="not plausible"):
        dem_register(source_path=path)
    assert not DemRaster.objects.exists()


def test_corrupt_zip_is_refused(media_root, tmp_path, shared_data):
    broken = tmp_path / "N43E007.hgt.zip"
    broken.write_bytes((shared_data / "dem" / "N43E007.hgt.zip").read_bytes()[:5000])
    with pytest.raises(ImportFailed, match="corrupt or truncated|cannot read"):
        dem_register(source_path=broken)
    assert not DemRaster.objects.exists()
