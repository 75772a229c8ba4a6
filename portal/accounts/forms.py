"""Sign-up and login forms."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from common.lib import uscc as uscc_lib
from common.notifications import notification_write
from enterprises.forms import PhoneField
from enterprises.models import uscc_error_message
from portal.accounts.models import User
from portal.accounts.services import email_taken, normalise_email


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's password reset email, written to the outbox and sent by the worker: the
    request never waits on the mail server."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        notification_write(
            recipients=[context["user"]],
            subject=render_to_string(subject_template_name, context),
            body=render_to_string(email_template_name, context),
            kind="password_reset",
        )


class LoginForm(AuthenticationForm):
    """Enterprise users log in with their email address, which is their username."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email or username")
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean(self) -> dict[str, Any]:
        username = (self.cleaned_data.get("username") or "").strip()
        if "@" in username:
            self.cleaned_data["username"] = normalise_email(username)
        return super().clean()


class SignupForm(forms.Form):
    """What an enterprise gives to open an account: its code, a contact and a password."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    enterprise_name = forms.CharField(label=_("Enterprise name"), max_length=200)
    contact_person = forms.CharField(label=_("Contact person"), max_length=50)
    phone = PhoneField(label=_("Phone"))
    email = forms.EmailField(
        label=_("Email"),
        max_length=150,
        help_text=_("You log in with this address; approval and password emails go here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_uscc(self) -> str:
        try:
            return uscc_lib.validate(self.cleaned_data["uscc"])
        except uscc_lib.USCCError as exc:
            raise forms.ValidationError(uscc_error_message(exc), code=exc.code) from exc

    def clean_enterprise_name(self) -> str:
        return self.cleaned_data["enterprise_name"].strip()

    def clean_email(self) -> str:
        email = normalise_email(self.cleaned_data["email"])
        if email_taken(email):
            raise forms.ValidationError(
                _(
                    "An account with this email address already exists. Log in or reset the "
                    "password instead."
                ),
                code="email_taken",
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            # Validate against the user the form would create, so that a password close to
            # the email or the contact's name is refused.
            candidate = User(
                username=cleaned.get("email", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("contact_person", ""),
            )
            try:
                validate_password(password1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class RejectLinkForm(forms.Form):
    """The reason staff give when rejecting an account's organisation link (admin action)."""

    reason = forms.CharField(
        label=_("Reason for the rejection"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The applicant receives this text by email."),
    )
