"""Template context every page gets."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from common.queue import queue_count_cached
from portal.navigation import Menu, menu_of_request


def work_queue(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """`queue_count`: how many records wait for the signed-in person (the navigation's
    number). Counted when a template first shows it, once per request, and cached briefly
    (common.queue.queue_count_cached); the queue page hands over its own total."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        if not hasattr(request, "_queue_count"):
            request._queue_count = queue_count_cached(user=user)  # type: ignore[attr-defined]
        return request._queue_count  # type: ignore[attr-defined]

    return {"queue_count": count}


def navigation(request: HttpRequest) -> dict[str, Callable[[], Menu]]:
    """`menu`: the pages the person may open (portal.navigation), for the header and the
    home page alike; computed when a template first shows it, once per request."""
    return {"menu": lambda: menu_of_request(request)}


def site_registration(request: HttpRequest) -> dict[str, dict[str, str]]:
    """The footer's registration numbers: the ICP filing (ICP 备案号) and the government
    website code (政府网站标识码), from settings; blank ones are not shown."""
    return {
        "site_registration": {
            "icp": settings.SITE_ICP_NUMBER,
            "government_code": settings.SITE_GOVERNMENT_CODE,
        }
    }
