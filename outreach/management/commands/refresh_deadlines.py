"""`manage.py refresh_deadlines`: after changing a RADAR_DEADLINE_* setting, every open case's next deadline."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from outreach.services import next_deadlines_refresh


class Command(BaseCommand):
    help = _("Recomputes the next deadline of every open case; run it after changing a RADAR_DEADLINE_* setting.")

    def handle(self, *args, **options) -> None:
        changed = next_deadlines_refresh()
        self.stdout.write(_("%(count)d open cases have a new next deadline.") % {"count": changed})
