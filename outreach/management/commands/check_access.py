from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from outreach.access_alerts import access_check


class Command(BaseCommand):
    help = (
        "Daily: raise alerts for one day's unusual reads in the access log (yesterday unless --day): far more pupils "
        "than the account's usual day, reveals outside working hours, reads of long-closed cases."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--day", help="YYYY-MM-DD (default: yesterday, Paris time)")

    def handle(self, *args, day: str | None = None, **options) -> None:
        try:
            checked = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
        except ValueError as error:
            raise CommandError(f"--day: {error}") from error
        alerts = access_check(day=checked)
        self.stdout.write(f"{checked}: {len(alerts)} alert(s).")
