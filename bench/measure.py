"""One scale's measures (run by bench/run.py with DATABASE_URL set): writes a JSON file of figures.

Every read is measured interleaved with its floor, BENCH_REPEAT times each (7 by default), medians kept; Radar's
query count comes from one more call, counted apart so that counting costs nothing in the timings.
"""

import csv
import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from bench import floor  # noqa: E402
from bench.run import MANAGER, ROLES  # noqa: E402
from outreach.dashboard import last_months  # noqa: E402
from outreach.models import Case  # noqa: E402

REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
# BENCH_ONLY=reports,pages measures those sections again and keeps the other figures of the scale's last run.
SECTIONS = os.environ.get("BENCH_ONLY", "api,writes,reports,pages,http").split(",")
SECRET = settings.SECRET_KEY.encode()
RUN = uuid.uuid4().hex[:6]


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def interleaved(radar, floor_call=None, repeat: int = REPEAT) -> dict:
    """Medians of `repeat` Radar calls and floor calls, alternated so that neither gets a warmer machine."""
    radar()
    if floor_call:
        floor_call()
    radar_times, floor_times = [], []
    for i in range(repeat):
        pair = [(radar, radar_times), (floor_call, floor_times)]
        if i % 2:
            pair.reverse()
        for call, times in pair:
            if call:
                times.append(timed(call))
    result = {"radar_ms": statistics.median(radar_times) * 1000, "queries": queries_of(radar)}
    if floor_times:
        result["floor_ms"] = statistics.median(floor_times) * 1000
        result["ratio"] = result["radar_ms"] / result["floor_ms"]
    return result


def api_client(user) -> tuple[Client, str]:
    _instance, token = AuthToken.objects.create(user)
    return Client(HTTP_AUTHORIZATION=f"Token {token}"), token


def ok(response, *codes: int):
    expected = codes or (200,)
    if response.status_code not in expected:
        raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
    return response


def flag_items(prefix: str, count: int) -> list[dict]:
    return [
        {
            "pupil": {
                "external_ref": f"{prefix}-{i:05d}",
                "first_name": "Bench",
                "last_name": f"Élève {i}",
                "birth_date": "2013-05-02",
                "level": "5e",
                "class_name": "5e C",
                "address": "4 rue Racine",
                "postcode": "59000",
                "city": "Lille",
                "neighbourhood": "Quartier A1",
                "guardians": [{"name": "Nadia Benali", "relationship": "mère", "phone": "0612345678"}],
            },
            "reasons": ["long_absence", "family_unreachable"],
            "details": "Absent depuis le 3 novembre.",
            "half_days_missed": 16,
        }
        for i in range(count)
    ]


def csv_text(items: list[dict]) -> str:
    out = io.StringIO()
    columns = ["external_ref", "first_name", "last_name", "birth_date", "level", "class_name", "address", "postcode"]
    columns += ["city", "neighbourhood", "guardian_name", "guardian_relationship", "guardian_phone", "reasons"]
    writer = csv.writer(out)
    writer.writerow(columns)
    for item in items:
        pupil, guardian = item["pupil"], item["pupil"]["guardians"][0]
        writer.writerow(
            [pupil[name] for name in columns[:10]]
            + [guardian["name"], guardian["relationship"], guardian["phone"], "|".join(item["reasons"])]
        )
    return out.getvalue()


def run_background_tasks() -> None:
    """An import that became a background job runs in the task worker: its time counts too."""
    if "django_tasks_db" in settings.INSTALLED_APPS:
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--no-reload", verbosity=0)


def csv_import(web: Client, school_id: int, text: str) -> dict:
    """The CSV import through its upload page, as a school's staff sends it, until every row is in."""
    form = ok(web.get("/cases/import/")).content.decode()
    token = re.search(r'name="submission" value="([^"]+)"', form)
    before = Case.objects.count()
    rows = text.count("\n") - 1
    started = time.perf_counter()
    response = web.post(
        "/cases/import/",
        {
            "school": school_id,
            "file": io.BytesIO(text.encode()),
            **({"submission": token.group(1)} if token else {}),
        },
        format="multipart",
    )
    run_background_tasks()
    seconds = time.perf_counter() - started
    created = Case.objects.count() - before
    return {
        "rows": rows,
        "status": response.status_code,
        "created": created,
        "radar_ms": seconds * 1000,
        "pupils_per_s": created / seconds if created else 0,
    }


