"""`make bench`: Radar against the floor (bench/floor.py), at 20,000 and 200,000 cases, on PostgreSQL.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/radar_bench .venv/bin/python bench/run.py
    BENCH_SCALES=20000 … (one scale only)   BENCH_REPEAT=7 … (repetitions of each read)

For each scale a database `<BENCH_DATABASE_URL>_<scale>` is created, migrated and filled by `seed_scale` if it has
no cases yet (contacts: five per case). A child process per scale measures, in one run, each Radar call and its
floor interleaved (Radar, floor, floor, Radar, …), and keeps medians and Radar's query count. Radar is called through
its public doors: the API with a knox token, the web pages with a session, the CSV import through its upload page
(and the task worker when the import runs in the background). HTTP throughput runs gunicorn with 2 workers serving
Radar, then the floor's WSGI app (bench/floor_wsgi.py), each loaded by bench/load.py on loopback.

Writes docs/performance.md from the figures of every scale run (kept in bench/results/). Asserts nothing.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
ROLES = {"school": "scale.school01.1", "animator": "scale.centre01.anim1", "coordinator": "scale.coordination1"}
MANAGER = "scale.centre01.manager"
CHILD_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "bench-secret-key-not-for-production",
    "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "RADAR_USER_THROTTLE": "1000000/hour",
    "RADAR_DASHBOARD_CACHE_SECONDS": "300",
    # The second factor is asked at login; the pages measured here come after it.
    "RADAR_REQUIRE_MFA": "0",
    "LOG_LEVEL": "WARNING",
}


def database_url(scale: int) -> str:
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/radar_bench")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path}_{scale}"))


def prepare(scale: int) -> float | None:
    """Creates, migrates and seeds the scale's database if needed; the seed's duration when it ran."""
    import psycopg

    url = database_url(scale)
    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    env = os.environ | CHILD_ENV | {"DATABASE_URL": url, "DEBUG": "1"}
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "createcachetable"], env=env, check=True, cwd=ROOT)
    # Radar is measured with DEBUG off: its pages need the collected static files' manifest.
    production = os.environ | CHILD_ENV | {"DATABASE_URL": url}
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=production, check=True, cwd=ROOT)
    with psycopg.connect(url) as conn:
        seeded = conn.execute("SELECT count(*) FROM outreach_case").fetchone()[0]
    if seeded:
        return None
    started = time.monotonic()
    subprocess.run(
        [*manage, "seed_scale", "--cases", str(scale), "--contacts", str(scale * 5)], env=env, check=True, cwd=ROOT
    )
    return time.monotonic() - started


def main() -> None:
    scales = [int(value) for value in os.environ.get("BENCH_SCALES", "20000 200000").replace(",", " ").split()]
    RESULTS.mkdir(exist_ok=True)
    for scale in scales:
        print(f"== {scale:,} cases: {database_url(scale)}", flush=True)
        seeded = prepare(scale)
        out = RESULTS / f"{scale}.json"
        env = os.environ | CHILD_ENV | {"DATABASE_URL": database_url(scale)}
        subprocess.run([PYTHON, str(ROOT / "bench" / "measure.py"), str(out)], env=env, check=True, cwd=ROOT)
        figures = json.loads(out.read_text())
        figures["scale"] = scale
        if seeded is not None:
            figures["seed_seconds"] = seeded
        out.write_text(json.dumps(figures, indent=1))
    from bench.report import write_report

    write_report(RESULTS, ROOT / "docs" / "performance.md")
    print(f"Written: {ROOT / 'docs' / 'performance.md'}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
