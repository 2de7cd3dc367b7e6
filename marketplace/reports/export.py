"""Reports as CSV: the JSON rows flattened (``network.reshare_links`` becomes
``network_reshare_links``, lists are joined with ``;``), the columns in the schema's order."""

from __future__ import annotations

import csv
import io

from flask import Response, request

from marketplace.reports.schemas import (
    AttributionReportSchema,
    ModelsReportSchema,
    MyRelationshipsSchema,
    PerformanceReportSchema,
    RelationshipsReportSchema,
)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(args: dict) -> bool:
    """``format=csv``, or no ``format`` and an ``Accept`` header that prefers CSV to JSON."""
    if args.get("format"):
        return args["format"] == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def flatten(row: dict, prefix: str = "") -> dict:
    flat = {}
    for name, value in row.items():
        if isinstance(value, dict):
            flat |= flatten(value, f"{prefix}{name}_")
        elif isinstance(value, list):
            flat[f"{prefix}{name}"] = ";".join(map(str, value))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _cell(value):
    """A cell as text; text that a spreadsheet would run as a formula is prefixed with ``'``."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(rows: list[dict], filename: str) -> Response:
    flat = [flatten(row) for row in rows]
    columns = list(dict.fromkeys(name for row in flat for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: _cell(value) for name, value in row.items()} for row in flat)
    return Response(
        out.getvalue(), mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Vary": "Accept"},
    )


# Each report as CSV rows: the JSON rows, then its summary rows (organic and totals), in order.


def attribution_csv(report: dict, brand_id: int) -> Response:
    dumped = AttributionReportSchema().dump(report)
    rows = [*dumped["rows"], dumped["organic"], dumped["attributed_total"], dumped["total"]]
    return csv_response(rows, f"attribution-{brand_id}-{report['group_by']}.csv")


def models_csv(report: dict, brand_id: int) -> Response:
    return csv_response(ModelsReportSchema().dump(report)["rows"], f"attribution-models-{brand_id}.csv")


def relationships_csv(report: dict, brand_id: int) -> Response:
    dumped = RelationshipsReportSchema().dump(report)
    organic = {"influencer_id": None, "handle": "came on their own", **dumped["organic"]}
    return csv_response([*dumped["influencers"], organic], f"relationships-{brand_id}.csv")


def performance_csv(report: dict) -> Response:
    dumped = PerformanceReportSchema().dump(report)
    return csv_response([*dumped["rows"], {"key": None, "label": "total", **dumped["total"]}], "performance.csv")


def my_relationships_csv(report: dict) -> Response:
    return csv_response(MyRelationshipsSchema().dump(report)["brands"], "relationships.csv")
