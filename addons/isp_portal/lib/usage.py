"""Data usage chart of the subscriber's home (pure logic, no Odoo)."""

from datetime import timedelta

from markupsafe import Markup, escape

UNITS = ("B", "KB", "MB", "GB", "TB")


def format_bytes(value):
    """``1536`` -> ``"1.5 KB"`` (powers of 1000, as ISPs count data)."""
    value = float(value or 0)
    unit = UNITS[0]
    for unit in UNITS:
        if abs(value) < 1000 or unit == UNITS[-1]:
            break
        value /= 1000
    if unit == "B":
        return f"{int(value)} {unit}"
    return f"{value:.1f} {unit}"


def daily_series(rows, end_date, days=30):
    """One ``{"date", "download", "upload", "total"}`` per day up to ``end_date``.

    ``rows`` are ``(date, download_bytes, upload_bytes)``; days without a row count
    zero and several rows of a day add up.
    """
    start = end_date - timedelta(days=days - 1)
    totals = {start + timedelta(days=offset): [0.0, 0.0] for offset in range(days)}
    for day, download, upload in rows:
        if day in totals:
            totals[day][0] += float(download or 0)
            totals[day][1] += float(upload or 0)
    return [
        {"date": day, "download": down, "upload": up, "total": down + up}
        for day, (down, up) in sorted(totals.items())
    ]


def chart_bars(series, height=100):
    """Bar heights (0..``height``) of each day's total, scaled on the busiest day."""
    peak = max((point["total"] for point in series), default=0)
    bars = []
    for point in series:
        ratio = point["total"] / peak if peak else 0
        bar = round(ratio * height, 1)
        if point["total"] and bar < 1:
            bar = 1  # a day with any use stays visible
        bars.append(dict(point, height=bar))
    return bars


def label_bars(bars, pattern):
    """Set each bar's ``label``: ``pattern`` (a translated text) with its ``%(date)s``
    (ISO date), ``%(total)s``, ``%(download)s`` and ``%(upload)s`` (as
    ``format_bytes``) filled in."""
    for bar in bars:
        bar["label"] = pattern % {
            "date": bar["date"].isoformat(),
            "total": format_bytes(bar["total"]),
            "download": format_bytes(bar["download"]),
            "upload": format_bytes(bar["upload"]),
        }
    return bars


BAR_WIDTH = 8
BAR_STEP = 10


def chart_svg_bars(bars, height=100):
    """The SVG ``rect`` (with its ``title``, the bar's ``label``) of each bar, as one
    markup string (the label escaped, the rest numbers): the page shows 30 of them,
    rendered here in one go rather than element by element by the template engine."""
    return Markup(
        "".join(
            f'<rect x="{index * BAR_STEP + 1}" y="{round(height - bar["height"], 1)}" '
            f'width="{BAR_WIDTH}" height="{bar["height"]}" fill="currentColor" '
            f'class="text-primary" data-bytes="{int(bar["total"])}">'
            f"<title>{escape(bar.get('label') or '')}</title></rect>"
            for index, bar in enumerate(bars)
        )
    )
