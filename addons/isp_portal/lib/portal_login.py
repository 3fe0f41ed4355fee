"""Pure logic of the subscribers' portal login (no Odoo imports).

A subscriber logs in to ``/web/login`` with a *credential type*: today only the
PPPoE username and password (:data:`CREDENTIAL_PPPOE`). A later one-time SMS code
adds another type next to it (see the readme); the portal user itself does not
change.
"""

import hmac

__all__ = [
    "CREDENTIAL_PPPOE",
    "choose_logins",
    "fallback_login",
    "login_candidates",
    "secret_matches",
]

CREDENTIAL_PPPOE = "isp_pppoe"
MAX_SECRET_LENGTH = 4096


def fallback_login(partner_id):
    """The login of a subscriber without a free PPPoE username.

    >>> fallback_login(42)
    'subscriber-42'
    """
    return f"subscriber-{int(partner_id)}"


def choose_logins(first_usernames, taken):
    """``{partner_id: login}`` of new portal users.

    ``first_usernames`` maps each partner to the PPPoE username of its first
    subscription (or ``None``); ``taken`` holds the logins already in use. The
    username is the login when free (compared case-insensitively, as logins are
    typed on phones); otherwise, or when two partners claim the same name, the
    stable ``subscriber-<partner id>`` is used.

    >>> choose_logins({1: "karim", 2: "Karim", 3: None, 4: "admin"}, {"admin"})
    {1: 'karim', 2: 'subscriber-2', 3: 'subscriber-3', 4: 'subscriber-4'}
    >>> choose_logins({5: "rahim"}, {"rahim", "subscriber-5"})
    {5: 'subscriber-5-2'}
    """
    used = {login.lower() for login in taken if login}
    logins = {}
    for partner_id in sorted(first_usernames):
        username = (first_usernames[partner_id] or "").strip()
        login = username
        if not username or username.lower() in used:
            login = fallback_login(partner_id)
            suffix = 1
            while login.lower() in used:
                suffix += 1
                login = f"{fallback_login(partner_id)}-{suffix}"
        used.add(login.lower())
        logins[partner_id] = login
    return logins


def login_candidates(first_usernames):
    """The logins :func:`choose_logins` may pick, to look up which are taken.

    >>> sorted(login_candidates({4: "Karim", 5: None}))
    ['karim', 'subscriber-4', 'subscriber-5']
    """
    candidates = {fallback_login(partner_id) for partner_id in first_usernames}
    candidates.update(name.strip().lower() for name in first_usernames.values() if name)
    return candidates


def secret_matches(stored, given):
    """Whether the typed password equals the stored (decrypted) secret, in constant time.

    >>> secret_matches("s3cret", "s3cret")
    True
    >>> secret_matches("s3cret", "S3cret")
    False
    >>> secret_matches("", "")
    False
    >>> secret_matches(None, "x")
    False
    """
    if not stored or not given or len(given) > MAX_SECRET_LENGTH:
        return False
    return hmac.compare_digest(stored.encode("utf-8"), given.encode("utf-8"))
