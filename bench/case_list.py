"""How the case list scales: the API's first page for a school, a centre and a coordinator, at two volumes.

Run on PostgreSQL (a throwaway database is created and dropped):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/radar_bench .venv/bin/python bench/case_list.py [--large 200000]

Prints, for each caller, the median time and query count of one page of 50 at the small volume (the
baseline) and at the large one, and their ratio. Figures only: nothing here is asserted.
"""

import argparse
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


def populate(total: int, schools, centres, flagged_by) -> None:
    from outreach.models import Case, CaseReason, Status
    from schools.models import Pupil

    now = timezone.now()
    have = Case.objects.count()
    batch = 5000
    for start in range(have, total, batch):
        size = min(batch, total - start)
        pupils = Pupil.objects.bulk_create(
            Pupil(
                school=schools[(start + i) % len(schools)],
                external_ref=f"B{start + i:07d}",
                first_name="Bench",
                last_name=f"Pupil{start + i}",
                level="5e",
            )
            for i in range(size)
        )
        cases = []
        for i, pupil in enumerate(pupils):
            n = start + i
            status = [Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS, Status.CLOSED][n % 4]
            at = now - timedelta(hours=n % 6000, minutes=n % 60)
            cases.append(
                Case(
                    id=uuid.uuid4(),
                    reference=f"R-2026-{n + 1:07d}",
                    pupil=pupil,
                    school=pupil.school,
                    status=status,
                    centre=None if status == Status.FLAGGED else centres[(n // 4) % len(centres)],
                    outcome="returned_to_school" if status == Status.CLOSED else "",
                    closed_at=at if status == Status.CLOSED else None,
                    flagged_by=flagged_by,
                    flagged_at=at,
                    status_changed_at=at,
                )
            )
        Case.objects.bulk_create(cases)
        CaseReason.objects.bulk_create(CaseReason(case=case, reason="long_absence") for case in cases)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")


def measure(client, user, url: str, runs: int = 7) -> tuple[float, int]:
    client.force_authenticate(user)
    client.get(url)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:200]
    return statistics.median(timings), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=50_000)
    args = parser.parse_args()

    from django.test.utils import get_runner

    setup_test_environment()
    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    try:
        from outreach.roles import Role
        from outreach.services import role_grant
        from tests import factories

        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        schools = [factories.SchoolFactory() for _ in range(20)]
        centres = [factories.CentreFactory() for _ in range(8)]
        school_user, centre_user, coordinator = (factories.UserFactory() for _ in range(3))
        role_grant(user=school_user, role=Role.SCHOOL_STAFF, organisation=schools[0])
        role_grant(user=centre_user, role=Role.ANIMATOR, organisation=centres[0])
        role_grant(user=coordinator, role=Role.COORDINATOR)
        client = APIClient()
        callers = {"school staff": school_user, "animator": centre_user, "coordinator": coordinator}
        urls = {"first page": "/api/v1/cases/?page_size=50", "overdue, open": "/api/v1/cases/?overdue=true"}
        results = {}
        for volume in (args.small, args.large):
            populate(volume, schools, centres, coordinator)
            for name, user in callers.items():
                for label, url in urls.items():
                    results[(volume, name, label)] = measure(client, user, url)
        print(f"{connection.vendor}: one page of the case list, baseline {args.small:,} cases vs {args.large:,}")
        for name in callers:
            for label in urls:
                (small_t, small_q), (large_t, large_q) = (
                    results[(args.small, name, label)],
                    results[(args.large, name, label)],
                )
                print(
                    f"  {name:13} {label:14} {small_t * 1000:7.1f} ms ({small_q} queries) -> "
                    f"{large_t * 1000:7.1f} ms ({large_q} queries)  x{large_t / small_t:.2f}"
                )
    finally:
        runner.teardown_databases(old)


if __name__ == "__main__":
    main()
