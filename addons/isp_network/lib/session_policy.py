"""What to do with a subscriber's live RADIUS session after a change (pure Python).

A NAS applies most reply attributes only when a session starts, so:

- leaving ``active`` ends the session (Disconnect); a subscriber in the walled
  garden reconnects into the garden pool, one in reject mode cannot reconnect;
- returning to ``active`` from the walled garden ends the garden session so the
  next one gets the normal pool and rate;
- a rate change while ``active`` (package change, quota throttle or its lift)
  is a CoA carrying the new ``Mikrotik-Rate-Limit``;
- a quota exhausted with the ``disconnect`` action ends the session.

>>> decide("active", "suspended")
'disconnect'
>>> decide("suspended", "active", suspend_mode="walled_garden")
'disconnect'
>>> decide("suspended", "active", suspend_mode="reject") is None
True
>>> decide("active", "active", rate_changed=True)
'coa'
>>> decide("active", "active", quota_exceeded=True, quota_action="disconnect")
'disconnect'
>>> decide("active", "active") is None
True
"""

from .radius_policy import BLOCKED_STATES

DISCONNECT = "disconnect"
COA = "coa"

ACTIVE = "active"
SUSPEND_REJECT = "reject"
SUSPEND_WALLED_GARDEN = "walled_garden"

# States that keep a session alive in the walled garden (when that mode is on); the
# same states as the RADIUS rows put there (radius_policy.BLOCKED_STATES).
GARDEN_STATES = BLOCKED_STATES
REJECT_ROW = ("Auth-Type", ":=", "Reject")

RATE_LIMIT_ATTRIBUTE = "Mikrotik-Rate-Limit"


def decide(
    old_state,
    new_state,
    suspend_mode=SUSPEND_WALLED_GARDEN,
    rate_changed=False,
    quota_exceeded=False,
    quota_action=None,
):
    """Session action for a change: ``"disconnect"``, ``"coa"`` or ``None``.

    :param old_state: subscription state before the change
    :param new_state: subscription state after the change
    :param suspend_mode: company setting, ``reject`` or ``walled_garden``
    :param rate_changed: the rate limit of the session changed (package change,
        quota throttle applied or lifted)
    :param quota_exceeded: the quota was exhausted by this change
    :param quota_action: ``throttle`` or ``disconnect``, the package's setting
    """
    if old_state != new_state:
        if old_state == ACTIVE:
            return DISCONNECT
        if new_state == ACTIVE:
            if suspend_mode == SUSPEND_WALLED_GARDEN and old_state in GARDEN_STATES:
                return DISCONNECT
            return None
        # e.g. suspended -> expired: the garden session must go too.
        return DISCONNECT if must_be_offline(new_state, suspend_mode) else None
    if new_state != ACTIVE:
        return None
    if quota_exceeded and quota_action == "disconnect":
        return DISCONNECT
    if rate_changed:
        return COA
    return None


def must_be_offline(state, suspend_mode=SUSPEND_WALLED_GARDEN):
    """True when no session of a subscription in ``state`` may stay open.

    >>> must_be_offline("suspended", "reject"), must_be_offline("suspended", "walled_garden")
    (True, False)
    >>> must_be_offline("terminated"), must_be_offline("active")
    (True, False)
    """
    if state == ACTIVE:
        return False
    if state in GARDEN_STATES:
        return suspend_mode != SUSPEND_WALLED_GARDEN
    return True


def rows_refuse(desired):
    """True when desired RADIUS rows let no session in (no rows, or a reject).

    ``desired`` is ``(username, check_rows, reply_rows)``.

    >>> rows_refuse(("u", [("Auth-Type", ":=", "Reject")], [])), rows_refuse(("u", [], []))
    (True, True)
    >>> rows_refuse(("u", [("Cleartext-Password", ":=", "x")], []))
    False
    """
    if not desired:
        return True
    __, check_rows, __ = desired
    return not check_rows or any(tuple(row) == REJECT_ROW for row in check_rows)


def desired_rate_limit(desired):
    """The ``Mikrotik-Rate-Limit`` of a desired-rows entry, or None.

    ``desired`` is ``(username, check_rows, reply_rows)`` with rows
    ``(attribute, op, value)``, as ``isp.subscription._isp_radius_desired()``
    returns per subscription.

    >>> desired_rate_limit(("u", [], [("Mikrotik-Rate-Limit", "=", "10M/10M")]))
    '10M/10M'
    >>> desired_rate_limit(None) is None
    True
    """
    if not desired:
        return None
    __, __, reply_rows = desired
    for attribute, __, value in reply_rows:
        if attribute == RATE_LIMIT_ATTRIBUTE and value:
            return value
    return None
