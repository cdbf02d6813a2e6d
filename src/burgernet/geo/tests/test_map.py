"""The map component: the outlines endpoint, the assets snippet, and the map in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import engines
from django.test import Client


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_municipalities_endpoint_serves_every_outline(client: Client) -> None:
    response = client.get("/geo/municipalities.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert len(data["features"]) == 342
    amsterdam = next(f for f in data["features"] if f["properties"]["code"] == "GM0363")
    assert amsterdam["properties"]["name"] == "Amsterdam"
    assert amsterdam["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    # A browser that has it already gets "not modified".
    again = client.get("/geo/municipalities.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
@pytest.mark.usefixtures("municipalities")
def test_endpoint_follows_a_new_import(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from burgernet.geo.services import region_import_geojson

    assert len(client.get("/geo/municipalities.geojson").json()["features"]) == 342
    square = [[5.0, 52.0], [5.1, 52.0], [5.1, 52.1], [5.0, 52.1], [5.0, 52.0]]
    with django_capture_on_commit_callbacks(execute=True):
        region_import_geojson(
            collection={
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"statcode": "GM9001", "statnaam": "Testdorp"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    features = client.get("/geo/municipalities.geojson").json()["features"]
    assert len(features) == 343
    assert "GM9001" in {f["properties"]["code"] for f in features}


def test_map_assets_snippet_has_no_inline_script(settings: Any) -> None:
    settings.MAP_TILE_URL = "/tiles/{z}/{x}/{y}.png"
    html = engines["django"].from_string('{% include "geo/map_assets.html" %}').render({})
    assert 'src="/static/vendor/leaflet/leaflet.js"' in html
    assert 'src="/static/geo/map.js"' in html
    assert 'data-boundaries-url="/geo/municipalities.geojson"' in html
    assert 'data-tile-url="/tiles/{z}/{x}/{y}.png"' in html
    assert "<script>" not in html
