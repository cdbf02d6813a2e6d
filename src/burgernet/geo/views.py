"""Geo endpoints: region outlines for the offline map base layer."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET

from burgernet.geo.models import RegionKind
from burgernet.geo.selectors import region_boundaries_geojson


@require_GET
def municipalities_geojson(request: HttpRequest) -> HttpResponse:
    """Municipality outlines (public reference data), drawn under every map."""
    body = region_boundaries_geojson(kind=RegionKind.MUNICIPALITY)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=3600"
    return response
