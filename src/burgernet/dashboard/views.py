"""Dashboard pages: thin, they ask the selectors (through `tables`) and render."""

from __future__ import annotations

import csv
import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from burgernet.accounts.models import Role
from burgernet.accounts.permissions import staff_required, staff_user
from burgernet.dashboard import selectors, tables
from burgernet.dashboard.services import local_today

ROLES = (Role.DASHBOARD_VIEWER, Role.REGISTRY_OFFICER, Role.DISPATCHER)


def _scope(request: HttpRequest) -> selectors.Scope:
    return selectors.dashboard_scope(
        user=staff_user(request), municipality_code=request.GET.get("municipality", "")
    )


def _period(request: HttpRequest) -> str:
    return "daily" if request.GET.get("period") == "daily" else "weekly"


@staff_required(*ROLES)
def home(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    by_slug = tables.dashboard_tables(scope=scope, period=_period(request))
    cells = selectors.coverage_cells(scope=scope) if scope.municipality else None
    rates = [
        {"code": r.code, "name": r.name, "per_1000": r.per_1000, "white_spot": r.white_spot}
        for r in selectors.municipality_rates()
    ]
    return render(
        request,
        "dashboard/home.html",
        {
            "scope": scope,
            "period": _period(request),
            "tables": by_slug,
            "charts": {s: t.chart_data() for s, t in by_slug.items() if t.chart},
            "day": selectors.latest_day(),
            "rates": rates,
            "cells": cells,
            "contribution": selectors.contribution_eur(scope=scope),
            "mailings_available": selectors.mailings_available(),
            "costs_available": selectors.costs_available(),
            "query": request.GET.urlencode(),
        },
    )


def _csv(table: tables.Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return response


@staff_required(*ROLES)
def table_csv(request: HttpRequest, slug: str) -> HttpResponse:
    scope = _scope(request)
    by_slug = tables.dashboard_tables(scope=scope, period=_period(request))
    if slug not in by_slug:
        raise Http404
    return _csv(by_slug[slug], f"burgernet-{slug}")


def _week_start(request: HttpRequest) -> dt.date | None:
    raw = request.GET.get("week", "")
    try:
        day = dt.date.fromisoformat(raw) if raw else local_today() - dt.timedelta(days=7)
    except ValueError:
        return None
    return day - dt.timedelta(days=day.weekday())


@staff_required(*ROLES)
def weekly(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    week = _week_start(request)
    if week is None:
        return HttpResponseBadRequest(_("week: not a date (YYYY-MM-DD)"), content_type="text/plain")
    table = tables.weekly_table(scope=scope, week_start=week)
    if request.GET.get("format") == "csv":
        return _csv(table, f"burgernet-week-{week.isoformat()}")
    return render(
        request,
        "dashboard/weekly.html",
        {
            "scope": scope,
            "table": table,
            "week": week,
            "previous": week - dt.timedelta(days=7),
            "next": week + dt.timedelta(days=7),
            "municipality": request.GET.get("municipality", ""),
        },
    )
