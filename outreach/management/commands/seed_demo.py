"""`manage.py seed_demo [--force]`: the demo data of SPEC §8.

The data is in `outreach.demo.data`, the seeder that writes it through the services in `outreach.demo.story`.
Reference data is upserted on every run; the demo cases are written once, and a second run leaves them as they are.
"""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from outreach import notifications
from outreach.demo.data import DEMO_PASSWORD
from outreach.demo.programmes import seed_programmes
from outreach.demo.story import DemoSeeder
from outreach.models import (
    Case,
    Centre,
    Contact,
    FamilyNotice,
    Neighbourhood,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from outreach.selectors import overdue_q
from schools.models import School


def loaded_figures() -> dict:
    """What the database holds after the seed, for the summary."""
    by_status = dict(Case.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        "schools": School.objects.count(),
        "neighbourhoods": Neighbourhood.objects.count(),
        "centres": Centre.objects.count(),
        "accounts": get_user_model().objects.count(),
        "cases": Case.objects.count(),
        **{status: by_status.get(status, 0) for status in Status.values},
        "overdue": Case.objects.filter(overdue_q()).count(),
        "contacts": Contact.objects.count(),
        "tutoring": TutoringSession.objects.count(),
        "supports": Support.objects.count(),
        "notices": FamilyNotice.objects.count(),
        "returns": ReturnConfirmation.objects.count(),
    }


class Command(BaseCommand):
    help = _("Loads the demo data (SPEC §8). Idempotent; refuses to run with DEBUG off unless --force is given.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help=_("Run even though DEBUG is off (the demo accounts share a password).")
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real deployment. The demo data adds accounts whose password is "
                    "public. Use --force if you really want it here."
                )
            )
        started = time.monotonic()
        seeder = DemoSeeder()
        with transaction.atomic():
            seeder.seed_reference_data()
        # Outside the transaction above: every step of a story is a service, and services run in their own
        # durable transaction.
        created_cases = not seeder.demo_cases_exist()
        programme_figures = None
        if created_cases:
            # The demo's story is a past written at its own dates: nobody is emailed about it.
            with notifications.silenced():
                seeder.seed_cases()
                programme_figures = seed_programmes(seeder)
        self.write_summary(loaded_figures(), created_cases, time.monotonic() - started)
        if programme_figures:
            self.stdout.write(
                _(
                    "  %(groups)d tutoring groups, %(sessions)d sessions, %(register_lines)d register lines, "
                    "%(devices)d devices, %(loans)d loans"
                )
                % programme_figures
            )

    def write_summary(self, figures: dict, created_cases: bool, seconds: float) -> None:
        write: Callable[[str], None] = self.stdout.write
        if not created_cases:
            write(str(_("Demo cases already present: left as they are.")))
        write(
            self.style.SUCCESS(
                _("Demo data ready in %(seconds).1f s (password of every demo account: %(password)s).")
                % {"seconds": seconds, "password": DEMO_PASSWORD}
            )
        )
        write(
            _("  %(schools)d schools, %(neighbourhoods)d neighbourhoods, %(centres)d centres, %(accounts)d accounts")
            % figures
        )
        write(
            _(
                "  %(cases)d cases: %(flagged)d flagged, %(routed)d routed, %(in_progress)d in progress, "
                "%(closed)d closed; %(overdue)d overdue"
            )
            % figures
        )
        write(
            _(
                "  %(contacts)d contacts, %(tutoring)d tutoring sessions, %(supports)d supports, "
                "%(notices)d family notices, %(returns)d return confirmations"
            )
            % figures
        )
