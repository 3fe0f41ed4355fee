"""Plain-text notification templates with ``{variable}`` placeholders.

SMS, WhatsApp and Telegram bodies are plain text: nothing is escaped, a value is
inserted as it is. ``{{`` and ``}}`` stand for literal braces. Only the variables
of :data:`KNOWN_VARIABLES` (or the set a caller passes) are accepted, so that a
typo such as ``{ammount}`` is refused when the template is saved rather than
sent to thousands of subscribers.

>>> render("Dear {name}, pay {amount} by {due_date}.", {"name": "Rahim", "amount": "500.00"})
'Dear Rahim, pay 500.00 by .'
>>> unknown_variables("Hi {name}, {ammount}")
['ammount']
>>> render("{{literal}} {name}", {"name": "X"})
'{literal} X'
"""

import re

__all__ = [
    "KNOWN_VARIABLES",
    "TemplateSyntaxError",
    "render",
    "template_variables",
    "unknown_variables",
]

#: Variables a template may use, with what they hold (shown in the template form).
KNOWN_VARIABLES = {
    "name": "Subscriber's name",
    "phone": "Subscriber's mobile number",
    "customer_code": "Subscriber's customer code",
    "subscription": "Subscription reference",
    "package": "Package name",
    "username": "PPPoE / hotspot username",
    "password": "Password (new connection and password change only)",
    "expiry": "Expiry date",
    "days": "Days left before expiry / due date",
    "company": "Company name",
    "company_phone": "Company phone",
    "amount": "Amount (paid, recharged or due)",
    "amount_due": "Total amount due",
    "due_date": "Due date of the invoice",
    "invoice": "Invoice number",
    "pay_link": "Link to pay online",
    "reference": "Payment reference",
    "method": "Payment method",
    "old_package": "Previous package",
    "otp": "One-time code",
    "ticket": "Support ticket reference",
    "reply": "Staff reply (short)",
    "router": "Router name",
    "error": "Error text",
    "zone": "Zone",
    "start": "Start of a maintenance window",
    "end": "End of a maintenance window",
    "date": "Date",
    "new_subscribers": "New subscribers (daily summary)",
    "payments_count": "Payments collected (daily summary)",
    "payments_amount": "Amount collected (daily summary)",
    "suspended_count": "Subscriptions suspended (daily summary)",
    "routers_down": "Routers down (daily summary)",
    "failures": "Failed auto-debit charges",
}

# {{ and }} are literal braces; {name} a variable; any other brace is a syntax error.
_TOKEN_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")


class TemplateSyntaxError(ValueError):
    """A template with an unbalanced brace or an ill-formed variable name."""


def _tokens(text):
    """Yield ``(kind, value)``: ``("text", s)`` or ``("var", name)``."""
    position = 0
    for match in _TOKEN_RE.finditer(text or ""):
        if match.start() > position:
            yield "text", text[position : match.start()]
        token = match.group(0)
        if token == "{{":
            yield "text", "{"
        elif token == "}}":
            yield "text", "}"
        elif token in ("{", "}"):
            raise TemplateSyntaxError(f"Unbalanced brace at position {match.start()}.")
        else:
            name = match.group(1).strip()
            if not _NAME_RE.match(name):
                raise TemplateSyntaxError(f"{{{match.group(1)}}} is not a valid variable name.")
            yield "var", name
        position = match.end()
    if position < len(text or ""):
        yield "text", text[position:]


def template_variables(text):
    """The variables used by ``text``, in order of first use, each once."""
    seen = []
    for kind, value in _tokens(text):
        if kind == "var" and value not in seen:
            seen.append(value)
    return seen


def unknown_variables(text, known=None):
    """The variables of ``text`` that are not in ``known`` (default: KNOWN_VARIABLES)."""
    known = KNOWN_VARIABLES if known is None else known
    return [name for name in template_variables(text) if name not in known]


def _as_text(value):
    if value is None or value is False:
        return ""
    return str(value)


def render(text, values):
    """Replace each ``{variable}`` of ``text`` by ``values[variable]`` (empty if missing).

    Values are inserted as they are (plain text, no escaping); ``None``/``False``
    become empty. Runs of spaces left by empty values are not collapsed on purpose:
    the text stays what the author wrote.
    """
    values = values or {}
    parts = []
    for kind, value in _tokens(text):
        parts.append(value if kind == "text" else _as_text(values.get(value)))
    return "".join(parts)
