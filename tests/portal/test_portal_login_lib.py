"""Pure logic of the subscribers' portal login: logins of new users, secret check."""

import doctest

import pytest

from isp_portal.lib import portal_login


def test_doctests():
    result = doctest.testmod(portal_login)
    assert result.attempted and not result.failed


def test_all_is_complete():
    public = {name for name in vars(portal_login) if not name.startswith("_")}
    public -= {"hmac", "MAX_SECRET_LENGTH"}
    assert set(portal_login.__all__) == public


def test_username_is_login_when_free():
    assert portal_login.choose_logins({7: "karim.mir"}, set()) == {7: "karim.mir"}


def test_taken_login_falls_back_case_insensitively():
    assert portal_login.choose_logins({7: "Admin"}, {"admin"}) == {7: "subscriber-7"}


def test_same_username_twice_in_one_batch():
    # two companies may share a PPPoE username; logins are global
    logins = portal_login.choose_logins({9: "rahim", 3: "rahim"}, set())
    assert logins == {3: "rahim", 9: "subscriber-9"}


def test_fallback_never_collides_with_a_username():
    logins = portal_login.choose_logins({5: None, 6: "subscriber-5"}, set())
    assert len(set(logins.values())) == 2


@pytest.mark.parametrize(
    ("stored", "given", "expected"),
    [
        ("pw", "pw", True),
        ("pw", "pw ", False),
        ("pässwort", "pässwort", True),
        ("pw", "", False),
        (False, "pw", False),
        ("x" * 10, "x" * 5000, False),
    ],
)
def test_secret_matches(stored, given, expected):
    assert portal_login.secret_matches(stored, given) is expected


def test_taken_fallback_gets_a_suffix():
    taken = {"rahim", "subscriber-5", "subscriber-5-2"}
    assert portal_login.choose_logins({5: "rahim"}, taken) == {5: "subscriber-5-3"}
