from django.db import migrations

# rest_framework.authtoken left INSTALLED_APPS when API tokens moved to
# portal.ApiToken (django-rest-knox). Leaving an app does not drop its table, and that
# table holds every token in clear: it is dropped here, with the record of its
# migrations, so that adding the app back one day would create it afresh. Its content
# type and permissions stay until `manage.py remove_stale_contenttypes
# --include-stale-apps` removes them.
# Nothing to do on a database that never had it. The tokens cannot come back: going
# back leaves the table gone (clients ask for new tokens either way).
DROP = [
    'DROP TABLE IF EXISTS "authtoken_token"',
    "DELETE FROM django_migrations WHERE app = 'authtoken'",
]


class Migration(migrations.Migration):
    """DRF's clear-text API tokens are gone."""

    dependencies = [("portal", "0006_api_tokens")]

    operations = [migrations.RunSQL(DROP, reverse_sql=migrations.RunSQL.noop)]
