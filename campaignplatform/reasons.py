"""Reasons are codes: why something was rejected, closed, held or failed is a `TextChoices` code
that rules read, beside an optional free-text note that only people read (the person's own
words, or Stripe's message). A shared helper importing no app.

Every reason set has an OTHER member (value "other"): a person who picks it says why in the
note; a Stripe code that no member names is stored as OTHER, its message kept as the note.
"""

from __future__ import annotations

from django import forms

OTHER = "other"
NOTE_MAX_LENGTH = 500


class ReasonInvalid(ValueError):
    """The reason a person gave is not one they may pick, or is OTHER without a note."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def reason_checked(*, code: str, note: str, allowed, max_length: int = NOTE_MAX_LENGTH) -> tuple[str, str]:
    """(code, note) a person picked, tidied; raises ReasonInvalid unless `code` is one of
    `allowed` (the values they may pick) and, for OTHER, a note says what it is."""
    note = (note or "").strip()
    if code not in allowed:
        raise ReasonInvalid("Choose a reason from the list.")
    if code == OTHER and not note:
        raise ReasonInvalid("You chose “Other”: say what the reason is in the note.")
    return code, note[:max_length]


def reason_text(choices, code: str, note: str = "") -> str:
    """What people read: the code's label, then the note; for OTHER the note alone (its label
    says nothing: empty without a note, so the caller says what to show then)."""
    note = (note or "").strip()
    if not code or code == OTHER:
        return note
    label = choices(code).label
    return f"{label}: {note}" if note else label


def code_of(choices, value: str, *, aliases: dict[str, str] | None = None) -> str:
    """The member of `choices` an outside code (Stripe's) stands for: itself when `choices`
    names it (or an alias does), else OTHER (a code we do not know, or none given)."""
    value = (aliases or {}).get(value, value)
    return value if value in choices.values else OTHER


class CodedReasonForm(forms.Form):
    """A person's reason: a code picked from `reasons` (members of a reason set) and a note.

    Subclasses set `reasons`, and may set `note_max_length`, `note_label` and `note_help`.
    The service checks the same again (`reason_checked`); the form says it next to the field.
    """

    reasons: tuple = ()
    note_max_length = NOTE_MAX_LENGTH
    note_label = "Note (optional)"
    note_help = ""

    reason_code = forms.ChoiceField(
        label="Reason",
        error_messages={"required": "Choose a reason.", "invalid_choice": "Choose a reason from the list."},
    )
    note = forms.CharField(required=False)  # declared for its place after the reason; made in __init__

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [("", "Choose a reason…"), *((r.value, r.label) for r in self.reasons)]
        self.fields["note"] = forms.CharField(
            required=False,
            max_length=self.note_max_length,
            label=self.note_label,
            help_text=self.note_help,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason_code") == OTHER and not cleaned.get("note"):
            self.add_error("note", "You chose “Other”: say what the reason is here.")
        return cleaned
