"""Production: every required value comes from the environment, with no default.

A missing SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL or ALLOWED_HOSTS raises
ImproperlyConfigured naming it, before the process serves anything.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, without_jit


def _required(name: str) -> str:
    value = env.str(name, default="")
    if not value.strip():
        raise ImproperlyConfigured(
            f"Set the {name} environment variable (production has no default)."
        )
    return value


DEBUG = False
SECRET_KEY = _required("SECRET_KEY")
DATABASES = {"default": env.db_url_config(_required("DATABASE_URL"))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A kept connection that PostgreSQL dropped meanwhile (restart, failover) is replaced before
# the request uses it, instead of costing that request a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
without_jit(DATABASES["default"])
CELERY_BROKER_URL = _required("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# /healthz is probed over plain HTTP inside the compose network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
