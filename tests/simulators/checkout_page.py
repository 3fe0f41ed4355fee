"""The clickable payment page of the gateway simulators (their interactive mode).

The simulators play the customer automatically in the tests; for a person in a browser
(the demo) their hosted page shows the amount and two buttons, ``Pay`` and ``Cancel``,
that lead to what the automatic path does (the same URL with an ``action`` parameter).
"""

import html

_STYLE = (
    "body{font-family:sans-serif;background:#f4f5f7;margin:0}"
    "main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;"
    "border-radius:8px;box-shadow:0 1px 4px #0002;text-align:center}"
    "p.amount{font-size:2rem;margin:1rem 0}"
    "a,button{display:inline-block;margin:.5rem;padding:.6rem 1.6rem;border-radius:4px;"
    "border:0;font-size:1rem;text-decoration:none;cursor:pointer}"
    ".pay{background:#1a7f37;color:#fff}.cancel{background:#ddd;color:#222}"
)


def render(gateway, reference, amount, currency, pay_url, cancel_url):
    """A page with the amount due and ``Pay`` / ``Cancel`` links (GET)."""
    esc = html.escape
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{esc(gateway)} sandbox</title><style>{_STYLE}</style></head><body><main>"
        f"<h1>{esc(gateway)} sandbox</h1><p>{esc(str(reference))}</p>"
        f"<p class='amount'>{esc(str(amount))} {esc(currency)}</p>"
        f"<a class='pay' id='pay' href='{esc(pay_url)}'>Pay {esc(str(amount))} {esc(currency)}</a>"
        f"<a class='cancel' id='cancel' href='{esc(cancel_url)}'>Cancel</a>"
        "</main></body></html>"
    )


def with_action(url, action):
    """``url`` with ``action=<action>`` added to its query."""
    return f"{url}{'&' if '?' in url else '?'}action={action}"


def autopost(url, fields):
    """A page whose form posts ``fields`` to ``url`` at once (the gateway's return)."""
    esc = html.escape
    inputs = "".join(
        f"<input type='hidden' name='{esc(str(k))}' value='{esc(str(v))}'/>"
        for k, v in fields.items()
    )
    return (
        "<!DOCTYPE html><html><body onload='document.forms[0].submit()'>"
        f"<form method='post' action='{esc(url)}'>{inputs}"
        "<noscript><button>Continue</button></noscript></form></body></html>"
    )
