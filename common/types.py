"""Types that every app shares, for the type checker only.

`User` is the project's user model, the class `settings.AUTH_USER_MODEL` names, with its
organisation fields (`organisation_kind`, `link_status`, `enterprise_id`, ...): django-stubs'
mypy plugin expands `django.contrib.auth.models._User` to that class, so `common` and the
domain apps name the acting user's real type without importing `portal`. `AnyUser` is what
`request.user` is: a user, or the anonymous visitor.

Nothing here exists at run time: import it under `if TYPE_CHECKING:` in a module that starts
with `from __future__ import annotations`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import _User as User

    AnyUser: TypeAlias = User | AnonymousUser

    __all__ = ["AnonymousUser", "AnyUser", "User"]
