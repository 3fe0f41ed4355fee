import pytest

from isp_base.lib.notify_template import (
    KNOWN_VARIABLES,
    TemplateSyntaxError,
    render,
    template_variables,
    unknown_variables,
)


def test_render_replaces_known_variables():
    text = "Dear {name}, your bill {invoice} of Tk {amount} is due on {due_date}."
    values = {"name": "Rahim", "invoice": "INV/1", "amount": "500.00", "due_date": "5 Mar"}
    assert render(text, values) == "Dear Rahim, your bill INV/1 of Tk 500.00 is due on 5 Mar."


def test_render_missing_or_false_values_become_empty():
    assert render("[{name}][{amount}][{days}]", {"name": None, "amount": False}) == "[][][]"
    assert render("{days} days", {"days": 0}) == "0 days"


def test_render_is_plain_text_without_escaping():
    assert render("{name}", {"name": "<b>A & B</b>"}) == "<b>A & B</b>"
    # a value containing braces is not rendered again
    assert render("{name}", {"name": "{password}"}) == "{password}"


def test_literal_braces():
    assert render("{{x}} {name} }}", {"name": "A"}) == "{x} A }"
    assert template_variables("{{name}}") == []


def test_bangla_text():
    text = "প্রিয় {name}, আপনার {package} প্যাকেজের মেয়াদ {expiry} তারিখে শেষ হবে।"
    out = render(text, {"name": "করিম", "package": "Home 10", "expiry": "2026-03-05"})
    assert out == "প্রিয় করিম, আপনার Home 10 প্যাকেজের মেয়াদ 2026-03-05 তারিখে শেষ হবে।"


def test_variables_in_order_once():
    assert template_variables("{b} {a} {b} { c }") == ["b", "a", "c"]


def test_unknown_variables():
    assert unknown_variables("Hi {name}, {ammount} {otp}") == ["ammount"]
    assert unknown_variables("Hi {name}", known={"phone"}) == ["name"]
    assert unknown_variables("") == []
    assert {"name", "amount", "due_date", "password", "pay_link"} <= set(KNOWN_VARIABLES)


@pytest.mark.parametrize("text", ["Hi {name", "Hi name}", "{}", "{Name}", "{a-b}", "{1x}"])
def test_syntax_errors(text):
    with pytest.raises(TemplateSyntaxError):
        template_variables(text)


def test_none_text():
    assert render(None, {}) == ""
    assert template_variables(None) == []
