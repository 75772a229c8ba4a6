"""The test suite: the local PostgreSQL and Redis, fast hashing, mail kept in memory.

Tests that need a real SMTP server or Celery worker override these per test.
"""

from .base import *  # noqa: F403
from .base import env, without_jit

DEBUG = False
SECRET_KEY = "test-secret-key-only-for-the-test-suite-0123456789abcdef"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/portal")}
without_jit(DATABASES["default"])
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Mail stays in memory unless a test's worker process is pointed at a real SMTP server.
if not env.str("EMAIL_URL", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False
ADMINS = [("科技局系统管理员", "admin@kjj.example.cn")]

# Each pytest-xdist worker gets its own Redis database so that one worker's Celery test
# worker never takes another's tasks (their tasks point at different test databases).
_xdist = env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw") or "0"
_redis_db = env.int("TEST_REDIS_DB_BASE", default=10) + int(_xdist)
CELERY_BROKER_URL = env.str("TEST_CELERY_BROKER_URL", default=f"redis://127.0.0.1:6379/{_redis_db}")

# The navigation's queue count is counted on every page in tests, so that a page's queries
# never depend on the page before (tests/common/test_queue_count_cache.py turns it on).
QUEUE_COUNT_CACHE_SECONDS = 0
