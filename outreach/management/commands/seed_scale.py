"""`manage.py seed_scale --cases 200000 --contacts 1000000 [--force]`: a large partnership's data, for benchmarks.

PostgreSQL only (set-based SQL, see outreach/demo/scale.py). Refuses with DEBUG off unless --force, and on a
database it has already seeded.
"""

import sys
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from outreach.demo.scale import USERNAME_PREFIX, seed_scale

BAR_WIDTH = 30


class Command(BaseCommand):
    help = gettext_lazy(
        "Writes a large data set (schools, centres, users with roles, pupils, cases, contacts, events, access log) "
        "with set-based SQL on PostgreSQL. Refuses with DEBUG off unless --force is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--cases", type=int, default=200_000, help=gettext_lazy("Number of cases (and pupils)."))
        parser.add_argument("--contacts", type=int, default=1_000_000, help=gettext_lazy("Number of contacts logged."))
        parser.add_argument(
            "--force",
            action="store_true",
            help=gettext_lazy("Run even though DEBUG is off (the accounts share a password)."),
        )

    def handle(self, *args, cases: int, contacts: int, force: bool, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _("DEBUG is off: the seeded accounts share a known password. Use --force to seed anyway.")
            )
        if connection.vendor != "postgresql":
            raise CommandError(_("seed_scale writes with PostgreSQL's set-based SQL: run it on PostgreSQL."))
        if get_user_model().objects.filter(username__startswith=USERNAME_PREFIX).exists():
            raise CommandError(_("This database is seeded already."))
        if cases < 1 or contacts < 0:
            raise CommandError(_("--cases must be positive and --contacts not negative."))
        started = time.monotonic()

        def progress(share: float, label: str) -> None:
            filled = round(share * BAR_WIDTH)
            bar = "#" * filled + " " * (BAR_WIDTH - filled)
            line = f"\r[{bar}] {share:4.0%} {label:<22} {time.monotonic() - started:6.1f} s"
            self.stdout.write(line, ending="")
            if sys.stdout.isatty():
                self.stdout.flush()

        seed_scale(cases=cases, contacts=contacts, progress=progress)
        self.stdout.write("")
        self.stdout.write(
            _("%(cases)d cases and %(contacts)d contacts written in %(seconds).0f s.")
            % {"cases": cases, "contacts": contacts, "seconds": time.monotonic() - started}
        )
