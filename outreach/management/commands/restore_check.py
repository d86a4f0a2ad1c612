"""The restore drill's check (ops/restore-drill.sh): is this database one Radar can serve from?"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, override_settings

from outreach.models import AccessLog, Case, CaseEvent
from schools.models import Pupil, School


class Command(BaseCommand):
    help = "Checks a restored database: every migration applied, the main tables read, a user served their pages."

    def handle(self, *args, **options):
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("Migrations are missing: the backup is older than this code, or incomplete.")
        user_model = get_user_model()
        counts = {
            "users": user_model.objects.count(),
            "schools": School.objects.count(),
            "pupils": Pupil.objects.count(),
            "cases": Case.objects.count(),
            "case events": CaseEvent.objects.count(),
            "access log entries": AccessLog.objects.count(),
        }
        for label, count in counts.items():
            self.stdout.write(f"{label}: {count}")
        user = user_model.objects.filter(is_active=True, is_superuser=False).order_by("pk").first()
        if user is None:
            raise CommandError("No active user: was the backup taken from an empty database?")
        # Served as a browser would be, without a password (never known here) and whatever the allowed hosts.
        with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(user)
            statuses = {url: client.get(url).status_code for url in ("/cases/", "/api/v1/me/")}
        if any(status != 200 for status in statuses.values()):
            raise CommandError(f"A user's pages were not served from the restored database: {statuses}")
        self.stdout.write(self.style.SUCCESS(f"Restored database serves: user #{user.pk} signed in, pages 200."))
