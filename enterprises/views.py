"""The enterprise's own pages ("my enterprise"). Every object comes through a selector."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from enterprises import selectors


@login_required
def my_enterprise(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    today = dt.date.today()
    return render(
        request,
        "enterprises/my_enterprise.html",
        {
            "enterprise": enterprise,
            "registrations": selectors.registrations_for_enterprise(enterprise=enterprise),
            "certificates": selectors.certificates_for_enterprise(enterprise=enterprise),
            "figures": selectors.annual_figures_for_enterprise(enterprise=enterprise),
            "today": today,
        },
    )
