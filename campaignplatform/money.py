"""Money as people read it: integer cents to "$1,234.56" ("-$5.00" for a negative amount, "—"
for none). Python code and the `cents` template filter both use this, so a notification, a
form message and a page always say the same amount the same way."""


def dollars(cents: int | None) -> str:
    if cents is None:
        return "—"
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"
