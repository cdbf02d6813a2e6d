"""Import region boundaries (municipalities, neighbourhoods) from a CBS/PDOK GeoJSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from burgernet.geo.models import RegionKind
from burgernet.geo.services import RegionImportError, inhabitants_from_csv, region_import_geojson


class Command(BaseCommand):
    help = (
        "Import regions from a GeoJSON FeatureCollection in the CBS/PDOK format "
        "(properties statcode, statnaam, inwoners or aantal_inwoners). All or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="GeoJSON FeatureCollection (WGS84)")
        parser.add_argument(
            "--kind", choices=RegionKind.values, default=RegionKind.MUNICIPALITY.value
        )
        parser.add_argument(
            "--inhabitants",
            type=Path,
            help="CSV with columns statcode,inwoners (used where a feature has no inwoners)",
        )
        parser.add_argument(
            "--parent-field",
            help="feature property holding the parent region's statcode (e.g. gm_code)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        collection = _read_json(path)
        inhabitants = None
        if options["inhabitants"]:
            csv_path: Path = options["inhabitants"]
            try:
                inhabitants = inhabitants_from_csv(_read_text(csv_path))
            except RegionImportError as exc:
                raise CommandError(
                    f"{csv_path}: line {exc.index}: {exc.field}: {exc.message} "
                    "(nothing was imported)"
                ) from exc
        try:
            report = region_import_geojson(
                collection=collection,
                kind=options["kind"],
                inhabitants=inhabitants,
                parent_field=options["parent_field"],
            )
        except RegionImportError as exc:
            raise CommandError(f"{path}: {exc} (nothing was imported)") from exc
        self.stdout.write(
            f"Imported {report.created + report.updated} regions from {path} "
            f"({report.created} new, {report.updated} updated)."
        )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text") from exc


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
