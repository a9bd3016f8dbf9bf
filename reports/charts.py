"""Plotly figure dicts for the dashboards, served as JSON by the chart data endpoint.

Colours are the Okabe–Ito pairs, readable with the common colour-vision deficiencies, and the same on every
chart and badge: met is blue, not met is vermillion, no data is grey. Tiers are shades of blue, darker as the
tier rises; "no tier yet" takes the not-met colour. Every chart has a table or text beside it on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .dashboards import TIER_BUCKETS, DistrictDashboard, ProvinceDashboard, tier_label
from .selectors import MET, NO_DATA, NOT_MET, UnitPage

COLOURS = {MET: "#0072B2", NOT_MET: "#D55E00", NO_DATA: "#BBBBBB"}
TIER_COLOURS = {"": "#D55E00", "ntm": "#9ECAE1", "nang_cao": "#3C8DC4", "kieu_mau": "#08306B"}
STATUS_LEVEL = {NO_DATA: 0, NOT_MET: 1, MET: 2}


def status_label(status: str) -> str:
    return {MET: _("Đạt"), NOT_MET: _("Chưa đạt"), NO_DATA: _("Chưa có số liệu")}[status]


def _tick(label: str) -> str:
    """Two-line tick labels ("NTM<br>nâng cao") so category names fit a phone's width unrotated."""
    head, _sep, tail = label.partition(" ")
    if head == "NTM" or not tail:
        return label.replace(" ", "<br>", 1)
    return label.replace(" ", "<br>", 1) if len(label) > 12 else label


def period_short(period) -> str:
    """ "Q1/2023", "6T/2023", "9T/2023", "2023": period names short enough for an axis on a phone."""
    if period.kind == "Q":
        return _("Q%(q)s/%(y)s") % {"q": period.quarter, "y": period.year}
    if period.kind == "6M":
        return _("6T/%(y)s") % {"y": period.year}
    if period.kind == "9M":
        return _("9T/%(y)s") % {"y": period.year}
    return str(period.year)


def _layout(title: str, *, height: int = 320, **extra) -> dict:
    # Plotly's separators: decimal mark then thousands mark, as the page's language writes numbers.
    separators = ".," if (get_language() or "vi").startswith("en") else ",."
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        "height": height,
        "margin": {"l": 48, "r": 16, "t": 40, "b": 40},
        "separators": separators,
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hoverlabel": {"align": "left"},
    }
    layout.update(extra)
    if "legend" not in layout:
        # below the x axis, a fixed 34 px under the plot whatever the chart's height: at the top a phone's
        # width wraps the legend into the title
        margin = layout["margin"]
        margin["b"] = margin.get("b", 40) + 34
        plot_height = max(1, height - margin.get("t", 64) - margin["b"])
        layout["legend"] = {
            "orientation": "h",
            "x": 0,
            "y": -34 / plot_height,
            "yanchor": "top",
            "traceorder": "normal",
        }
    return layout


def _short(text: str, length: int = 28) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _status_bars(labels: list[str], counts: dict[str, list[int]], *, horizontal: bool = True) -> list[dict]:
    traces = []
    for status in (MET, NOT_MET, NO_DATA):
        values = counts[status]
        trace = {
            "type": "bar",
            "name": status_label(status),
            "marker": {"color": COLOURS[status]},
            "hovertemplate": "%{" + ("y" if horizontal else "x") + "}: %{" + ("x" if horizontal else "y") + "}",
        }
        if horizontal:
            trace.update({"x": values, "y": labels, "orientation": "h"})
        else:
            trace.update({"x": labels, "y": values})
        traces.append(trace)
    return traces


