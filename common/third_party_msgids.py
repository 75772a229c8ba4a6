"""Texts of the libraries we use that have no Chinese in their own catalogs.

They are marked here so that `make messages` puts them in our catalog (LOCALE_PATHS wins over
an app's own), which translates them: Django admin's hidden table headings, django-axes'
model names, django-simple-history's and django-import-export's headings. Nothing imports
this module; it exists to be read by makemessages.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_MSGIDS = (
    # django.contrib.admin: app_list.html's headings for screen readers.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django-axes: the sign-in attempts it records.
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    # django-simple-history's object history list.
    gettext_noop("Changes"),
    gettext_noop("Change reason"),
    gettext_noop("None"),
    # django-axes' fields and list filter.
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("Expires At"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Logout Time"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Locked Out"),
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Not set"),
    gettext_noop("Attempt Remaining"),
    # django.contrib.auth's admin forms (texts new in Django 5.1, not yet in its catalog).
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. "
        "If disabled, they may still be able to authenticate using other backends, "
        "such as Single Sign-On or LDAP."
    ),
    gettext_noop("If disabled, the current password for this user will be lost."),
    gettext_noop("Password-based authentication"),
    # django-import-export's export form.
    gettext_noop("Select all"),
)
