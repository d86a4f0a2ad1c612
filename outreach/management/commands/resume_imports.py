"""`manage.py resume_imports`: CSV imports whose worker died are enqueued again (django-tasks does not requeue them).

Run it every few minutes (cron, a systemd timer) next to `manage.py db_worker`."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from outreach.imports import STALE_AFTER, import_job_task, stale_import_jobs


class Command(BaseCommand):
    help = _("Enqueues again the CSV imports whose progress stopped: each resumes after its last committed chunk.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--minutes",
            type=int,
            default=int(STALE_AFTER.total_seconds() // 60),
            help=_("How long without progress makes an import stale."),
        )

    def handle(self, *args, **options) -> None:
        job_ids = list(stale_import_jobs(after=timedelta(minutes=options["minutes"])).values_list("pk", flat=True))
        for job_id in job_ids:
            import_job_task.enqueue(str(job_id))
        self.stdout.write(_("%(count)d stale imports enqueued again.") % {"count": len(job_ids)})