def _heatmap(rows: list[str], columns: list[str], statuses: list[list[str]], title: str, *, names=None) -> dict:
    """A categorical heat map: each cell met / not met / no data in the three fixed colours."""
    z = [[STATUS_LEVEL[s] for s in row] for row in statuses]
    text = [[status_label(s) for s in row] for row in statuses]
    scale = [
        [0.0, COLOURS[NO_DATA]],
        [0.333, COLOURS[NO_DATA]],
        [0.334, COLOURS[NOT_MET]],
        [0.666, COLOURS[NOT_MET]],
        [0.667, COLOURS[MET]],
        [1.0, COLOURS[MET]],
    ]
    customdata = [[(names or {}).get(c, c) for c in columns] for _row in rows]
    data = [
        {
            "type": "heatmap",
            "z": z,
            "x": columns,
            "y": rows,
            "zmin": 0,
            "zmax": 2,
            "text": text,
            "customdata": customdata,
            "colorscale": scale,
            "showscale": False,
            "xgap": 2,
            "ygap": 2,
            "hovertemplate": "%{y} · %{x} %{customdata}<br>%{text}<extra></extra>",
        }
    ]
    # three invisible traces give the heat map a legend in the same colours as the bar charts
    for status in (MET, NOT_MET, NO_DATA):
        data.append(
            {
                "type": "bar",
                "x": [None],
                "y": [None],
                "name": status_label(status),
                "marker": {"color": COLOURS[status]},
                "hoverinfo": "skip",
            }
        )
    height = max(240, 60 + 26 * len(rows))
    return {
        "data": data,
        "layout": _layout(
            title,
            height=height,
            margin={"l": 10, "r": 10, "t": 64, "b": 40},
            # every criterion labelled, not every other one
            xaxis={
                "type": "category",
                "side": "top",
                "tickangle": 0,
                "fixedrange": True,
                "dtick": 1,
                "tickfont": {"size": 11},
            },
            # below the grid: a phone's width wraps a legend at the top into the title
            legend={
                "orientation": "h",
                "x": 0,
                "y": -0.02,
                "yanchor": "top",
                "traceorder": "normal",
            },
            yaxis={"type": "category", "autorange": "reversed", "fixedrange": True, "automargin": True},
        ),
    }


# --- the commune page -------------------------------------------------------------------------------


def commune_figures(page: UnitPage) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for report in page.reports:
        rs = report.rule_set
        if not report.criteria:
            continue
        blocks = sorted(report.criteria, key=lambda b: (b.criterion.position, b.criterion.pk))
        # every criterion by number and short name (the full name on hover and in the tables below)
        labels = [f"{b.criterion.code}. {_short(b.criterion.name, 16)}" for b in blocks]
        names = [b.criterion.name for b in blocks]
        counts = {status: [sum(1 for r in b.rows if r.status == status) for b in blocks] for status in COLOURS}
        traces = _status_bars(labels, counts)
        for trace in traces:
            trace["customdata"] = names
            trace["hovertemplate"] = "%{customdata}: %{x}<extra>" + trace["name"] + "</extra>"
        figures[f"criteria-{rs.code}"] = {
            "data": traces,
            "layout": _layout(
                _("Chỉ tiêu đạt theo tiêu chí"),
                height=max(260, 70 + 22 * len(blocks)),
                barmode="stack",
                margin={"l": 10, "r": 16, "t": 40, "b": 40},
                yaxis={"autorange": "reversed", "automargin": True},
                xaxis={"dtick": 1 if max((len(b.rows) for b in blocks), default=0) <= 10 else None},
            ),
        }
    lines = []
    for rule_set, series in page.trend:
        name = rule_set.short_name or _short(rule_set.name, 30)
        x = [period_short(p) for p, _c, _i in series]
        lines.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _("%(set)s: chỉ tiêu đạt") % {"set": name},
                "x": x,
                "y": [i for _p, _c, i in series],
            }
        )
        lines.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "line": {"dash": "dot"},
                "name": _("%(set)s: tiêu chí đạt") % {"set": name},
                "x": x,
                "y": [c for _p, c, _i in series],
            }
        )
    # one period is no line: the table beside the chart says it (static/js/charts.js opens it)
    if lines and max(len(line["x"]) for line in lines) > 1:
        figures["trend"] = {
            "data": lines,
            "layout": _layout(
                _("Số tiêu chí, chỉ tiêu đạt qua các kỳ"),
                yaxis={"rangemode": "tozero"},
                xaxis={"type": "category", "tickangle": 0},
            ),
        }
    village = page.village_status
    if village:
        labels = [rs.short_name or _short(rs.name, 30) for rs, *_rest in village]
        counts = {
            MET: [m for _rs, m, _n, _d in village],
            NOT_MET: [n for _rs, _m, n, _d in village],
            NO_DATA: [d for _rs, _m, _n, d in village],
        }
        figures["villages"] = {
            "data": _status_bars(labels, counts),
            "layout": _layout(
                _("Các thôn theo tình trạng đạt chuẩn"),
                height=max(200, 110 + 40 * len(labels)),
                barmode="stack",
                margin={"l": 10, "r": 16, "t": 40, "b": 40},
                yaxis={"automargin": True},
            ),
        }
    return figures


# --- the district dashboard -------------------------------------------------------------------------


