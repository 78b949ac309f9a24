"""The bare floor: Django with SecurityMiddleware and CommonMiddleware only, no apps,
no database, no template. What any Django page costs under the same gunicorn."""

import os

SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-secret-key")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
INSTALLED_APPS: list[str] = []
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "bench.floor_urls"
DATABASES: dict = {}
USE_I18N = False
