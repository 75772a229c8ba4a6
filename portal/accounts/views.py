"""Sign-up, the "waiting for approval" page and the login view."""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from portal.accounts.forms import LoginForm, SignupForm
from portal.accounts.models import User
from portal.accounts.services import enterprise_user_signup


class LoginView(auth_views.LoginView):
    """Django's login (axes watches it); every role lands on its work queue
    (LOGIN_REDIRECT_URL) unless the login page was asked for with a `next` page."""

    form_class = LoginForm
    redirect_authenticated_user = True


@sensitive_post_parameters("password1", "password2")
def signup(request: HttpRequest) -> HttpResponse:
    """An enterprise opens an account; it is logged in and waits for staff approval."""
    if request.user.is_authenticated:
        return redirect("link_pending")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = enterprise_user_signup(
                uscc=data["uscc"],
                enterprise_name=data["enterprise_name"],
                contact_person=data["contact_person"],
                phone=data["phone"],
                email=data["email"],
                password=data["password1"],
            )
        except ValidationError as exc:
            # A race (the same email signing up twice at once) lands here, not in a 500.
            field_map = {"password": "password1"}
            for field, messages in exc.message_dict.items():
                target = field_map.get(field, field)
                form.add_error(target if target in form.fields else None, messages)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("link_pending")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def link_pending(request: HttpRequest) -> HttpResponse:
    """Where an account whose organisation link is not approved (yet) lands."""
    user = request.user
    if getattr(user, "link_status", "") == User.LinkStatus.APPROVED:
        return redirect("enterprises:my_enterprise")
    return render(request, "accounts/pending.html", {"account": user})
