# The portal's image: the web application, the Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

# WeasyPrint's system libraries and fonts for the PDF reports; Cairo draws the
# charts as pictures for the editable (DOCX) edition.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 \
        fonts-dejavu-core fonts-liberation postgresql-client \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORTAL_VAR_DIR=/app/var \
    MEDIA_ROOT=/app/var/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
COPY pyproject.toml README.md ./
COPY accounts accounts
COPY core core
COPY portal portal
COPY recommendations recommendations
COPY reporting reporting
RUN pip install --no-cache-dir .
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
