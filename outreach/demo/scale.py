# ruff: noqa: S608 (SQL built from integers, dates and constants of this module, never from input)
"""Data at the scale of a large partnership (`manage.py seed_scale`), written by set-based SQL on PostgreSQL.

Reference data (schools, neighbourhoods, centres, users and their roles) goes through the ORM and the role services,
so the grants are the real ones. Everything counted in hundreds of thousands (pupils, guardians, cases, reasons,
contacts, tutoring, supports, notices, returns, events, access-log rows) is one `INSERT … SELECT` per table over a
staging table drawn once with a fixed random seed: the same arguments give the same data.

Cases are spread over two school years. The older a case, the likelier it is closed; open cases are flagged,
routed or in progress. `Case.next_deadline_at` is computed in SQL by the rule of `Case.deadlines()`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from outreach.models import NO_DEADLINE, Centre, Neighbourhood, NeighbourhoodPostcode, neighbourhood_key
from outreach.roles import Role
from outreach.services import role_grant
from schools.models import School, uai_check_letter

SCHOOLS = 60
CENTRES = 12
NEIGHBOURHOODS = 36
STAFF_PER_SCHOOL = 3
ANIMATORS_PER_CENTRE = 9
COORDINATORS = 6  # 60 * 3 school staff + 12 * (1 manager + 9 animators) + 6 coordinators = 306 accounts
USERNAME_PREFIX = "scale."
PASSWORD = "radar-demo"  # noqa: S105 (a throwaway data set, refused with DEBUG off unless forced)

FIRST_NAMES = [
    "Yanis", "Léa", "Inès", "Adam", "Chloé", "Mohamed", "Emma", "Lucas", "Sarah", "Noah", "Jade", "Rayan",
    "Lina", "Hugo", "Aya", "Nathan", "Manon", "Ilyes", "Camille", "Enzo", "Maëlys", "Sofiane", "Zoé", "Théo",
]  # fmt: skip
LAST_NAMES = [
    "Benali", "Morel", "Dupont", "Diallo", "Lefebvre", "Nguyen", "Martin", "Haddad", "Bernard", "Traoré",
    "Petit", "Mercier", "Boucher", "Kaci", "Roux", "Fontaine", "Chevalier", "Garnier", "Cissé", "Lambert",
]  # fmt: skip
NEIGHBOURHOOD_NAMES = [f"Quartier {chr(65 + i // 6)}{i % 6 + 1}" for i in range(NEIGHBOURHOODS)]


@dataclass
class Step:
    label: str
    sql: str
    weight: float  # share of the run, for the progress bar


def _reference_data() -> dict:
    """Schools, neighbourhoods, centres and 306 users with their roles, through the ORM and role_grant."""
    neighbourhoods = Neighbourhood.objects.bulk_create(
        # bulk_create skips save(), which keeps the matching key: it is given here.
        Neighbourhood(name=name, key=neighbourhood_key(name), is_qpv=i % 5 < 2)
        for i, name in enumerate(NEIGHBOURHOOD_NAMES)
    )
    NeighbourhoodPostcode.objects.bulk_create(
        NeighbourhoodPostcode(neighbourhood=n, postcode=f"59{i % 18:03d}") for i, n in enumerate(neighbourhoods)
    )
    centres = Centre.objects.bulk_create(
        Centre(name=f"Centre social Échelle {i + 1:02d}", address=f"{i + 1} place du Marché") for i in range(CENTRES)
    )
    for i, centre in enumerate(centres):
        centre.neighbourhoods.set(neighbourhoods[i * 3 : i * 3 + 3])
    schools = School.objects.bulk_create(
        School(name=f"Collège Échelle {i + 1:02d}", uai=_uai(9_100_000 + i), city="Lille") for i in range(SCHOOLS)
    )
    users = get_user_model()
    password = make_password(PASSWORD)

    def accounts(names: list[str]) -> list:
        return users.objects.bulk_create(
            users(username=USERNAME_PREFIX + name, password=password, first_name=name.split(".")[0].title())
            for name in names
        )

    staff = {
        school.pk: accounts([f"school{i + 1:02d}.{k + 1}" for k in range(STAFF_PER_SCHOOL)])
        for i, school in enumerate(schools)
    }
    for school in schools:
        for user in staff[school.pk]:
            role_grant(user=user, role=Role.SCHOOL_STAFF, organisation=school)
    animators = {}
    for i, centre in enumerate(centres):
        manager, *team = accounts(
            [f"centre{i + 1:02d}.manager"] + [f"centre{i + 1:02d}.anim{k + 1}" for k in range(ANIMATORS_PER_CENTRE)]
        )
        role_grant(user=manager, role=Role.CENTRE_MANAGER, organisation=centre)
        for user in team:
            role_grant(user=user, role=Role.ANIMATOR, organisation=centre)
        animators[centre.pk] = [manager, *team]
    coordinators = accounts([f"coordination{k + 1}" for k in range(COORDINATORS)])
    for user in coordinators:
        role_grant(user=user, role=Role.COORDINATOR)
    return {
        "schools": [school.pk for school in schools],
        "centres": [centre.pk for centre in centres],
        "staff": staff,
        "animators": animators,
        "coordinators": [user.pk for user in coordinators],
    }


def _uai(number: int) -> str:
    digits = f"{number:07d}"
    return digits + uai_check_letter(digits)


def _staff_tables(cursor, reference: dict) -> None:
    cursor.execute("CREATE TEMP TABLE scale_staff (school_id int, k int, user_id int, PRIMARY KEY (school_id, k))")
    cursor.executemany(
        "INSERT INTO scale_staff VALUES (%s, %s, %s)",
        [(school, k, user.pk) for school, users in reference["staff"].items() for k, user in enumerate(users)],
    )
    cursor.execute("CREATE TEMP TABLE scale_animator (centre_id int, k int, user_id int, PRIMARY KEY (centre_id, k))")
    cursor.executemany(
        "INSERT INTO scale_animator VALUES (%s, %s, %s)",
        [(centre, k, user.pk) for centre, users in reference["animators"].items() for k, user in enumerate(users)],
    )


# Weighted picks: the first value whose cumulative weight passes a uniform draw.
def _pick(draw: str, weighted: list[tuple[str, float]]) -> str:
    total, branches = 0.0, []
    for value, weight in weighted[:-1]:
        total += weight
        branches.append(f"WHEN {draw} < {total:.4f} THEN '{value}'")
    return f"(CASE {' '.join(branches)} ELSE '{weighted[-1][0]}' END)"


OUTCOMES = [
    ("returned_to_school", 0.40),
    ("partial_return", 0.15),
    ("referred", 0.10),
    ("moved_away", 0.07),
    ("family_declined", 0.06),
    ("unreachable", 0.10),
    ("resolved_by_school", 0.12),
]
CONTACT_KINDS = [
    ("phone_call", 0.45),
    ("home_visit", 0.22),
    ("message", 0.15),
    ("meeting_at_centre", 0.10),
    ("meeting_at_school", 0.05),
    ("video_call", 0.02),
    ("partner_meeting", 0.01),
]
CONTACT_RESULTS = [
    ("reached_family", 0.40),
    ("no_answer", 0.20),
    ("appointment_made", 0.12),
    ("absent_notice_left", 0.10),
    ("reached_pupil", 0.10),
    ("wrong_details", 0.04),
    ("declined", 0.03),
    ("moved_away", 0.01),
]
SUPPORT_KINDS = [
    ("tutoring", 0.30),
    ("device_tablet", 0.15),
    ("device_pc", 0.12),
    ("internet_access", 0.12),
    ("referral", 0.12),
    ("device_smartphone", 0.06),
    ("other", 0.13),
]
REASONS = [
    "unjustified_absence",
    "intermittent_absence",
    "long_absence",
    "family_unreachable",
    "no_digital_access",
    "disengagement",
    "falling_results",
    "behaviour",
    "other",
]


def _steps(*, cases: int, contacts: int, now: datetime, since: datetime, reference: dict) -> list[Step]:
    days = {name: f"interval '{count} days'" for name, count in settings.RADAR_DEADLINES.items()}
    local = "AT TIME ZONE 'Europe/Paris'"
    schools = "ARRAY[" + ",".join(map(str, reference["schools"])) + "]"
    centres = "ARRAY[" + ",".join(map(str, reference["centres"])) + "]"
    coordinator = reference["coordinators"][0]
    first_names = "ARRAY[" + ",".join(f"'{name}'" for name in FIRST_NAMES) + "]"
    last_names = "ARRAY[" + ",".join(f"'{name}'" for name in LAST_NAMES) + "]"
    neighbourhoods = "ARRAY[" + ",".join(f"'{name}'" for name in NEIGHBOURHOOD_NAMES) + "]"
    reasons = "ARRAY[" + ",".join(f"'{reason}'" for reason in REASONS) + "]"
    now_sql, since_sql = f"'{now.isoformat()}'::timestamptz", f"'{since.isoformat()}'::timestamptz"
    no_deadline = f"'{NO_DEADLINE.isoformat()}'::timestamptz"
    staging = f"""
        CREATE TEMP TABLE scale_case AS
        WITH drawn AS (
            SELECT g AS n, power(random(), 1.4) AS r_school, random() AS r_time, random() AS r_status,
                   random() AS r_open, random() AS r_a, random() AS r_b, random() AS r_c, random() AS r_d,
                   random() AS r_e, random() AS r_f
            FROM generate_series(1, {cases}) g
        ), timed AS (
            SELECT *, 1 + floor(r_school * {SCHOOLS})::int AS school_index,
                   {since_sql} + r_time * ({now_sql} - interval '2 hours' - {since_sql}) AS flagged_at
            FROM drawn
        ), statused AS (
            SELECT *, CASE
                WHEN {now_sql} - flagged_at > interval '45 days' AND r_status < 0.85 THEN 'closed'
                WHEN {now_sql} - flagged_at > interval '10 days' AND r_status < 0.30 THEN 'closed'
                WHEN r_open < 0.15 THEN 'flagged'
                WHEN r_open < 0.30 THEN 'routed'
                ELSE 'in_progress' END AS status
            FROM timed
        ), routed AS (
            SELECT *, CASE WHEN status <> 'flagged'
                THEN flagged_at + LEAST(interval '3 days' * r_a, ({now_sql} - flagged_at) * 0.3) END AS routed_at
            FROM statused
        ), accepted AS (
            SELECT *, CASE WHEN status IN ('in_progress', 'closed')
                THEN routed_at + LEAST(interval '2 days' * r_b, ({now_sql} - routed_at) * 0.3) END AS accepted_at
            FROM routed
        )
        SELECT n, nextval(pg_get_serial_sequence('schools_pupil', 'id')) AS pupil_id, gen_random_uuid() AS case_id,
               ({schools})[school_index] AS school_id, school_index,
               CASE WHEN status <> 'flagged'
                    THEN ({centres})[1 + (school_index + CASE WHEN r_d < 0.2 THEN 1 ELSE 0 END) % {CENTRES}] END
                    AS centre_id,
               status, flagged_at, routed_at, accepted_at,
               CASE WHEN status = 'closed'
                    THEN accepted_at + ({now_sql} - accepted_at) * (0.15 + 0.8 * r_c) END AS closed_at,
               CASE WHEN status = 'closed' THEN {_pick("r_e", OUTCOMES)} ELSE '' END AS outcome,
               CASE WHEN r_f < 0.7
                    THEN ((flagged_at + LEAST(interval '12 days' * r_f, ({now_sql} - flagged_at) * 0.5)) {local})::date
                    END AS family_informed_on,
               CASE WHEN status = 'in_progress' AND r_a < 0.5
                    THEN (({now_sql} + interval '20 days' * r_b - interval '5 days') {local})::date END
                    AS next_step_due_on,
               CASE WHEN status = 'in_progress' AND r_c < 0.02 THEN accepted_at END AS details_to_check_since,
               CASE WHEN r_d < 0.15 THEN 'high' ELSE 'normal' END AS urgency,
               floor(r_e * 41)::int AS half_days_missed,
               ((flagged_at - interval '20 days' * r_a) {local})::date AS last_seen_on,
               1 + floor(r_b * 2.5)::int AS reason_count,
               (n % {STAFF_PER_SCHOOL}) AS staff_index, (n % ({ANIMATORS_PER_CENTRE} + 1)) AS animator_index,
               ((flagged_at {local})::date - (365.25 * (10.6 + 4 * r_c))::int) AS birth_date,
               CASE WHEN r_a < 0.48 THEN 'F' WHEN r_a < 0.96 THEN 'M' ELSE '' END AS sex,
               CASE WHEN r_f < 0.06 THEN ''
                    WHEN r_f < 0.10 THEN lower(({neighbourhoods})[1 + (school_index * 3 + floor(r_d * 4)::int) % 36])
                    ELSE ({neighbourhoods})[1 + (school_index * 3 + floor(r_d * 4)::int) % 36] END AS neighbourhood,
               extract(year FROM flagged_at {local})::int AS year
        FROM accepted
    """
    status_changed = "COALESCE(s.closed_at, s.accepted_at, s.routed_at, s.flagged_at)"
    # Case.deadlines(): the earliest deadline that applies in the case's status, NO_DEADLINE once closed.
    next_deadline = f"""CASE WHEN s.status = 'closed' THEN {no_deadline} ELSE COALESCE(LEAST(
        CASE WHEN s.status = 'flagged' THEN {status_changed} + {days["triage"]} END,
        CASE WHEN s.status = 'routed' THEN {status_changed} + {days["acceptance"]} END,
        CASE WHEN s.status = 'in_progress' AND d.first_at IS NULL AND s.accepted_at IS NOT NULL
             THEN s.accepted_at + {days["first_contact"]} END,
        CASE WHEN s.status = 'in_progress' AND d.last_at IS NOT NULL THEN d.last_at + {days["no_contact"]} END,
        CASE WHEN s.family_informed_on IS NULL THEN s.flagged_at + {days["family_notice"]} END
    ), {no_deadline}) END"""
    return [
        Step(
            "staging", f"SELECT setseed(0.42); {staging}; CREATE UNIQUE INDEX ON scale_case (n); ANALYZE scale_case", 4
        ),
        Step(
            "pupils",
            f"""
            INSERT INTO schools_pupil (id, school_id, external_ref, first_name, last_name, birth_date, sex, level,
                class_name, address, postcode, city, neighbourhood, created_at, updated_at)
            SELECT pupil_id, school_id, 'E' || lpad(n::text, 8, '0'), ({first_names})[1 + n % 24],
                   ({last_names})[1 + (n / 24) % 20], birth_date, sex,
                   CASE WHEN n % 40 = 0 THEN 'ULIS' WHEN n % 40 = 1 THEN 'SEGPA'
                        ELSE (ARRAY['6e', '5e', '4e', '3e'])[1 + n % 4] END,
                   (ARRAY['6e', '5e', '4e', '3e'])[1 + n % 4] || ' ' || chr(65 + n % 5),
                   (1 + n % 120) || ' rue des Écoles', '59' || lpad((school_index % 18)::text, 3, '0'), 'Lille',
                   neighbourhood, flagged_at, flagged_at
            FROM scale_case
            """,
            6,
        ),
        Step(
            "guardians",
            f"""
            INSERT INTO schools_guardian (pupil_id, name, relationship, phone, email, language, interpreter_needed)
            SELECT pupil_id, ({first_names})[1 + (n + k) % 24] || ' ' || ({last_names})[1 + (n / 24) % 20],
                   CASE WHEN k = 1 THEN 'mère' ELSE 'père' END, '06' || lpad(((n * 7 + k) % 100000000)::text, 8, '0'),
                   CASE WHEN n % 3 = 0 THEN 'famille' || n || '@example.org' ELSE '' END,
                   CASE WHEN n % 9 = 0 THEN 'arabe' WHEN n % 13 = 0 THEN 'turc' ELSE '' END, n % 17 = 0
            FROM scale_case, generate_series(1, 1 + n % 2) k
            """,
            6,
        ),
        Step(
            "contacts drawn",
            f"""
            CREATE TEMP TABLE scale_contacted AS
                SELECT row_number() OVER (ORDER BY n) AS rn, s.case_id, s.accepted_at,
                       COALESCE(s.closed_at, {now_sql}) AS until, a.user_id AS author_id
                FROM scale_case s JOIN scale_animator a ON a.centre_id = s.centre_id AND a.k = s.animator_index
                WHERE s.accepted_at IS NOT NULL;
            CREATE UNIQUE INDEX ON scale_contacted (rn);
            ANALYZE scale_contacted;
            CREATE TEMP TABLE scale_contact AS
            SELECT c.case_id, c.author_id, {_pick("d.r_kind", CONTACT_KINDS)} AS kind, t.at,
                   5 + floor(d.r_kind * 55)::int AS duration_minutes, {_pick("d.r_result", CONTACT_RESULTS)} AS result
            FROM (SELECT random() AS r_kind, random() AS r_result, random() AS r_when,
                         1 + floor(random() * (SELECT count(*) FROM scale_contacted))::int AS rn
                  FROM generate_series(1, {contacts})) d
            JOIN scale_contacted c ON c.rn = d.rn
            CROSS JOIN LATERAL (SELECT c.accepted_at + (c.until - c.accepted_at) * d.r_when AS at) t;
            CREATE TEMP TABLE scale_contact_dates AS
                SELECT case_id, min(at) AS first_at, max(at) AS last_at FROM scale_contact GROUP BY case_id;
            CREATE UNIQUE INDEX ON scale_contact_dates (case_id);
            ANALYZE scale_contact_dates
            """,
            12,
        ),
        Step(
            "cases",
            f"""
            INSERT INTO outreach_case (id, reference, pupil_id, school_id, status, details, urgency, half_days_missed,
                last_seen_on, centre_id, outcome, outcome_note, flagged_by_id, flagged_at, status_changed_at,
                routed_at, accepted_at, first_contact_at, last_contact_at, family_informed_on, next_step_due_on,
                details_to_check_since, closed_at, updated_at, next_deadline_at)
            SELECT s.case_id,
                   'R-' || s.year || '-' || to_char(row_number() OVER (PARTITION BY s.year ORDER BY s.n), 'FM99900000'),
                   s.pupil_id, s.school_id, s.status, 'Absences répétées depuis la rentrée.', s.urgency,
                   s.half_days_missed, GREATEST(s.last_seen_on, DATE '2000-01-01'), s.centre_id, s.outcome,
                   CASE WHEN s.status = 'closed' THEN 'Situation suivie jusqu''au bout.' ELSE '' END,
                   st.user_id, s.flagged_at, {status_changed}, s.routed_at, s.accepted_at, d.first_at, d.last_at,
                   s.family_informed_on, s.next_step_due_on, s.details_to_check_since, s.closed_at, {status_changed},
                   {next_deadline}
            FROM scale_case s JOIN scale_staff st ON st.school_id = s.school_id AND st.k = s.staff_index
            LEFT JOIN scale_contact_dates d ON d.case_id = s.case_id
            """,
            14,
        ),
        Step(
            "references",
            """
            INSERT INTO outreach_referencecounter (year, last_number)
            SELECT year, count(*) FROM scale_case GROUP BY year
            ON CONFLICT (year) DO UPDATE
                SET last_number = outreach_referencecounter.last_number + EXCLUDED.last_number
            """,
            0.2,
        ),
        Step(
            "contacts",
            """
            INSERT INTO outreach_contact (case_id, author_id, kind, occurred_at, duration_minutes, result, notes,
                next_step, created_at, updated_at)
            SELECT case_id, author_id, kind, at, duration_minutes, result, 'Échange avec la famille.', '', at, at
            FROM scale_contact;
            ANALYZE outreach_case, outreach_contact
            """,
            18,
        ),
        Step(
            "reasons",
            f"""
            INSERT INTO outreach_casereason (case_id, reason)
            SELECT case_id, ({reasons})[1 + (n * 7 + k * 3) % 9] FROM scale_case, generate_series(0, reason_count - 1) k
            """,
            6,
        ),
        Step(
            "animators",
            """
            INSERT INTO outreach_case_animators (case_id, user_id)
            SELECT s.case_id, a.user_id FROM scale_case s
            JOIN scale_animator a ON a.centre_id = s.centre_id AND a.k = s.animator_index
            WHERE s.accepted_at IS NOT NULL
            """,
            3,
        ),
        Step(
            "tutoring",
            f"""
            INSERT INTO outreach_tutoringsession (case_id, author_id, "on", duration_minutes, subjects, attended,
                notes, created_at, presence)
            SELECT c.case_id, c.author_id, ((c.accepted_at + (c.until - c.accepted_at) * d.r_when) {local})::date,
                   30 + 15 * floor(d.r_kind * 7)::int, 'français, mathématiques', d.r_kind < 0.85, '',
                   c.accepted_at + (c.until - c.accepted_at) * d.r_when, ''
            FROM (SELECT random() AS r_kind, random() AS r_when,
                         1 + floor(random() * (SELECT count(*) FROM scale_contacted))::int AS rn
                  FROM generate_series(1, {cases})) d
            JOIN scale_contacted c ON c.rn = d.rn
            """,
            6,
        ),
        Step(
            "supports",
            f"""
            INSERT INTO outreach_support (case_id, kind, detail, provided_on, recorded_by_id, created_at)
            SELECT c.case_id, {_pick("d.r_kind", SUPPORT_KINDS)}, '',
                   ((c.accepted_at + (c.until - c.accepted_at) * d.r_when) {local})::date, c.author_id,
                   c.accepted_at + (c.until - c.accepted_at) * d.r_when
            FROM (SELECT random() AS r_kind, random() AS r_when,
                         1 + floor(random() * (SELECT count(*) FROM scale_contacted))::int AS rn
                  FROM generate_series(1, {cases // 4})) d
            JOIN scale_contacted c ON c.rn = d.rn
            """,
            2,
        ),
        Step(
            "notices and returns",
            f"""
            INSERT INTO outreach_familynotice (case_id, "on", channel, recorded_by_id, created_at)
            SELECT s.case_id, s.family_informed_on, (ARRAY['letter', 'phone', 'email', 'in_person', 'sms'])[1 + n % 5],
                   st.user_id, s.flagged_at
            FROM scale_case s JOIN scale_staff st ON st.school_id = s.school_id AND st.k = s.staff_index
            WHERE s.family_informed_on IS NOT NULL;
            INSERT INTO outreach_returnconfirmation (case_id, attendance, half_days_missed, "on", recorded_by_id,
                created_at)
            SELECT s.case_id, CASE s.outcome WHEN 'returned_to_school' THEN 'full' WHEN 'partial_return' THEN 'partial'
                                             ELSE 'none' END,
                   CASE s.outcome WHEN 'returned_to_school' THEN n % 4 WHEN 'partial_return' THEN 4 + n % 10
                                  ELSE 10 + n % 20 END,
                   ((s.closed_at + ({now_sql} - s.closed_at) * 0.3) {local})::date, st.user_id,
                   s.closed_at + ({now_sql} - s.closed_at) * 0.3
            FROM scale_case s JOIN scale_staff st ON st.school_id = s.school_id AND st.k = s.staff_index
            WHERE s.status = 'closed' AND s.outcome NOT IN ('moved_away', 'resolved_by_school') AND n % 5 <> 0
            """,
            5,
        ),
        Step(
            "events",
            f"""
            INSERT INTO outreach_caseevent (case_id, actor_id, at, kind, from_status, to_status, note)
            SELECT s.case_id, st.user_id, s.flagged_at, 'flagged', '', 'flagged', ''
            FROM scale_case s JOIN scale_staff st ON st.school_id = s.school_id AND st.k = s.staff_index
            UNION ALL
            SELECT case_id, {coordinator}, routed_at, 'routed', 'flagged', 'routed', ''
            FROM scale_case WHERE routed_at IS NOT NULL
            UNION ALL
            SELECT s.case_id, a.user_id, s.accepted_at, 'accepted', 'routed', 'in_progress', ''
            FROM scale_case s JOIN scale_animator a ON a.centre_id = s.centre_id AND a.k = 0
            WHERE s.accepted_at IS NOT NULL
            UNION ALL
            SELECT s.case_id, a.user_id, s.closed_at, 'closed', 'in_progress', 'closed', ''
            FROM scale_case s JOIN scale_animator a ON a.centre_id = s.centre_id AND a.k = s.animator_index
            WHERE s.closed_at IS NOT NULL
            UNION ALL
            SELECT case_id, author_id, at, 'contact_logged', '', '', '' FROM scale_contact;
            ANALYZE outreach_caseevent
            """,
            22,
        ),
        Step(
            "access log",
            f"""
            INSERT INTO outreach_accesslog (at, user_id, action, case_id, pupil_id, what, detail)
            SELECT e.at, e.actor_id, 'write', e.case_id, s.pupil_id, 'case', e.kind
            FROM outreach_caseevent e JOIN scale_case s ON s.case_id = e.case_id
            WHERE e.kind <> 'contact_logged'
            UNION ALL
            SELECT s.flagged_at + ({now_sql} - s.flagged_at) * 0.5, a.user_id, 'read_case', s.case_id, s.pupil_id,
                   'case', ''
            FROM scale_case s JOIN scale_animator a ON a.centre_id = s.centre_id AND a.k = s.animator_index
            """,
            12,
        ),
    ]


def seed_scale(
    *, cases: int, contacts: int, progress: Callable[[float, str], None], now: datetime | None = None
) -> None:
    """Writes the data set; calls `progress(share done, step label)` as it goes. PostgreSQL only."""
    now = now or timezone.now()
    year_start = timezone.localdate(now).replace(month=9, day=1)
    if timezone.localdate(now).month < 9:
        year_start = year_start.replace(year=year_start.year - 1)
    since = timezone.make_aware(datetime.combine(year_start.replace(year=year_start.year - 1), datetime.min.time()))
    progress(0.0, "reference data")
    with transaction.atomic():
        reference = _reference_data()
        steps = _steps(cases=cases, contacts=contacts, now=now, since=since, reference=reference)
        total, done = sum(step.weight for step in steps) + 8, 3.0  # 3 for the reference data, 5 for ANALYZE
        with connection.cursor() as cursor:
            _staff_tables(cursor, reference)
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                # Every foreign key below is right by construction (drawn from the staging table): checking
                # millions of them one row at a time at COMMIT doubles the run. CHECK constraints still apply.
                cursor.execute("SET LOCAL session_replication_role = replica")
            else:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for step in steps:
                progress(done / total, step.label)
                cursor.execute(step.sql)
                done += step.weight
            cursor.execute(
                "DROP TABLE scale_case, scale_contacted, scale_contact, scale_contact_dates, scale_staff, "
                "scale_animator"
            )
    progress(done / total, "statistics")
    with connection.cursor() as cursor:
        # Statistics for the tables written and not analysed on the way (cases, contacts and events were).
        cursor.execute(
            "ANALYZE schools_pupil, schools_guardian, outreach_casereason, outreach_case_animators, "
            "outreach_tutoringsession, outreach_support, outreach_familynotice, outreach_returnconfirmation, "
            "outreach_accesslog"
        )
    progress(1.0, "done")