def district_figures(board: DistrictDashboard) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    labels = [_tick(tier_label(t)) for t in TIER_BUCKETS]
    figures["tiers"] = {
        "data": [
            {
                "type": "bar",
                "x": labels,
                "y": [board.tiers[t] for t in TIER_BUCKETS],
                "marker": {"color": [TIER_COLOURS[t] for t in TIER_BUCKETS]},
                "text": [board.tiers[t] for t in TIER_BUCKETS],
                "textposition": "auto",
                "hovertemplate": "%{x}: %{y}<extra></extra>",
            }
        ],
        "layout": _layout(
            _("Số xã theo bậc"), yaxis={"rangemode": "tozero", "dtick": 1}, xaxis={"tickangle": 0}, showlegend=False
        ),
    }
    primary = board.primary
    if primary is not None:
        ranked = [(r, r.cell(primary)) for r in board.communes if r.cell(primary) is not None]
        ranked.sort(key=lambda item: (item[1].indicators_met, item[0].unit.name))
        figures["indicators"] = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [r.unit.name for r, _c in ranked],
                    "x": [c.indicators_met for _r, c in ranked],
                    "text": [f"{c.indicators_met}/{c.indicators_total}" for _r, c in ranked],
                    "textposition": "auto",
                    "marker": {"color": [COLOURS[MET] if c.attained else COLOURS[NOT_MET] for _r, c in ranked]},
                    "hovertemplate": "%{y}: %{text}<extra></extra>",
                }
            ],
            "layout": _layout(
                _("Chỉ tiêu đạt theo xã (%(set)s)") % {"set": primary.short_name or _short(primary.name, 40)},
                height=max(220, 70 + 28 * len(ranked)),
                margin={"l": 10, "r": 16, "t": 40, "b": 30},
                xaxis={"range": [0, max((c.indicators_total for _r, c in ranked), default=1)]},
                yaxis={"automargin": True},
                showlegend=False,
            ),
        }
        if board.criteria:
            rows = [r for r in board.communes if r.cell(primary) is not None]
            figures["heatmap"] = _heatmap(
                [r.unit.name for r in rows],
                [c.code for c in board.criteria],
                [[r.cell(primary).criteria_status.get(c.code, NO_DATA) for c in board.criteria] for r in rows],
                _("Xã × tiêu chí"),
                names={c.code: c.name for c in board.criteria},
            )
    closest = board.closest()
    if closest:
        closest = list(reversed(closest))
        figures["closest"] = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    "y": [r.unit.name for r in closest],
                    "x": [r.standing.next.cell.distance for r in closest],
                    "customdata": [
                        [
                            tier_label(r.standing.next.rule_set.tier),
                            ", ".join(r.standing.next.cell.missing[:12])
                            + ("…" if len(r.standing.next.cell.missing) > 12 else ""),
                        ]
                        for r in closest
                    ],
                    "marker": {"color": COLOURS[NOT_MET]},
                    "hovertemplate": "%{y} → %{customdata[0]}: "
                    + _("còn thiếu %{x}")
                    + "<br>%{customdata[1]}<extra></extra>",
                }
            ],
            "layout": _layout(
                _("Gần bậc tiếp theo nhất"),
                height=max(220, 90 + 30 * len(closest)),
                margin={"l": 10, "r": 16, "t": 40, "b": 50},
                showlegend=False,
                xaxis={"rangemode": "tozero", "title": {"text": _("số chỉ tiêu còn thiếu")}},
                yaxis={"automargin": True},
            ),
        }
    return figures


# --- the province dashboard -------------------------------------------------------------------------