def throughput(token: str, floor_token: str) -> dict:
    """gunicorn, 2 workers, Radar then the floor app, each loaded on loopback by bench/load.py."""
    results = {}
    for name, app, path in (
        ("radar", "config.wsgi", "/api/v1/cases/?page_size=50"),
        ("floor", "bench.floor_wsgi:application", "/api/v1/cases/?page_size=50"),
    ):
        port = 18700 + (0 if name == "radar" else 1)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                app,
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ,
        )
        try:
            load = subprocess.run(
                [
                    sys.executable,
                    str(ROOT / "bench" / "load.py"),
                    f"http://127.0.0.1:{port}{path}",
                    token if name == "radar" else floor_token,
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            )
            results[name] = json.loads(load.stdout)
        finally:
            server.terminate()
            server.wait(timeout=30)
    results["ratio_percent"] = 100 * results["radar"]["rps"] / results["floor"]["rps"] if results["floor"]["rps"] else 0
    return results


def deep_cursor(web: Client, url: str, pages: int) -> str:
    """The cursor of the page `pages` deep, by following each page's "next" link."""
    cursor = ""
    for _page in range(pages - 1):
        html = ok(web.get(url + (f"&cursor={cursor}" if cursor else ""))).content.decode()
        found = re.search(r'href="[^"]*cursor=([A-Za-z0-9_=-]+)[^"]*"[^>]*rel="next"', html) or re.search(
            r'rel="next"[^>]*href="[^"]*cursor=([A-Za-z0-9_=-]+)', html
        )
        if not found:
            break
        cursor = found.group(1)
    return cursor


def main(out: Path) -> None:
    users = {role: get_user_model().objects.get(username=name) for role, name in ROLES.items()}
    manager = get_user_model().objects.get(username=MANAGER)
    conn = floor.floor_connection()
    figures: dict = {"measures": {}}
    if os.environ.get("BENCH_ONLY") and out.exists():
        figures = json.loads(out.read_text())
    figures |= {"cases": Case.objects.count(), "repeat": REPEAT, "measured_on": date.today().isoformat()}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    figures.setdefault("sections", {}).update(dict.fromkeys(SECTIONS, commit.strip()))
    measures = figures["measures"]

    def note(name: str, result: dict) -> None:
        measures[name] = result
        out.write_text(json.dumps(figures, indent=1, default=str))  # what was measured survives a later failure
        text = ", ".join(
            f"{key} {value:.1f}" if isinstance(value, float) else f"{key} {value}" for key, value in result.items()
        )
        print(f"  {name:45} {text}", flush=True)

    tokens = {}
    for role, user in users.items():
        client, token = api_client(user)
        tokens[role] = token
        for size in (50, 200) if "api" in SECTIONS else ():
            url = f"/api/v1/cases/?page_size={size}"
            note(
                f"API list {size}, {role}",
                interleaved(
                    lambda c=client, u=url: ok(c.get(u)),
                    lambda t=token, s=size: floor.case_list(conn, t, page_size=s, secret=SECRET),
                ),
            )
    school_client, school_token = api_client(users["school"])
    own_cases = Case.objects.filter(school__name="Collège Échelle 01").order_by("-flagged_at")
    case_id = own_cases.values_list("pk", flat=True)[5]
    if "api" in SECTIONS:
        note(
            "API detail, school",
            interleaved(
                lambda: ok(school_client.get(f"/api/v1/cases/{case_id}/")),
                lambda: floor.case_detail(conn, school_token, case_id, secret=SECRET),
            ),
        )

    # Writes: fresh pupils each time, Radar and the floor alternated.
    # The rows the writes add stay: the next run flags other pupils (RUN is in their numbers).
    if "writes" in SECTIONS:
        school_id = Case.objects.filter(pk=case_id).values_list("school_id", flat=True).get()
        counter = iter(range(10**6))

        def radar_flag():
            item = flag_items(f"{RUN}-one-{next(counter)}", 1)[0]
            ok(school_client.post("/api/v1/cases/", item, content_type="application/json"), 201)

        def floor_flag():
            floor.flag(conn, school_token, flag_items(f"{RUN}-fone-{next(counter)}", 1), school_id=school_id)

        note("API flag, one pupil", interleaved(radar_flag, floor_flag))

        def radar_bulk():
            items = flag_items(f"{RUN}-bulk-{next(counter)}", 500)
            ok(school_client.post("/api/v1/cases/bulk/", items, content_type="application/json"), 200, 207)

        def floor_bulk():
            floor.flag(conn, school_token, flag_items(f"{RUN}-fbulk-{next(counter)}", 500), school_id=school_id)

        bulk = interleaved(radar_bulk, floor_bulk, repeat=3)
        bulk["pupils_per_s"] = 500 / (bulk["radar_ms"] / 1000)
        bulk["floor_pupils_per_s"] = 500 / (bulk["floor_ms"] / 1000)
        note("API bulk flag, 500 pupils", bulk)

        web_school = Client()
        web_school.force_login(users["school"])
        for rows in (1000, 10000):
            text = csv_text(flag_items(f"{RUN}-csv{rows}", rows))
            result = csv_import(web_school, school_id, text)
            started = time.perf_counter()
            floor_text = csv_text(flag_items(f"{RUN}-fcsv{rows}", rows))
            floor.flag(conn, school_token, floor.csv_items(floor_text), school_id=school_id)
            result["floor_ms"] = (time.perf_counter() - started) * 1000
            result["ratio"] = result["radar_ms"] / result["floor_ms"]
            note(f"CSV import, {rows} rows", result)

    # Reports, through the API.
    if "reports" in SECTIONS:
        for role in ("school", "coordinator"):
            client, token = api_client(users[role])
            for group_by in ("centre", "school", "month", "reason", "neighbourhood"):
                note(
                    f"outcome report by {group_by}, {role}",
                    interleaved(
                        lambda c=client, g=group_by: ok(c.get(f"/api/v1/reports/outcomes/?group_by={g}")),
                        lambda t=token, g=group_by: floor.outcome_report(conn, t, group_by=g),
                    ),
                )
        year = timezone.localdate().year - 1
        for who, user in (("coordinator", users["coordinator"]), ("centre manager", manager)):
            client, token = api_client(user)
            note(
                f"funders' report {year}, {who}",
                interleaved(
                    lambda c=client: ok(c.get(f"/api/v1/reports/funders/?year={year}")),
                    lambda t=token: floor.funders_report(conn, t, year=year),
                ),
            )

    # Web pages.
    if "pages" in SECTIONS:
        web = {role: Client() for role in users}
        for role, client in web.items():
            client.force_login(users[role])
        now = timezone.now()
        months = last_months(12, timezone.localdate(now))
        coordinator_token = tokens["coordinator"]
        with override_settings(RADAR_DASHBOARD_CACHE_SECONDS=0):
            note(
                "dashboard, computed",
                interleaved(
                    lambda: ok(web["coordinator"].get("/dashboard/")),
                    lambda: floor.dashboard(conn, coordinator_token, now=now, months=months),
                ),
            )
        note(
            "dashboard, cached",
            interleaved(
                lambda: ok(web["coordinator"].get("/dashboard/")),
                lambda: floor.dashboard(conn, coordinator_token, now=now, months=months),
            ),
        )
        all_statuses = "/cases/?status=flagged&status=routed&status=in_progress&status=closed"
        note(
            "web list, coordinator, all statuses, first page",
            interleaved(lambda: ok(web["coordinator"].get(all_statuses))),
        )
        deep = deep_cursor(web["coordinator"], all_statuses, 20)
        note(
            "web list, coordinator, all statuses, page 20",
            interleaved(lambda: ok(web["coordinator"].get(f"{all_statuses}&cursor={deep}"))),
        )
        note("web list, school (its current cases)", interleaved(lambda: ok(web["school"].get("/cases/"))))
        note(
            "caseload, animator (open cases, most urgent first)",
            interleaved(lambda: ok(web["animator"].get("/cases/"))),
        )
        note("triage, coordinator", interleaved(lambda: ok(web["coordinator"].get("/triage/"))))
        note("to do, animator", interleaved(lambda: ok(web["animator"].get("/todo/"))))
        figures["html_kb"] = {
            "triage": len(web["coordinator"].get("/triage/").content) / 1024,
            "dashboard": len(web["coordinator"].get("/dashboard/").content) / 1024,
        }

    if "http" in SECTIONS:
        figures["throughput"] = throughput(tokens["school"], tokens["school"])
        print(f"  HTTP list 50, school staff: {figures['throughput']}", flush=True)
    out.write_text(json.dumps(figures, indent=1, default=str))
    conn.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
