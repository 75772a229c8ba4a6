# The portal's image: web (gunicorn + whitenoise), Celery worker and beat all run from it.
# docker-compose.yml chooses the command; the default serves the web application.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.prod \
    STATIC_ROOT=/app/staticfiles \
    PRIVATE_MEDIA_ROOT=/data/media

WORKDIR /app

# pg_dump and pg_restore for `manage.py backup` and `restore` (the compose `backup` service):
# the client of the server's major version (postgres:16), from the PostgreSQL project's Debian
# repository, whose key ships with Debian's postgresql-common.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

# Every dependency is a binary wheel (psycopg2-binary, python-calamine): no compiler needed.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# The processes run as an unprivileged user that can write only the private media folder;
# the code and the collected static files stay owned by root.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid portal --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin portal \
    && mkdir -p /data/media \
    && chown portal:portal /data/media

COPY . .

# Production settings refuse to load without these; the values here exist only for this
# build step (collectstatic touches neither the database nor the broker) and are not kept.
RUN SECRET_KEY=collectstatic-only-not-a-secret \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input --verbosity 0

USER portal
EXPOSE 8000
VOLUME ["/data/media"]

# Worker count comes from WEB_CONCURRENCY (read by gunicorn itself).
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "60", "--access-logfile", "-"]
