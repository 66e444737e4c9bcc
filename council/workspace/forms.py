"""The workspace's forms: each validates what staff send before any view acts on it."""

from __future__ import annotations

from typing import Any

from django import forms

from council.workspace.models import EVENT_KINDS, VideoAnswer
from council.workspace.roles import ROLE_LABELS


class TokenForm(forms.Form):
    token = forms.RegexField(
        regex=r"^\s*\d{6}\s*$", max_length=12, label="Code from your authenticator app",
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "class": "govuk-input govuk-input--width-10"}),
    )

    def clean_token(self) -> str:
        return str(self.cleaned_data["token"]).strip()


class DecisionForm(forms.Form):
    state = forms.ChoiceField(
        choices=[c for c in VideoAnswer.STATES if c[0] != VideoAnswer.TO_REVIEW],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(
        attrs={"rows": 3, "class": "govuk-textarea"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("state") == VideoAnswer.CONCERN and not (data.get("note") or "").strip():
            self.add_error("note", "Say what the concern is: the safeguarding lead reads this")
        return data


class ConcernActionForm(forms.Form):
    action = forms.CharField(max_length=2000, label="What was done", widget=forms.Textarea(
        attrs={"rows": 3, "class": "govuk-textarea"}))


class WithdrawForm(forms.Form):
    code = forms.CharField(max_length=40, label="Reference code", widget=forms.TextInput(
        attrs={"class": "govuk-input govuk-input--width-10 workspace-code",
               "autocomplete": "off", "spellcheck": "false"}))
    channel = forms.ChoiceField(choices=[("phone", "Phone call"), ("email", "Email or letter"),
                                         ("in-person", "In person")], initial="phone")


class EventForm(forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(
        attrs={"class": "govuk-input"}))
    venue = forms.CharField(max_length=120, widget=forms.TextInput(
        attrs={"class": "govuk-input"}))
    date = forms.DateField(widget=forms.DateInput(
        attrs={"type": "date", "class": "govuk-input govuk-input--width-10"}))
    kind = forms.ChoiceField(choices=EVENT_KINDS)


class MergeForm(forms.Form):
    kiosk_event = forms.IntegerField(min_value=1)
    event = forms.IntegerField(min_value=1)


class PurgeForm(forms.Form):
    dry_run = forms.BooleanField(required=False)


class HoldForm(forms.Form):
    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(
        attrs={"rows": 2, "class": "govuk-textarea"}))


class StaffForm(forms.Form):
    username = forms.RegexField(regex=r"^[A-Za-z0-9_.@+-]{2,150}$", max_length=150,
                                label="Sign-in name", widget=forms.TextInput(
                                    attrs={"class": "govuk-input govuk-input--width-20",
                                           "autocomplete": "off"}))
    role = forms.ChoiceField(choices=list(ROLE_LABELS.items()))


class StaffChangeForm(forms.Form):
    role = forms.ChoiceField(choices=list(ROLE_LABELS.items()), required=False)
    active = forms.BooleanField(required=False)
    reset_two_factor = forms.BooleanField(required=False)
    new_password = forms.BooleanField(required=False)
