from datetime import date

import pytest

from isp_portal.lib import maintenance, notices, usage
from isp_portal.lib.notices import NoticeTarget, SubscriberProfile

# ---------------------------------------------------------------- usage


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (None, "0 B"),
        (999, "999 B"),
        (1500, "1.5 KB"),
        (2_500_000_000, "2.5 GB"),
        (3_000_000_000_000_000, "3000.0 TB"),
    ],
)
def test_format_bytes(value, text):
    assert usage.format_bytes(value) == text


def test_daily_series_fills_missing_days_and_adds_up():
    end = date(2026, 3, 31)
    rows = [
        (date(2026, 3, 30), 100, 10),
        (date(2026, 3, 30), 50, 5),
        (date(2026, 3, 2), 1, 1),
        (date(2026, 1, 1), 999, 999),  # outside the 30 days
    ]
    series = usage.daily_series(rows, end, days=30)
    assert len(series) == 30
    assert series[0]["date"] == date(2026, 3, 2)
    assert series[-1]["date"] == end
    assert series[0]["total"] == 2
    assert series[-2] == {"date": date(2026, 3, 30), "download": 150, "upload": 15, "total": 165}
    assert series[-1]["total"] == 0
    assert sum(point["total"] for point in series) == 167


def test_chart_bars_scale_on_busiest_day():
    series = usage.daily_series(
        [(date(2026, 3, 30), 1_000_000, 0), (date(2026, 3, 31), 100, 0)], date(2026, 3, 31), 3
    )
    bars = usage.chart_bars(series, height=100)
    assert [bar["height"] for bar in bars] == [0, 100, 1]  # a little use stays visible


def test_chart_bars_without_usage():
    series = usage.daily_series([], date(2026, 3, 31), 5)
    assert [bar["height"] for bar in usage.chart_bars(series)] == [0] * 5
    assert usage.chart_bars([]) == []


def test_label_bars_fills_the_translated_pattern():
    series = usage.daily_series([(date(2026, 3, 31), 1_500_000, 2000)], date(2026, 3, 31), 2)
    bars = usage.label_bars(
        usage.chart_bars(series), "%(date)s : %(total)s ↓%(download)s ↑%(upload)s"
    )
    assert [bar["label"] for bar in bars] == [
        "2026-03-30 : 0 B ↓0 B ↑0 B",
        "2026-03-31 : 1.5 MB ↓1.5 MB ↑2.0 KB",
    ]


def test_chart_svg_bars_one_rect_per_bar_with_escaped_label():
    bars = [
        {"height": 100.0, "total": 2e9, "label": "2026-03-30: 2.0 GB"},
        {"height": 33.3, "total": 666e6, "label": "<b>&</b>"},
        {"height": 0, "total": 0},
    ]
    svg = usage.chart_svg_bars(bars)
    assert svg.count("<rect ") == 3
    assert svg.startswith(
        '<rect x="1" y="0.0" width="8" height="100.0" fill="currentColor" '
        'class="text-primary" data-bytes="2000000000"><title>2026-03-30: 2.0 GB</title></rect>'
    )
    assert '<rect x="11" y="66.7" width="8" height="33.3"' in svg
    assert 'data-bytes="666000000"><title>&lt;b&gt;&amp;&lt;/b&gt;</title>' in svg
    assert '<rect x="21" y="100" width="8" height="0"' in svg
    assert "<title></title>" in svg
    assert usage.chart_svg_bars([]) == ""


# ---------------------------------------------------------------- notices

SUB = SubscriberProfile(company_id=1, zone_id=10, package_id=20, overdue=False)
LATE = SubscriberProfile(company_id=1, zone_id=11, package_id=21, overdue=True)


@pytest.mark.parametrize(
    ("notice", "sub_sees", "late_sees"),
    [
        (NoticeTarget(1, "all"), True, True),
        (NoticeTarget(2, "all"), False, False),  # another company
        (NoticeTarget(1, "zones", zone_ids=frozenset({10})), True, False),
        (NoticeTarget(1, "zones"), False, False),
        (NoticeTarget(1, "packages", package_ids=frozenset({21})), False, True),
        (NoticeTarget(1, "overdue"), False, True),
        (NoticeTarget(1, "unknown"), False, False),
    ],
)
def test_notice_targets(notice, sub_sees, late_sees):
    assert notices.targets(notice, SUB) is sub_sees
    assert notices.targets(notice, LATE) is late_sees
    assert notices.targets_any(notice, [SUB, LATE]) is (sub_sees or late_sees)


def test_notice_zone_target_ignores_subscriber_without_zone():
    nobody = SubscriberProfile(company_id=1)
    assert not notices.targets(NoticeTarget(1, "zones", zone_ids=frozenset({10})), nobody)
    assert not notices.targets_any(NoticeTarget(1, "all"), [])


# ---------------------------------------------------------------- maintenance


@pytest.mark.parametrize(
    ("path", "closed"),
    [
        ("/my/connection", True),
        ("/my/connection/", True),
        ("/my/connection/live", True),
        ("/my/connections", False),
        ("/my/payment-claims", True),
        ("/my/invoices", False),
        ("/my", False),
        ("", False),
        (None, False),
    ],
)
def test_is_maintenance_path(path, closed):
    assert maintenance.is_maintenance_path(path) is closed


def test_routes_in_maintenance():
    assert maintenance.routes_in_maintenance(["/my/home", "/my/connection"])
    assert not maintenance.routes_in_maintenance(["/my/home"])
    assert not maintenance.routes_in_maintenance(None)
    assert maintenance.routes_in_maintenance(["/x/y"], paths=("/x/",))
