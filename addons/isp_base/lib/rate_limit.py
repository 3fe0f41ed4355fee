"""MikroTik rate-limit strings (``rx/tx`` from the router's view, i.e. upload/download)."""


def _mbit(value):
    """Format Mbps as MikroTik does: whole megabits as ``10M``, fractions as ``512k``."""
    kbit = round(value * 1000)
    if kbit % 1000 == 0:
        return f"{kbit // 1000}M"
    return f"{kbit}k"


def format_mikrotik_rate_limit(
    download_mbps,
    upload_mbps,
    burst_download_mbps=0,
    burst_upload_mbps=0,
    burst_threshold_pct=0,
    burst_time_s=0,
):
    """Return the ``Mikrotik-Rate-Limit`` value for a package.

    MikroTik reads ``rx-rate/tx-rate`` from the router's side of a PPP link, so
    the subscriber's upload comes first. Burst settings follow only when a burst
    rate above the normal rate is given.

    >>> format_mikrotik_rate_limit(10, 5)
    '5M/10M'
    >>> format_mikrotik_rate_limit(10, 10, 20, 20, 80, 16)
    '10M/10M 20M/20M 8M/8M 16/16'
    >>> format_mikrotik_rate_limit(0.5, 0.25)
    '250k/500k'
    """
    if download_mbps <= 0 or upload_mbps <= 0:
        raise ValueError("A rate limit needs positive download and upload speeds.")
    limit = f"{_mbit(upload_mbps)}/{_mbit(download_mbps)}"
    has_burst = burst_download_mbps > download_mbps or burst_upload_mbps > upload_mbps
    if not has_burst or not burst_threshold_pct or not burst_time_s:
        return limit
    burst_up = max(burst_upload_mbps, upload_mbps)
    burst_down = max(burst_download_mbps, download_mbps)
    threshold_up = upload_mbps * burst_threshold_pct / 100
    threshold_down = download_mbps * burst_threshold_pct / 100
    return (
        f"{limit} {_mbit(burst_up)}/{_mbit(burst_down)} "
        f"{_mbit(threshold_up)}/{_mbit(threshold_down)} {burst_time_s}/{burst_time_s}"
    )
