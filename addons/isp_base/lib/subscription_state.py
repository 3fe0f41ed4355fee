"""The subscription lifecycle as data: states, actions and the transitions between them."""

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "ONLINE_STATES",
    "STATES",
    "STATE_LABELS",
    "InvalidTransition",
    "allowed_actions",
    "target_state",
]

STATES = (
    ("draft", "Draft"),
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("inactive", "Inactive"),
    ("expired", "Expired"),
    ("terminated", "Terminated"),
)
STATE_LABELS = dict(STATES)

# action -> (states it may start from, resulting state)
ACTIONS = {
    "activate": (frozenset({"draft", "inactive", "expired"}), "active"),
    "suspend": (frozenset({"active"}), "suspended"),
    "restore": (frozenset({"suspended"}), "active"),
    "expire": (frozenset({"active", "suspended"}), "expired"),
    "deactivate": (frozenset({"draft", "active", "suspended", "expired"}), "inactive"),
    "terminate": (frozenset(STATE_LABELS) - {"terminated"}, "terminated"),
}
ACTION_LABELS = {
    "activate": "Activate",
    "suspend": "Suspend",
    "restore": "Restore",
    "expire": "Expire",
    "deactivate": "Deactivate",
    "terminate": "Terminate",
}

# States in which the subscriber may be connected to the network.
ONLINE_STATES = frozenset({"active"})


class InvalidTransition(ValueError):
    """Raised when an action is not allowed from a state (or either is unknown)."""

    def __init__(self, state: str, action: str, message: str):
        super().__init__(message)
        self.state = state
        self.action = action


def target_state(current: str, action: str) -> str:
    """Return the state reached by applying *action* to a subscription in state *current*."""
    if current not in STATE_LABELS:
        raise InvalidTransition(current, action, f"Unknown subscription state {current!r}.")
    if action not in ACTIONS:
        raise InvalidTransition(current, action, f"Unknown subscription action {action!r}.")
    sources, target = ACTIONS[action]
    if current not in sources:
        raise InvalidTransition(
            current,
            action,
            f"Cannot {action} a subscription that is {STATE_LABELS[current].lower()}.",
        )
    return target


def allowed_actions(current: str) -> list[str]:
    """Return the actions allowed from *current*, in ACTIONS order (empty if unknown)."""
    return [action for action, (sources, _target) in ACTIONS.items() if current in sources]
