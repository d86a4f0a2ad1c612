from django.core.management.base import BaseCommand

from outreach.notifications import digests_enqueue


class Command(BaseCommand):
    help = (
        "Daily: queue each manager's and animator's digest (their overdue cases and next steps due) and the "
        "coordinators' overdue counts. Users who turned the digest off on their account page get none."
    )

    def handle(self, *args, **options) -> None:
        count = digests_enqueue()
        self.stdout.write(f"{count} digest(s) queued.")
