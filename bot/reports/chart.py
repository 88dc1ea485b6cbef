"""The burndown chart as a PNG (matplotlib's Agg backend: no display, safe in a thread).

CPU-bound: callers run it with `asyncio.to_thread` so the event loop keeps acknowledging Slack.
"""

from __future__ import annotations

import io
from datetime import date

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure  # a bare Figure renders with Agg: no display, no pyplot

from bot.reports.digest import Burndown


def _x(days: list[date] | tuple[date, ...]) -> list[float]:
    return [float(date2num(day)) for day in days]


def burndown_png(chart: Burndown, title: str) -> bytes:
    """Remaining alerts per day, the ideal line to the due date, and the projection."""
    figure = Figure(figsize=(7, 3.5), dpi=100)
    axes = figure.add_subplot()
    axes.step(_x(chart.days), chart.remaining, where="post", label="remaining", linewidth=2)
    ideal_days, ideal_values = zip(*chart.ideal, strict=True)
    axes.plot(_x(ideal_days), ideal_values, linestyle="--", label="ideal", color="grey")
    if chart.projected:
        days, values = zip(*chart.projected, strict=True)
        axes.plot(_x(days), values, linestyle=":", label="projected", color="tab:orange")
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.set_title(title[:80])
    axes.set_ylabel("open alerts")
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
