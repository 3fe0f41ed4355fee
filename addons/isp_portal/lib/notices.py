"""Which subscribers a portal notice targets (pure logic, no Odoo)."""

from dataclasses import dataclass, field

TARGETS = {
    "all": "All Subscribers",
    "zones": "Zones",
    "packages": "Packages",
    "overdue": "Overdue Subscribers",
}


@dataclass(frozen=True)
class NoticeTarget:
    company_id: int
    target: str
    zone_ids: frozenset = field(default_factory=frozenset)
    package_ids: frozenset = field(default_factory=frozenset)


@dataclass(frozen=True)
class SubscriberProfile:
    company_id: int
    zone_id: int | None = None
    package_id: int | None = None
    overdue: bool = False


def targets(notice, subscriber):
    """Whether ``notice`` (NoticeTarget) is meant for ``subscriber`` (SubscriberProfile)."""
    if notice.company_id != subscriber.company_id:
        return False
    if notice.target == "all":
        return True
    if notice.target == "zones":
        return bool(subscriber.zone_id) and subscriber.zone_id in notice.zone_ids
    if notice.target == "packages":
        return bool(subscriber.package_id) and subscriber.package_id in notice.package_ids
    if notice.target == "overdue":
        return subscriber.overdue
    return False


def targets_any(notice, subscribers):
    return any(targets(notice, subscriber) for subscriber in subscribers)
