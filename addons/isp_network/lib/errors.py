"""Exception types of the network layer (pure Python, no Odoo import).

Every client in ``lib/`` turns socket, protocol and device errors into one of
these, so models and jobs handle a dead router the same way whichever client
talked to it.
"""


class NetworkError(Exception):
    """Base class of every network-layer error."""


class RouterUnreachable(NetworkError):
    """The device did not answer: refused, timed out, cut off, or closed on us.

    Retrying later may succeed; the outbox backs off on this error.
    """


class RouterCommandError(NetworkError):
    """The device answered with an error (RouterOS ``!trap``).

    ``category`` is the RouterOS trap category when given (an int, or None);
    ``exists`` is True when the error means the entry is already there, which
    callers treat as success for idempotent adds.
    """

    def __init__(self, message, category=None, command=None):
        super().__init__(message)
        self.message = message
        self.category = category
        self.command = command

    @property
    def exists(self):
        text = (self.message or "").lower()
        return "already have" in text or "already exists" in text

    def __str__(self):
        if self.command:
            return f"{self.command}: {self.message}"
        return self.message or ""


class DynAuthError(NetworkError):
    """A RADIUS CoA / Disconnect request failed (NAK, timeout, bad reply)."""
