"""A test-only URLconf: the geo endpoints plus a page holding maps (for the browser test)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>Kaarttest</title><link rel="icon" href="data:,">
{% include "geo/map_assets.html" %}
<style>.map { height: 400px; width: 600px; }</style>
</head><body>
<div id="country" class="map" data-label="Nederland"></div>
<div id="circle" class="map" data-boundaries="off"
     data-area='{"type":"Feature","geometry":{"type":"Point","coordinates":[6.8937,52.2215]},"properties":{"radius":10000}}'></div>
{{ polygon|json_script:"polygon-area" }}
<div id="polygon" class="map" data-boundaries="off" data-area-id="polygon-area"
     data-center="52.37,4.89" data-zoom="11"></div>
</body></html>"""

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[4.85, 52.35], [4.93, 52.35], [4.93, 52.39], [4.85, 52.39], [4.85, 52.35]]],
}


def map_page(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(PAGE)
    return HttpResponse(template.render({"polygon": POLYGON}, request))


urlpatterns = [
    path("geo/", include("burgernet.geo.urls")),
    path("map-test/", map_page, name="map_test"),
]
