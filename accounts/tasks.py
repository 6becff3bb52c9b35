"""Background jobs of accounts (django-q2): they take ids or nothing and call services."""

from accounts import limits


def abuse_counters_prune() -> int:
    return limits.abuse_counters_prune()
