"""The progress report as an A4 PDF, laid out by WeasyPrint from an HTML template (Pango shapes the Vietnamese
text with DejaVu fonts), with one bar chart drawn as SVG."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .data import Chart, ProgressReport

STYLESHEET = "css/report-pdf.css"
BAR_HEIGHT = 11
BAR_GAP = 3
LABEL_WIDTH = 48
PLOT_WIDTH = 520


@dataclass
class Bar:
    label: str
    value: int
    text: str
    y: int
    width: float
    text_x: float
    text_y: int
    label_y: int


def chart_geometry(chart: Chart) -> dict:
    """Positions of the bars in SVG user units, computed here so the template carries no arithmetic."""
    bars = []
    for index, (label, value, out_of) in enumerate(chart.bars):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = PLOT_WIDTH * value / out_of if out_of else 0
        bars.append(
            Bar(
                label=label,
                value=value,
                text=f"{value}/{out_of}",
                y=y,
                width=round(width, 1),
                text_x=round(LABEL_WIDTH + width + 4, 1),
                text_y=y + BAR_HEIGHT - 2,
                label_y=y + BAR_HEIGHT - 2,
            )
        )
    height = len(bars) * (BAR_HEIGHT + BAR_GAP)
    return {
        "bars": bars,
        "height": height,
        "width": LABEL_WIDTH + PLOT_WIDTH + 48,
        "plot_x": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "axis_x": LABEL_WIDTH + PLOT_WIDTH,
    }


def progress_report_html(report: ProgressReport) -> str:
    return render_to_string(
        "reports/exports/progress.html",
        {"report": report, "chart": chart_geometry(report.chart) if report.chart else None},
    )


def progress_report_pdf(report: ProgressReport) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which only the PDF needs.
    from weasyprint import CSS, HTML

    stylesheet = finders.find(STYLESHEET)
    return HTML(string=progress_report_html(report)).write_pdf(stylesheets=[CSS(filename=stylesheet)])
