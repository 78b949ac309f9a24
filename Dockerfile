# The portal's image: the web application, the Celery worker and Celery beat.
# Three stages: the builder installs the locked dependencies (with their hashes) into a
# virtual environment; `audit` is bin/audit's one-shot job (compose profile "audit");
# the runtime stage, last so it is what `docker build .` makes, takes the environment
# and the application without tests/, bench/, build tools or compilers.

FROM python:3.11-slim-bookworm AS builder

# A compiler for any dependency without a wheel for this platform; postgresql-common
# for the PostgreSQL project's apt key, which Debian ships and signs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential postgresql-common \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
COPY requirements/base.txt requirements/base.txt
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements/base.txt


FROM python:3.11-slim-bookworm AS audit

WORKDIR /audit
COPY requirements requirements
COPY bin/audit bin/audit
RUN python -m venv /opt/tools \
    && /opt/tools/bin/pip install --no-cache-dir --require-hashes -r requirements/tools.txt
ENV PIP_AUDIT=/opt/tools/bin/pip-audit
CMD ["python", "bin/audit"]


FROM python:3.11-slim-bookworm AS runtime

# WeasyPrint's system libraries and fonts for the PDF reports; Cairo draws the
# charts as pictures for the editable (DOCX) edition. The PostgreSQL client is the
# server's major version (docker-compose.yml's db): pg_dump refuses a newer server,
# and Debian 12's own client is 15, so it comes from the PostgreSQL project's
# repository (apt.postgresql.org).
COPY --from=builder /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
    /etc/apt/keyrings/apt.postgresql.org.asc
RUN echo "deb [signed-by=/etc/apt/keyrings/apt.postgresql.org.asc]" \
        "https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 \
        fonts-dejavu-core fonts-liberation postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PORTAL_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The application's source; .dockerignore keeps tests/, bench/, docs/ and the rest out.
COPY . .
# Static files are collected into the image with the production storage (hashed,
# compressed names); a throwaway key, random as production wants it, is enough.
RUN PORTAL_ENV=production \
    SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home /app portal \
    && mkdir -p /app/var/media \
    && chown -R portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
