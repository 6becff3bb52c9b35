"""Database checks that several apps' models make the same way. A shared helper importing no app.

Each builder returns the very constraint a model would write out by hand (same name, same
condition), so moving a model onto it changes no schema and needs no migration.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def choice_check(
    field: str, choices: type[models.Choices], *, name: str, blank: bool = False
) -> models.CheckConstraint:
    """A CHECK that `field` holds one of `choices` (or "" when `blank`): Django keeps to a
    field's choices in forms only, so without it a service or a raw update could store any text."""
    values = ["", *choices.values] if blank else choices.values
    return models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=name)


def coded_reason_check(
    *, when: dict, code_field: str, reasons: type[models.Choices], name: str
) -> models.CheckConstraint:
    """A CHECK that a row carries a reason code exactly while it is in the state that needs one
    (`when`: the lookups naming that state, e.g. {"status": "rejected"}): one of `reasons`
    then, and empty in every other state, so no rule ever reads a stale reason."""
    return models.CheckConstraint(
        condition=Q(**when, **{f"{code_field}__in": reasons.values}) | (~Q(**when) & Q(**{code_field: ""})),
        name=name,
    )


def amounts_check(
    *, name: str, positive: tuple[str, ...] = (), non_negative: tuple[str, ...] = ()
) -> models.CheckConstraint:
    """A CHECK that amounts and counters never go below zero (`non_negative`) and, where a row
    of nothing would make no sense, stay above it (`positive`): a bug that would store a
    negative balance fails loudly in the transaction that made it."""
    lookups = {f"{field}__gt": 0 for field in positive} | {f"{field}__gte": 0 for field in non_negative}
    return models.CheckConstraint(condition=Q(**lookups), name=name)


def amount_range_check(field: str, *, most: int, name: str, null: bool = False) -> models.CheckConstraint:
    """A CHECK that `field` is above zero and at most `most` (or NULL when `null`): an upper
    bound refuses a typo ("30000000") cleanly instead of letting it overflow a sum later on."""
    in_range = Q(**{f"{field}__gt": 0, f"{field}__lte": most})
    condition = (Q(**{f"{field}__isnull": True}) | in_range) if null else in_range
    return models.CheckConstraint(condition=condition, name=name)
