import pytest

from isp_base.lib.subscription_state import (
    ACTIONS,
    ONLINE_STATES,
    STATE_LABELS,
    STATES,
    InvalidTransition,
    allowed_actions,
    target_state,
)

STATE_KEYS = [key for key, _label in STATES]

# (state, action) -> expected target, or None when the action is refused
EXPECTED = {
    "draft": {"activate": "active", "deactivate": "inactive", "terminate": "terminated"},
    "active": {
        "suspend": "suspended",
        "expire": "expired",
        "deactivate": "inactive",
        "terminate": "terminated",
    },
    "suspended": {
        "restore": "active",
        "expire": "expired",
        "deactivate": "inactive",
        "terminate": "terminated",
    },
    "inactive": {"activate": "active", "terminate": "terminated"},
    "expired": {"activate": "active", "deactivate": "inactive", "terminate": "terminated"},
    "terminated": {},
}


def test_states_are_ordered_and_labelled():
    assert STATE_KEYS == ["draft", "active", "suspended", "inactive", "expired", "terminated"]
    assert all(label and label[0].isupper() for _key, label in STATES)
    assert STATE_LABELS["suspended"] == "Suspended"


def test_actions_shape():
    assert set(ACTIONS) == {"activate", "suspend", "restore", "expire", "deactivate", "terminate"}
    for sources, target in ACTIONS.values():
        assert isinstance(sources, frozenset)
        assert sources <= set(STATE_KEYS)
        assert target in STATE_KEYS


def test_online_states():
    assert frozenset({"active"}) == ONLINE_STATES


@pytest.mark.parametrize("state", STATE_KEYS)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_full_transition_table(state, action):
    expected = EXPECTED[state].get(action)
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            target_state(state, action)
        assert info.value.state == state
        assert info.value.action == action
        assert str(info.value) == (
            f"Cannot {action} a subscription that is {STATE_LABELS[state].lower()}."
        )
    else:
        assert target_state(state, action) == expected


@pytest.mark.parametrize("state", STATE_KEYS)
def test_allowed_actions_match_table(state):
    assert allowed_actions(state) == [a for a in ACTIONS if a in EXPECTED[state]]


def test_example_message():
    with pytest.raises(InvalidTransition, match=r"^Cannot suspend a subscription that is draft\.$"):
        target_state("draft", "suspend")


def test_unknown_values():
    with pytest.raises(InvalidTransition, match="Unknown subscription state 'paused'") as info:
        target_state("paused", "activate")
    assert (info.value.state, info.value.action) == ("paused", "activate")
    with pytest.raises(InvalidTransition, match="Unknown subscription action 'pause'"):
        target_state("active", "pause")
    assert allowed_actions("paused") == []


def test_invalid_transition_is_value_error():
    with pytest.raises(ValueError):
        target_state("terminated", "activate")
