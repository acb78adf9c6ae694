"""Plate artwork: the printed QR decodes back to the URL with a real decoder
(zxing-cpp) from the SVG (rendered by cairosvg), the PNG and the PDF print
sheet (rasterised by poppler's pdftoppm)."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import cairosvg
import pytest
import zxingcpp
from PIL import Image

from cim.plates import artwork, codes, qr, sheets

HOST = "TS.GOV.CN"


def _plate(i: int = 12):
    code = codes.new_code()
    text = artwork.PlateText(headline=f"民主路 {i}号", address=f"秦州区大城街道进步巷社区民主路{i}号",
                             community="大城街道 进步巷社区", domain=HOST.lower(), code=code)
    return text, qr.plate_url(code, HOST)


def _decode(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.mark.parametrize("size", ["large", "medium", "small"])
def test_svg_is_in_millimetres_and_its_qr_decodes(size):
    text, url = _plate()
    svg = artwork.plate_svg(text=text, url=url, size=size)
    width_mm = float(re.search(r'width="([0-9.]+)mm"', svg).group(1))
    m = re.search(r'translate\(([0-9.]+) ([0-9.]+)\) scale\(([0-9.]+)\)', svg)
    module = float(m.group(3))
    n = qr.qr_matrix(url).size
    assert abs(module * n - artwork.QR_MM[size]) < 0.01          # QR edge = 120/75/40 mm
    qr_x = float(m.group(1))
    field_x = float(re.search(r'<rect x="([0-9.]+)" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+" '
                              r'fill="#fff"/>', svg).group(1))
    assert abs((qr_x - field_x) - 4 * module) < 0.01               # 4-module quiet zone
    assert 0 < width_mm < 700
    assert codes.pretty(text.code) in svg and HOST.lower() in svg   # printed under the QR
    png = cairosvg.svg2png(bytestring=svg.encode(), dpi=120 if size != "small" else 200)
    assert _decode(Image.open(io.BytesIO(png))) == [url]


def test_png_artwork_decodes():
    text, url = _plate()
    png = artwork.plate_png(text=text, url=url, size="medium", dpi=100)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > 1000
    assert _decode(image) == [url]


def test_unknown_size_is_refused():
    text, url = _plate()
    with pytest.raises(ValueError, match="size"):
        artwork.plate_svg(text=text, url=url, size="huge")


@pytest.mark.parametrize("size,paper,dpi", [("small", "A4", 150), ("medium", "A3", 100),
                                            ("large", "A4", 72)])
def test_print_sheet_pdf_decodes_every_plate(tmp_path: Path, size, paper, dpi):
    plates = [_plate(i) for i in range(1, 6)]
    pdf = sheets.print_sheet(plates, size=size, paper=paper, title="620502001001")
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(path), str(tmp_path / "page")],
                   check=True, capture_output=True)
    found = []
    for page in sorted(tmp_path.glob("page-*.png")):
        found += _decode(Image.open(page))
    assert sorted(found) == sorted(url for _, url in plates)
