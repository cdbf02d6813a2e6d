"""`burgernet import_regions`: CBS/PDOK GeoJSON in, all or nothing, errors naming the feature."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from burgernet.geo.models import Region, RegionCell, RegionKind
from burgernet.geo.selectors import region_for_point

pytestmark = pytest.mark.django_db


def square(lon: float, lat: float, size: float = 0.05) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


def feature(code: str, name: str, geometry: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"statcode": code, "statnaam": name, **props},
        "geometry": geometry,
    }


def write(tmp_path: Path, features: list[Any], name: str = "regions.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_regions", *args, stdout=out)
    return out.getvalue()


def test_imports_municipalities_with_inhabitants_from_properties(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            feature("GM9001", "Testdorp", square(5.0, 52.0), inwoners=12_345),
            feature("GM9002", "Proefstad", square(5.1, 52.0), aantal_inwoners="6789"),
        ],
    )
    output = run(str(path))
    assert "2 regions" in output
    dorp = Region.objects.get(code="GM9001")
    assert (dorp.name, dorp.kind, dorp.inhabitants) == ("Testdorp", "municipality", 12_345)
    assert Region.objects.get(code="GM9002").inhabitants == 6789
    # Indexed for point lookup straight away.
    assert RegionCell.objects.filter(region=dorp).exists()
    found = region_for_point(lat=52.025, lon=5.025)
    assert found is not None and found.code == "GM9001"
    found = region_for_point(lat=52.025, lon=5.125)
    assert found is not None and found.code == "GM9002"


def test_inhabitants_from_csv_and_reimport_updates(tmp_path: Path) -> None:
    path = write(tmp_path, [feature("GM9001", "Testdorp", square(5.0, 52.0))])
    csv_path = tmp_path / "inwoners.csv"
    csv_path.write_text("statcode,inwoners\nGM9001,4200\n")
    run(str(path), "--inhabitants", str(csv_path))
    assert Region.objects.get(code="GM9001").inhabitants == 4200
    path = write(tmp_path, [feature("GM9001", "Testdorp-Nieuw", square(5.0, 52.0))])
    output = run(str(path), "--inhabitants", str(csv_path))
    assert "0 new, 1 updated" in output
    assert Region.objects.get(code="GM9001").name == "Testdorp-Nieuw"


def test_neighbourhoods_with_parent_field(tmp_path: Path) -> None:
    run(str(write(tmp_path, [feature("GM9001", "Testdorp", square(5.0, 52.0))])))
    path = write(
        tmp_path,
        [
            feature("BU90010001", "Centrum", square(5.0, 52.0, 0.01), gm_code="GM9001"),
            feature("BU90010002", "Noord", square(5.0, 52.01, 0.01), gm_code="GM9001"),
        ],
        "buurten.geojson",
    )
    run(str(path), "--kind", "neighbourhood", "--parent-field", "gm_code")
    centrum = Region.objects.get(code="BU90010001")
    assert centrum.kind == RegionKind.NEIGHBOURHOOD
    assert centrum.parent is not None and centrum.parent.code == "GM9001"
    found = region_for_point(lat=52.005, lon=5.005, kind=RegionKind.NEIGHBOURHOOD)
    assert found is not None and found.code == "BU90010001"
    # The municipality lookup is not confused by the neighbourhoods.
    found = region_for_point(lat=52.005, lon=5.005)
    assert found is not None and found.code == "GM9001"


@pytest.mark.parametrize(
    ("bad_feature", "expected"),
    [
        (feature("", "Leeg", square(5.2, 52.0)), "feature 1: properties.statcode"),
        (feature("GM9003", None, square(5.2, 52.0)), "feature 1: properties.statnaam"),
        (feature("GM9003", "Fout", square(5.2, 52.0), inwoners="veel"), "properties.inwoners"),
        (feature("GM9003", "Fout", square(5.2, 52.0), inwoners=-5), "properties.inwoners"),
        (
            feature("GM9003", "Fout", {"type": "Point", "coordinates": [5, 52]}),
            "feature 1: geometry",
        ),
        (
            feature("GM9003", "Fout", {"type": "LineString", "coordinates": []}),
            "feature 1: geometry.type",
        ),
        (
            feature(
                "GM9003",
                "Open",
                {
                    "type": "Polygon",
                    "coordinates": [[[5.2, 52.0], [5.3, 52.0], [5.3, 52.1], [5.2, 52.1]]],
                },
            ),
            "feature 1: geometry.coordinates[0]",
        ),
        (feature("GM9003", "Ver", square(5.2, 95.0)), "feature 1: geometry.coordinates[0]"),
        (feature("GM9001", "Dubbel", square(5.2, 52.0)), "feature 1: properties.statcode"),
        ("not a feature", "feature 1: type"),
    ],
)
def test_a_bad_feature_imports_nothing_and_names_index_and_field(
    tmp_path: Path, bad_feature: Any, expected: str
) -> None:
    path = write(tmp_path, [feature("GM9001", "Goed", square(5.0, 52.0)), bad_feature])
    with pytest.raises(CommandError) as info:
        run(str(path))
    assert expected in str(info.value)
    assert "nothing was imported" in str(info.value)
    assert not Region.objects.exists()
    assert not RegionCell.objects.exists()


def test_unknown_parent_imports_nothing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [feature("BU1", "Ergens", square(5.0, 52.0, 0.01), gm_code="GM0000")],
    )
    with pytest.raises(CommandError, match=r"feature 0: properties.gm_code: no region"):
        run(str(path), "--kind", "neighbourhood", "--parent-field", "gm_code")
    assert not Region.objects.exists()


def test_bad_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        run(str(tmp_path / "missing.geojson"))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run(str(broken))
    wrong = tmp_path / "wrong.geojson"
    wrong.write_text(json.dumps({"type": "Feature"}))
    with pytest.raises(CommandError, match="FeatureCollection"):
        run(str(wrong))
    good = write(tmp_path, [feature("GM9001", "Goed", square(5.0, 52.0))])
    bad_csv = tmp_path / "inwoners.csv"
    bad_csv.write_text("statcode,inwoners\nGM9001,12\nGM9002,twaalf\n")
    with pytest.raises(CommandError, match=r"line 3: inwoners"):
        run(str(good), "--inhabitants", str(bad_csv))
    bad_csv.write_text("code,aantal\nGM9001,12\n")
    with pytest.raises(CommandError, match=r"statcode: column is missing"):
        run(str(good), "--inhabitants", str(bad_csv))
    assert not Region.objects.exists()
