"""Minimal hosted pages: Checkout, Connect onboarding, 3D Secure."""

from __future__ import annotations

from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "label{display:block;margin:.6rem 0}input{width:100%;padding:.4rem}"
    "button{padding:.5rem 1rem;margin:.8rem .5rem 0 0}.error{color:#b00020}.note{color:#666;font-size:.9rem}"
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><p class='note'>Stripe simulator (test mode)</p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )


def money(amount, currency) -> str:
    if amount is None:
        return ""
    return f"{amount / 100:,.2f} {str(currency or '').upper()}"


def checkout(session: dict, items: list[dict], error: str | None = None) -> str:
    sid = escape(session["id"])
    if session["status"] != "open":
        return _page("Checkout", f"<p id='status'>This Checkout Session is {escape(session['status'])}.</p>")
    rows = "".join(
        f"<li>{escape(i['description'] or '')} x {i['quantity']}: {money(i['amount_total'], i['currency'])}</li>"
        for i in items
    )
    total = (
        f"<p id='total'>Total: <strong>{money(session['amount_total'], session['currency'])}</strong></p>"
        if session["mode"] == "payment"
        else "<p>Save a card for later payments.</p>"
    )
    err = f"<p class='error' id='error'>{escape(error)}</p>" if error else ""
    email = escape(session.get("customer_email") or "")
    action = "Pay" if session["mode"] == "payment" else "Save card"
    body = (
        f"<ul>{rows}</ul>{total}{err}"
        f"<form method='post' action='/checkout/{sid}/pay'>"
        f"<label>Email <input name='email' type='email' value='{email}'></label>"
        "<label>Card number <input name='card_number' value='4242 4242 4242 4242' autocomplete='off'></label>"
        "<label>Expiry <input name='exp' value='12 / 34'></label>"
        "<label>CVC <input name='cvc' value='123'></label>"
        "<label>Name on card <input name='name' value=''></label>"
        f"{_bank_fields(session)}"
        f"<button type='submit' id='pay'>{action}</button></form>"
        f"<form method='post' action='/checkout/{sid}/cancel'><button type='submit' id='cancel'>Cancel</button></form>"
        "<p class='note'>Test cards: 4242424242424242 succeeds, 4000000000000002 is declined, "
        "4000000000009995 has insufficient funds.</p>"
    )
    return _page("Checkout", body)


def _bank_fields(session: dict) -> str:
    """A US bank account instead of a card, when the session allows one."""
    if "us_bank_account" not in (session.get("payment_method_types") or []):
        return ""
    return (
        "<fieldset><legend>Pay with</legend>"
        "<label><input type='radio' name='method' value='card' checked> Card</label>"
        "<label><input type='radio' name='method' value='us_bank_account' id='method-bank'> US bank account</label>"
        "</fieldset>"
        "<label>Routing number <input name='routing_number' value='110000000' autocomplete='off'></label>"
        "<label>Account number <input name='account_number' value='000123456789' autocomplete='off'></label>"
        "<p class='note'>Test bank accounts (routing 110000000): 000123456789 succeeds, 000222222227 fails "
        "(insufficient funds), 000111111113 fails (account closed). Bank payments stay processing until "
        "settled.</p>"
    )


def onboarding(account: dict, link: str) -> str:
    aid = escape(account["id"])
    due = "".join(f"<li>{escape(x)}</li>" for x in account["requirements"]["currently_due"]) or "<li>nothing</li>"
    body = (
        f"<p>Connected account <code>{aid}</code> ({escape(account.get('email') or 'no email')}).</p>"
        f"<p>Currently due:</p><ul>{due}</ul>"
        f"<form method='post' action='/connect/onboard/{aid}?link={escape(link)}'>"
        "<button type='submit' id='complete'>Complete onboarding</button></form>"
    )
    return _page("Express onboarding", body)


def authenticate(intent: dict) -> str:
    iid = escape(intent["id"])
    body = (
        f"<p>3D Secure authentication for <code>{iid}</code>.</p>"
        f"<form method='post' action='/_sim/authenticate/{iid}'><input type='hidden' name='success' value='true'>"
        "<button type='submit' id='complete'>Complete authentication</button></form>"
        f"<form method='post' action='/_sim/authenticate/{iid}'><input type='hidden' name='success' value='false'>"
        "<button type='submit' id='fail'>Fail authentication</button></form>"
    )
    return _page("Authenticate payment", body)


def message(title: str, text: str) -> str:
    return _page(title, f"<p>{escape(text)}</p>")
