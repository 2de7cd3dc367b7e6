"""The two main views drawn server-side as SVG, for pages and for people who would rather look
than read: revenue by day of the brand's top influencers, cohort curves, and an influencer's
revenue and earnings by day.

A small line chart built with ElementTree (which escapes every label): pygal installs a global
import hook that warns on later imports, and matplotlib is a heavy dependency for two charts."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree import ElementTree as ET

from flask import Response

from marketplace.money import from_major
from marketplace.reports.services import COHORT_DAYS

SVG = "image/svg+xml"
# Opened on its own, a chart runs and loads nothing.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
WIDTH, HEIGHT = 900, 420
LEFT, RIGHT, TOP, BOTTOM = 70, 190, 40, 60
LABEL_WIDTH = 90  # pixels an x-axis label needs
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f")


def _scale(currency: str | None) -> int:
    """Minor units per major unit of the report's currency."""
    return from_major(1, currency) if currency else 1


def _nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above ``value``: round numbers on the y axis."""
    if value <= 0:
        return 1
    power = 10 ** (len(str(int(value))) - 1)
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def svg_response(chart: bytes) -> Response:
    return Response(chart, mimetype=SVG, headers={"Content-Security-Policy": SVG_POLICY})


def line_chart(title: str, x_labels: list[str], series: list[tuple[str, list[float]]]) -> bytes:
    svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", width=str(WIDTH), height=str(HEIGHT),
                     viewBox=f"0 0 {WIDTH} {HEIGHT}", role="img", **{"font-family": "system-ui, sans-serif", "font-size": "12"})
    ET.SubElement(svg, "title").text = title
    ET.SubElement(svg, "rect", width=str(WIDTH), height=str(HEIGHT), fill="white")
    ET.SubElement(svg, "text", x=str(LEFT), y="24", **{"font-size": "15"}).text = title
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_ceiling(max((v for _, values in series for v in values), default=0))
    for step in range(5):  # y axis: five gridlines
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        ET.SubElement(svg, "line", x1=str(LEFT), x2=str(LEFT + plot_w), y1=f"{y:.1f}", y2=f"{y:.1f}", stroke="#ddd")
        ET.SubElement(svg, "text", x=str(LEFT - 8), y=f"{y + 4:.1f}", **{"text-anchor": "end"}).text = f"{value:,.2f}".rstrip("0").rstrip(".")
    count = len(x_labels)

    def x_of(index: int) -> float:
        return LEFT + (plot_w * index / (count - 1) if count > 1 else plot_w / 2)

    every = max(1, -(-count * LABEL_WIDTH // plot_w))
    for index in range(0, count, every):  # x axis: as many labels as fit
        ET.SubElement(svg, "text", x=f"{x_of(index):.1f}", y=str(TOP + plot_h + 20), **{"text-anchor": "middle"}).text = x_labels[index]
    for number, (label, values) in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(f"{x_of(i):.1f},{TOP + plot_h - plot_h * v / top:.1f}" for i, v in enumerate(values))
        ET.SubElement(svg, "polyline", points=points, fill="none", stroke=colour, **{"stroke-width": "2"})
        y = TOP + 16 * number
        ET.SubElement(svg, "rect", x=str(WIDTH - RIGHT + 12), y=str(y), width="10", height="10", fill=colour)
        ET.SubElement(svg, "text", x=str(WIDTH - RIGHT + 28), y=str(y + 10)).text = label
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)


def revenue_by_day(report: dict) -> bytes:
    """``report``: ``services.revenue_by_day``'s answer."""
    scale = _scale(report["currency"])
    return line_chart(
        f"Revenue by day, top influencers ({report['currency'] or '-'})",
        report["days"],
        [(series["label"], [amount / scale for amount in series["revenue"]]) for series in report["series"]],
    )


def cohort_curves(report: dict) -> bytes:
    """``report``: ``services.relationships_report``'s answer: revenue per shopper over time."""
    scale = _scale(report["currency"])
    cohorts = [(c["handle"] or str(c["influencer_id"]), c) for c in report["influencers"][:8]]
    return line_chart(
        f"Revenue per acquired shopper since their first purchase ({report['currency'] or '-'})",
        ["first purchase", *(f"{days} days" for days in COHORT_DAYS)],
        [
            (f"{label} ({cohort['shoppers']})", [
                (cohort[f"{point}_per_shopper"] or 0) / scale
                for point in ("first_purchase_revenue", *(f"revenue_{d}d" for d in COHORT_DAYS))
            ])
            for label, cohort in [*cohorts, ("came on their own", report["organic"])]
            if cohort["shoppers"]
        ],
    )


def performance_by_day(report: dict) -> bytes:
    """``report``: ``services.performance_report`` grouped by day: the influencer's revenue and
    earnings on every day of the period (none on a day without sales)."""
    scale = _scale(report["currency"])
    since, until = date.fromisoformat(report["from"]), date.fromisoformat(report["to"])
    days = [(since + timedelta(days=n)).isoformat() for n in range((until - since).days)]
    by_day = {row["key"]: row for row in report["rows"]}
    return line_chart(
        f"Your revenue and earnings by day ({report['currency'] or '-'})",
        days,
        [(figure, [by_day[day][figure] / scale if day in by_day else 0 for day in days]) for figure in ("revenue", "earnings")],
    )
