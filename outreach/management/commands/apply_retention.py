"""`manage.py apply_retention [--dry-run]`: the daily retention of SPEC §7 (outreach/retention.py)."""

import sys

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outreach.retention import retention_apply

BAR_WIDTH = 30
DRY_RUN_SUMMARY = gettext_lazy(
    "Dry run: %(pupils)d pupils (%(cases)d cases) would be anonymised, %(log)d access-log entries purged."
)


class Command(BaseCommand):
    help = _(
        "Anonymises pupils whose cases are all closed with no activity for RADAR_CASE_RETENTION_MONTHS, and "
        "purges access-log entries older than RADAR_ACCESS_LOG_RETENTION_MONTHS. Safe to stop and run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help=_("List what would be done; change nothing."))

    def progress(self, step: str, done: int, total: int) -> None:
        """A bar on standard error when it is a terminal, so a cron job's mail holds the summary only."""
        if not sys.stderr.isatty() or total == 0:
            return
        filled = BAR_WIDTH * done // total
        label = _("pupils") if step == "pupils" else _("access-log entries")
        end = "\n" if done == total else ""
        self.stderr.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} {label}", ending=end)

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        summary = retention_apply(dry_run=dry_run, progress=self.progress)
        values = {"pupils": summary.pupils, "cases": summary.cases, "log": summary.access_log}
        if dry_run:
            self.stdout.write(DRY_RUN_SUMMARY % values)
            for reference in summary.references:
                self.stdout.write(f"  {reference}")
        else:
            self.stdout.write(
                _("%(pupils)d pupils (%(cases)d cases) anonymised, %(log)d access-log entries purged.") % values
            )