def province_figures(board: ProvinceDashboard) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    districts = board.districts
    names = [_short(d.row.unit.name.replace("Thành phố", "TP").replace("Thị xã", "TX"), 18) for d in districts]
    per_tier = {t: [d.tiers[t] for d in districts] for t in TIER_BUCKETS}
    # horizontal bars: thirteen district names stay readable on a phone
    figures["tiers"] = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": tier_label(tier),
                "y": names,
                "x": per_tier[tier],
                "marker": {"color": TIER_COLOURS[tier]},
                "hovertemplate": "%{y}: %{x}<extra>" + tier_label(tier) + "</extra>",
            }
            for tier in TIER_BUCKETS
            if any(per_tier[tier])
        ],
        "layout": _layout(
            _("Xã theo bậc, từng huyện"),
            height=max(280, 90 + 26 * len(names)),
            barmode="stack",
            margin={"l": 10, "r": 16, "t": 40, "b": 30},
            yaxis={"autorange": "reversed", "automargin": True},
            xaxis={"rangemode": "tozero"},
        ),
    }
    if len(board.trend) > 1:
        figures["trend"] = {
            "data": [
                {
                    "type": "scatter",
                    "mode": "lines+markers+text",
                    "name": tier_label(tier),
                    "x": [period_short(p) for p, _counts in board.trend],
                    "y": [counts[tier] for _p, counts in board.trend],
                    "text": [counts[tier] for _p, counts in board.trend],
                    "textposition": "top center",
                    "line": {"color": TIER_COLOURS[tier], "width": 3},
                }
                for tier in TIER_BUCKETS
                if tier and any(counts[tier] for _p, counts in board.trend)
            ],
            "layout": _layout(
                _("Số xã đạt từng bậc qua các kỳ"),
                yaxis={"rangemode": "tozero"},
                xaxis={"type": "category", "tickangle": 0},
            ),
        }
    primary = board.district_primary
    if primary is not None and board.district_criteria:
        rows = [d.row for d in districts]
        figures["heatmap"] = _heatmap(
            [r.unit.name for r in rows],
            [c.code for c in board.district_criteria],
            [
                [
                    (r.cell(primary).criteria_status.get(c.code, NO_DATA) if r.cell(primary) else NO_DATA)
                    for c in board.district_criteria
                ]
                for r in rows
            ],
            _("Huyện × tiêu chí (%(set)s)") % {"set": primary.short_name or _short(primary.name, 40)},
            names={c.code: c.name for c in board.district_criteria},
        )
    if board.most_missing:
        items = list(reversed(board.most_missing))
        figures["missing"] = {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    # codes on the axis, the text on hover and in the list beside the chart
                    "y": [m.code for m in items],
                    "x": [m.count for m in items],
                    "customdata": [_short(m.text, 60) for m in items],
                    "marker": {"color": COLOURS[NOT_MET]},
                    "hovertemplate": "%{y} %{customdata}: %{x}<extra></extra>",
                }
            ],
            "layout": _layout(
                _("Chỉ tiêu xã còn thiếu nhiều nhất"),
                height=max(240, 70 + 26 * len(items)),
                margin={"l": 10, "r": 16, "t": 40, "b": 30},
                showlegend=False,
                xaxis={"rangemode": "tozero", "dtick": 1},
                yaxis={"automargin": True, "type": "category"},
            ),
        }
    return figures


# --- the first chart, drawn by the server -----------------------------------------------------------------------
# On a slow connection plotly.js takes seconds to arrive: the province page's first chart (communes by tier in each
# district) comes with the page as SVG, so it shows as soon as the page does. The other charts follow with plotly.js.


@dataclass
class SvgBar:
    tier: str
    x: float
    width: float
    count: int


@dataclass
class SvgRow:
    name: str
    y: float
    bars: list[SvgBar]
    total: int


@dataclass
class SvgChart:
    rows: list[SvgRow]
    height: float
    width: float
    label_width: float
    ticks: list[tuple[float, int]]
    legend: list[tuple[str, str, float, float]]
    row_height: float = 22


def province_tier_svg(board: ProvinceDashboard) -> SvgChart | None:
    """Geometry of a stacked horizontal bar chart (viewBox units; the page's CSS colours it by tier)."""
    districts = board.districts
    if not districts:
        return None
    width, label_width, row_height, top = 400.0, 110.0, 22.0, 26.0
    plot = width - label_width - 10
    largest = max((sum(d.tiers[t] for t in TIER_BUCKETS) for d in districts), default=0) or 1
    rows = []
    for i, d in enumerate(districts):
        x, bars = label_width, []
        for tier in TIER_BUCKETS:
            count = d.tiers[tier]
            if count:
                w = plot * count / largest
                bars.append(SvgBar(tier or "none", round(x, 1), round(w, 1), count))
                x += w
        name = _short(d.row.unit.name.replace("Thành phố", "TP").replace("Thị xã", "TX"), 18)
        rows.append(SvgRow(name, top + i * row_height, bars, sum(b.count for b in bars)))
    step = max(1, round(largest / 4))
    ticks = [(round(label_width + plot * v / largest, 1), v) for v in range(0, largest + 1, step)]
    height = top + len(rows) * row_height + 44
    # the legend in two columns under the axis (a phone's width has no room for four labels in a row)
    legend = [
        (tier or "none", tier_label(tier), 200.0 * (i % 2), 14.0 * (i // 2)) for i, tier in enumerate(TIER_BUCKETS)
    ]
    return SvgChart(rows, height, width, label_width, ticks, legend)
