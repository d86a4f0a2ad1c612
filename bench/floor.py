"""The floor: the same work as Radar's doors, by hand, with psycopg and orjson and nothing else.

Each function does what the Radar call it is measured against does: the caller's token and grants (one query), the
same visibility rule (own schools, own centres, or everything for a coordinator), the same fields, redaction of the
pupil's identity, and the access-log row of a detail read. No ORM, no serializer, no template: the cost of the data
itself, which Radar is compared to.
"""

import base64
import csv
import hashlib
import hmac
import io
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import orjson
import psycopg


def floor_connection() -> psycopg.Connection:
    """Autocommit, as Radar runs: each read stands alone, each write is its own transaction."""
    conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    conn.execute("SET TIME ZONE 'Europe/Paris'")
    return conn


GRANTS = """
WITH me AS (
    SELECT u.id FROM knox_authtoken t JOIN auth_user u ON u.id = t.user_id
    WHERE t.token_key = %(key)s AND (t.expiry IS NULL OR t.expiry > now()) AND u.is_active
), held AS (
    SELECT 'school' AS kind, g.content_object_id AS org, p.codename FROM schools_schooluserobjectpermission g
    JOIN auth_permission p ON p.id = g.permission_id WHERE g.user_id = (SELECT id FROM me)
    UNION ALL
    SELECT 'centre', g.content_object_id, p.codename FROM outreach_centreuserobjectpermission g
    JOIN auth_permission p ON p.id = g.permission_id WHERE g.user_id = (SELECT id FROM me)
    UNION ALL
    SELECT 'global', 0, p.codename FROM auth_user_user_permissions g
    JOIN auth_permission p ON p.id = g.permission_id WHERE g.user_id = (SELECT id FROM me)
)
SELECT (SELECT id FROM me), kind, org, array_agg(codename) FROM held GROUP BY kind, org
"""


@dataclass
class Grants:
    user_id: int
    everything: bool  # a coordinator: every case
    schools: list[int]
    centres: list[int]
    perms: dict[tuple[str, int], set[str]]

    def holds(self, codename: str, school_id: int, centre_id: int | None) -> bool:
        return (
            codename in self.perms.get(("global", 0), ())
            or codename in self.perms.get(("school", school_id), ())
            or (centre_id is not None and codename in self.perms.get(("centre", centre_id), ()))
        )

    def where(self, alias: str = "c") -> tuple[str, dict]:
        if self.everything:
            return "TRUE", {}
        return (
            f"({alias}.school_id = ANY(%(schools)s) OR {alias}.centre_id = ANY(%(centres)s))",
            {"schools": self.schools, "centres": self.centres},
        )


def grants(conn: psycopg.Connection, token: str) -> Grants:
    rows = conn.execute(GRANTS, {"key": token[:15]}).fetchall()
    perms = {(kind, org): set(codenames) for _user, kind, org, codenames in rows}
    user_id = rows[0][0] if rows else 0
    summary = "view_case_summary"
    return Grants(
        user_id=user_id,
        everything=summary in perms.get(("global", 0), ()),
        schools=[org for (kind, org), held in perms.items() if kind == "school" and summary in held],
        centres=[org for (kind, org), held in perms.items() if kind == "centre" and summary in held],
        perms=perms,
    )


CASE_ROWS = """
SELECT c.id, c.reference, c.status, c.urgency, c.details, c.half_days_missed, c.last_seen_on, c.outcome,
       c.outcome_note, c.flagged_at, c.routed_at, c.accepted_at, c.first_contact_at, c.last_contact_at,
       c.family_informed_on, c.closed_at, c.updated_at, c.status_changed_at, c.details_to_check_since,
       c.school_id, s.uai, s.name, s.city, c.centre_id, ce.name,
       p.id, p.external_ref, p.first_name, p.last_name, p.birth_date, p.sex, p.level, p.class_name, p.address,
       p.postcode, p.city, p.neighbourhood,
       (SELECT array_agg(r.reason ORDER BY r.reason) FROM outreach_casereason r WHERE r.case_id = c.id),
       (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', trim(u.first_name || ' ' || u.last_name))),
                        '[]')::text
        FROM outreach_case_animators a JOIN auth_user u ON u.id = a.user_id WHERE a.case_id = c.id),
       (SELECT coalesce(json_agg(json_build_object('name', g.name, 'relationship', g.relationship, 'phone', g.phone,
                                                   'email', g.email, 'language', g.language,
                                                   'interpreter_needed', g.interpreter_needed) ORDER BY g.id),
                        '[]')::text
        FROM schools_guardian g WHERE g.pupil_id = p.id),
       (SELECT count(*) FROM outreach_contact x WHERE x.case_id = c.id),
       (SELECT count(*) FROM outreach_tutoringsession x WHERE x.case_id = c.id),
       (SELECT count(*) FROM outreach_support x WHERE x.case_id = c.id),
       (SELECT json_build_object('attendance', rc.attendance, 'half_days_missed', rc.half_days_missed,
                                 'on', rc.on)::text
        FROM outreach_returnconfirmation rc WHERE rc.case_id = c.id ORDER BY rc.on DESC, rc.created_at DESC LIMIT 1)
FROM outreach_case c JOIN schools_school s ON s.id = c.school_id JOIN schools_pupil p ON p.id = c.pupil_id
LEFT JOIN outreach_centre ce ON ce.id = c.centre_id
"""

DEADLINE_DAYS = {"triage": 2, "acceptance": 2, "first_contact": 7, "no_contact": 14, "family_notice": 30}


def _overdue(row, now: datetime) -> list[str]:
    status, flagged_at, accepted_at, first_contact_at, last_contact_at = row[2], row[9], row[11], row[12], row[13]
    family_informed_on, status_changed_at = row[14], row[17]
    days = {name: timedelta(days=count) for name, count in DEADLINE_DAYS.items()}
    due = {}
    if status == "flagged":
        due["triage"] = status_changed_at + days["triage"]
    elif status == "routed":
        due["acceptance"] = status_changed_at + days["acceptance"]
    elif status == "in_progress":
        if first_contact_at is None and accepted_at is not None:
            due["first_contact"] = accepted_at + days["first_contact"]
        if last_contact_at is not None:
            due["no_contact"] = last_contact_at + days["no_contact"]
    if status != "closed" and family_informed_on is None:
        due["family_notice"] = flagged_at + days["family_notice"]
    return [name for name, at in due.items() if at <= now]


def _pseudonym(secret: bytes, pupil_id: int) -> str:
    return "P-" + hmac.new(secret, f"pupil:{pupil_id}".encode(), hashlib.sha256).hexdigest()[:10].upper()


def _case_dict(row, who: Grants, secret: bytes, now: datetime) -> dict:
    school_id, centre_id = row[19], row[23]
    identity = who.holds("view_pupil_identity", school_id, centre_id)
    notes = who.holds("view_case_notes", school_id, centre_id)
    overdue = _overdue(row, now)
    latest_return = row[43]
    case = {
        "id": row[0],
        "reference": row[1],
        "status": row[2],
        "urgency": row[3],
        "reasons": row[37] or [],
        "half_days_missed": row[5],
        "last_seen_on": row[6],
        "school": {"id": school_id, "uai": row[20], "name": row[21], "city": row[22]},
        "centre": {"id": centre_id, "name": row[24]} if centre_id else None,
        "animators": orjson.Fragment(row[38]),
        "outcome": row[7],
        "flagged_at": row[9],
        "routed_at": row[10],
        "accepted_at": row[11],
        "first_contact_at": row[12],
        "last_contact_at": row[13],
        "family_informed_on": row[14],
        "closed_at": row[15],
        "updated_at": row[16],
        "overdue": bool(overdue),
        "overdue_reasons": overdue,
        "counts": {"contacts": row[40], "tutoring_sessions": row[41], "supports": row[42]},
        "latest_return": orjson.Fragment(latest_return) if latest_return else None,
        "identity_visible": identity,
        "details_to_check": row[18] is not None,
        "return_to_confirm": row[2] == "closed" and latest_return is None,
    }
    if identity:
        case["details"] = row[4]
        case["pupil"] = {
            "id": row[25],
            "external_ref": row[26],
            "first_name": row[27],
            "last_name": row[28],
            "birth_date": row[29],
            "sex": row[30],
            "level": row[31],
            "class_name": row[32],
            "address": row[33],
            "postcode": row[34],
            "city": row[35],
            "neighbourhood": row[36],
            "guardians": orjson.Fragment(row[39]),
        }
    else:
        case["pupil"] = {
            "key": _pseudonym(secret, row[25]),
            "initials": f"{row[27][:1]}.{row[28][:1]}.".upper(),
            "birth_year": row[29].year if row[29] else None,
            "level": row[31],
            "school": row[20],
            "neighbourhood": row[36],
        }
    if notes:
        case["outcome_note"] = row[8]
    return case


def case_list(conn: psycopg.Connection, token: str, *, page_size: int, secret: bytes) -> bytes:
    """GET /api/v1/cases/?page_size=N: the newest flags first, a cursor to the next page."""
    who = grants(conn, token)
    where, params = who.where()
    rows = conn.execute(
        f"{CASE_ROWS} WHERE {where} ORDER BY c.flagged_at DESC LIMIT %(limit)s",
        params | {"limit": page_size + 1},
    ).fetchall()
    now = datetime.now().astimezone()
    more, rows = len(rows) > page_size, rows[:page_size]
    cursor = base64.urlsafe_b64encode(f"p={rows[-1][9].isoformat()}".encode()).decode() if more else None
    return orjson.dumps(
        {
            "next": f"/api/v1/cases/?cursor={cursor}&page_size={page_size}" if cursor else None,
            "previous": None,
            "results": [_case_dict(row, who, secret, now) for row in rows],
        }
    )


def case_detail(conn: psycopg.Connection, token: str, case_id, *, secret: bytes) -> bytes:
    """GET /api/v1/cases/{id}/: the case if visible, and its access-log row."""
    who = grants(conn, token)
    where, params = who.where()
    row = conn.execute(
        f"{CASE_ROWS} WHERE c.id = %(id)s AND {where}",
        params | {"id": case_id},
    ).fetchone()
    if row is None:
        return b'{"code": "not_found"}'
    conn.execute(
        "INSERT INTO outreach_accesslog (at, user_id, action, case_id, pupil_id, what, detail) "
        "VALUES (now(), %s, 'read_case', %s, %s, 'case', '')",
        (who.user_id, row[0], row[25]),
    )
    return orjson.dumps(_case_dict(row, who, secret, datetime.now().astimezone()))


# Flagging ----------------------------------------------------------------------------------------------------------


def flag(conn: psycopg.Connection, token: str, items: list[dict], *, school_id: int) -> bytes:
    """POST /api/v1/cases/ or /bulk/: pupils upserted, guardians replaced, references allocated in one statement,
    cases, reasons, events and access-log rows inserted set-based, in one transaction."""
    who = grants(conn, token)
    if not who.holds("flag_pupil", school_id, None):
        return b'{"code": "forbidden"}'
    now = datetime.now().astimezone()
    year = now.year
    with conn.transaction(), conn.cursor() as cursor:
        pupil_ids = [
            row[0]
            for row in cursor.execute(
                "INSERT INTO schools_pupil (school_id, external_ref, first_name, last_name, birth_date, sex, level, "
                "class_name, address, postcode, city, neighbourhood, created_at, updated_at) "
                "SELECT %(school)s, * , %(now)s, %(now)s FROM unnest(%(refs)s::text[], %(first)s::text[], "
                "%(last)s::text[], %(birth)s::date[], %(sex)s::text[], %(level)s::text[], %(class)s::text[], "
                "%(address)s::text[], %(postcode)s::text[], %(city)s::text[], %(nb)s::text[]) "
                "ON CONFLICT (school_id, external_ref) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id",
                {
                    "school": school_id,
                    "now": now,
                    **{
                        key: [item["pupil"].get(field) or ("" if field != "birth_date" else None) for item in items]
                        for key, field in (
                            ("refs", "external_ref"),
                            ("first", "first_name"),
                            ("last", "last_name"),
                            ("birth", "birth_date"),
                            ("sex", "sex"),
                            ("level", "level"),
                            ("class", "class_name"),
                            ("address", "address"),
                            ("postcode", "postcode"),
                            ("city", "city"),
                            ("nb", "neighbourhood"),
                        )
                    },
                },
            ).fetchall()
        ]
        cursor.execute("DELETE FROM schools_guardian WHERE pupil_id = ANY(%s)", (pupil_ids,))
        guardians = [
            (pupil_id, g["name"], g.get("relationship", ""), g.get("phone", ""))
            for pupil_id, item in zip(pupil_ids, items, strict=True)
            for g in item["pupil"].get("guardians", [])
        ]
        cursor.execute(
            "INSERT INTO schools_guardian (pupil_id, name, relationship, phone, email, language, interpreter_needed) "
            "SELECT *, '', '', false FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[])",
            [list(column) for column in zip(*guardians, strict=True)] if guardians else [[], [], [], []],
        )
        (last,) = cursor.execute(
            "INSERT INTO outreach_referencecounter (year, last_number) VALUES (%s, %s) ON CONFLICT (year) "
            "DO UPDATE SET last_number = outreach_referencecounter.last_number + EXCLUDED.last_number "
            "RETURNING last_number",
            (year, len(items)),
        ).fetchone()
        references = [f"R-{year}-{number:05d}" for number in range(last - len(items) + 1, last + 1)]
        deadline = now + timedelta(days=2)
        case_ids = [
            row[0]
            for row in cursor.execute(
                "INSERT INTO outreach_case (id, reference, pupil_id, school_id, status, details, urgency, "
                "half_days_missed, last_seen_on, outcome, outcome_note, flagged_by_id, flagged_at, status_changed_at, "
                "updated_at, next_deadline_at) "
                "SELECT gen_random_uuid(), ref, pupil, %(school)s, 'flagged', '', 'normal', 0, NULL, '', '', "
                "%(user)s, %(now)s, %(now)s, %(now)s, %(deadline)s FROM unnest(%(refs)s::text[], %(pupils)s::int[]) "
                "AS t(ref, pupil) RETURNING id",
                {
                    "school": school_id,
                    "user": who.user_id,
                    "now": now,
                    "deadline": deadline,
                    "refs": references,
                    "pupils": pupil_ids,
                },
            ).fetchall()
        ]
        reasons = [
            (case_id, reason) for case_id, item in zip(case_ids, items, strict=True) for reason in item["reasons"]
        ]
        cursor.execute(
            "INSERT INTO outreach_casereason (case_id, reason) SELECT * FROM unnest(%s::uuid[], %s::text[])",
            [list(column) for column in zip(*reasons, strict=True)],
        )
        cursor.execute(
            "INSERT INTO outreach_caseevent (case_id, actor_id, at, kind, from_status, to_status, note) "
            "SELECT id, %s, %s, 'flagged', '', 'flagged', '' FROM unnest(%s::uuid[]) AS id",
            (who.user_id, now, case_ids),
        )
        cursor.execute(
            "INSERT INTO outreach_accesslog (at, user_id, action, case_id, pupil_id, what, detail) "
            "SELECT %s, %s, 'write', id, pupil, 'case', 'flagged' FROM unnest(%s::uuid[], %s::int[]) AS t(id, pupil)",
            (now, who.user_id, case_ids, pupil_ids),
        )
    return orjson.dumps([{"index": i, "result": "created", "id": case_id} for i, case_id in enumerate(case_ids)])


def csv_items(text: str) -> list[dict]:
    """The CSV file's rows as flag items (the columns of outreach/csv_import.py)."""
    items = []
    for row in csv.DictReader(io.StringIO(text)):
        items.append(
            {
                "pupil": {
                    key: row.get(key, "")
                    for key in ("external_ref", "first_name", "last_name", "sex", "level", "class_name", "address")
                }
                | {
                    "postcode": row.get("postcode", ""),
                    "city": row.get("city", ""),
                    "neighbourhood": row.get("neighbourhood", ""),
                    "birth_date": date.fromisoformat(row["birth_date"]) if row.get("birth_date") else None,
                    "guardians": [{"name": row["guardian_name"], "phone": row.get("guardian_phone", "")}]
                    if row.get("guardian_name")
                    else [],
                },
                "reasons": [reason for reason in row["reasons"].split("|") if reason],
            }
        )
    return items


# Reports -----------------------------------------------------------------------------------------------------------

OUTCOME_GROUPS = {
    "centre": ("c.centre_id::text", "coalesce(ce.name, '')", "LEFT JOIN outreach_centre ce ON ce.id = c.centre_id"),
    "school": ("s.uai", "s.name", "JOIN schools_school s ON s.id = c.school_id"),
    "month": (
        "to_char(date_trunc('month', c.closed_at AT TIME ZONE 'Europe/Paris'), 'YYYY-MM')",
        "to_char(date_trunc('month', c.closed_at AT TIME ZONE 'Europe/Paris'), 'YYYY-MM')",
        "",
    ),
    "neighbourhood": ("p.neighbourhood", "p.neighbourhood", "JOIN schools_pupil p ON p.id = c.pupil_id"),
    "reason": ("r.reason", "r.reason", "JOIN outreach_casereason r ON r.case_id = c.id"),
}
OUTCOMES = (
    "returned_to_school",
    "partial_return",
    "referred",
    "moved_away",
    "family_declined",
    "unreachable",
    "resolved_by_school",
)


def outcome_report(conn: psycopg.Connection, token: str, *, group_by: str) -> bytes:
    """GET /api/v1/reports/outcomes/?group_by=…: closed cases per group and outcome."""
    who = grants(conn, token)
    where, params = who.where()
    key, label, join = OUTCOME_GROUPS[group_by]
    counts = ", ".join(f"count(*) FILTER (WHERE c.outcome = '{outcome}')" for outcome in OUTCOMES)
    rows = conn.execute(
        f"SELECT {key}, {label}, count(*), {counts} FROM outreach_case c {join} "
        f"WHERE c.closed_at IS NOT NULL AND {where} GROUP BY 1, 2 ORDER BY 2, 1",
        params,
    ).fetchall()
    return orjson.dumps(
        {
            "group_by": group_by,
            "rows": [
                {"key": row[0], "label": row[1], "total": row[2]} | dict(zip(OUTCOMES, row[3:], strict=True))
                for row in rows
            ],
        }
    )


def funders_report(conn: psycopg.Connection, token: str, *, year: int) -> bytes:
    """GET /api/v1/reports/funders/?year=…: the same figures, one query per group as an expert would write them."""
    who = grants(conn, token)
    if who.everything:
        where, params = "TRUE", {}
    else:
        where, params = "c.centre_id = ANY(%(centres)s)", {"centres": who.centres}
    start = datetime(year, 1, 1).astimezone()
    end = datetime(year + 1, 1, 1).astimezone()
    params |= {"start": start, "end": end, "first": date(year, 1, 1), "last": date(year, 12, 31)}
    active = (
        f"SELECT c.id, c.pupil_id FROM outreach_case c WHERE {where} AND c.flagged_at < %(end)s "
        "AND (c.closed_at IS NULL OR c.closed_at >= %(start)s)"
    )
    bands = {
        "11_and_under": f"p.birth_date >= '{year - 11}-01-01'",
        "12_13": f"p.birth_date >= '{year - 13}-01-01' AND p.birth_date < '{year - 11}-01-01'",
        "14_15": f"p.birth_date >= '{year - 15}-01-01' AND p.birth_date < '{year - 13}-01-01'",
        "16_and_over": f"p.birth_date < '{year - 15}-01-01'",
        "unknown": "p.birth_date IS NULL",
    }
    levels, sexes = ("6e", "5e", "4e", "3e", "ULIS", "SEGPA"), ("F", "M")
    pupils = conn.execute(
        "SELECT count(*), count(*) FILTER (WHERE upper(p.neighbourhood) IN "
        "(SELECT upper(name) FROM outreach_neighbourhood WHERE is_qpv)), "
        + ", ".join(f"count(*) FILTER (WHERE p.level = '{level}')" for level in levels)
        + ", "
        + ", ".join(f"count(*) FILTER (WHERE p.sex = '{sex}')" for sex in (*sexes, ""))
        + ", "
        + ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in bands.values())
        + f" FROM schools_pupil p WHERE p.id IN (SELECT pupil_id FROM ({active}) a)",
        params,
    ).fetchone()
    tutoring = conn.execute(
        f"SELECT count(*), count(*) FILTER (WHERE t.attended), coalesce(sum(t.duration_minutes) FILTER "
        f"(WHERE t.attended), 0), count(DISTINCT a.pupil_id) FROM outreach_tutoringsession t "
        f"JOIN ({active}) a ON a.id = t.case_id WHERE t.on BETWEEN %(first)s AND %(last)s",
        params,
    ).fetchone()
    supports = dict(
        conn.execute(
            f"SELECT x.kind, count(*) FROM outreach_support x JOIN ({active}) a ON a.id = x.case_id "
            f"WHERE x.provided_on BETWEEN %(first)s AND %(last)s GROUP BY 1",
            params,
        ).fetchall()
    )
    families = conn.execute(
        f"SELECT count(DISTINCT a.pupil_id), count(DISTINCT a.pupil_id) FILTER (WHERE x.kind IN "
        f"('home_visit', 'meeting_at_centre', 'meeting_at_school', 'video_call')), "
        f"count(*) FILTER (WHERE x.kind = 'home_visit') FROM outreach_contact x JOIN ({active}) a ON a.id = x.case_id "
        f"WHERE x.occurred_at >= %(start)s AND x.occurred_at < %(end)s "
        f"AND x.result IN ('reached_family', 'reached_pupil', 'appointment_made')",
        params,
    ).fetchone()
    outcomes = dict(
        conn.execute(
            f"SELECT c.outcome, count(*) FROM outreach_case c WHERE {where} AND c.flagged_at < %(end)s "
            f"AND c.closed_at >= %(start)s AND c.closed_at < %(end)s GROUP BY 1",
            params,
        ).fetchall()
    )
    total, qpv = pupils[0], pupils[1]
    return orjson.dumps(
        {
            "year": year,
            "pupils": {
                "total": total,
                "by_level": dict(zip(levels, pupils[2:8], strict=True)),
                "by_sex": dict(zip(("F", "M", "unknown"), pupils[8:11], strict=True)),
                "by_age_band": dict(zip(bands, pupils[11:16], strict=True)),
                "by_qpv": {"qpv": qpv, "not_qpv": total - qpv},
            },
            "tutoring": {
                "sessions": tutoring[0],
                "sessions_attended": tutoring[1],
                "hours_attended": round(tutoring[2] / 60, 1),
                "attendance_rate": round(tutoring[1] / tutoring[0], 3) if tutoring[0] else None,
                "pupils": tutoring[3],
            },
            "supports": supports,
            "families": {"families_reached": families[0], "families_met": families[1], "home_visits": families[2]},
            "outcomes": outcomes,
        }
    )


def dashboard(conn: psycopg.Connection, token: str, *, now: datetime, months: list[date]) -> bytes:
    """The dashboard's figures (key figures, flags per month, delays to first contact with medians, overdue per
    deadline, attendance before and after, outcomes by centre and by school), as JSON instead of HTML."""
    who = grants(conn, token)
    where, params = who.where()
    since = datetime.combine(months[0], datetime.min.time()).astimezone()
    year_start = date(now.year if now.month >= 9 else now.year - 1, 9, 1)
    params |= {"now": now, "since": since, "year_start": datetime.combine(year_start, datetime.min.time()).astimezone()}
    params |= {f"d_{name}": timedelta(days=days) for name, days in DEADLINE_DAYS.items()}
    overdue = {
        "triage": "c.status = 'flagged' AND c.status_changed_at + %(d_triage)s <= %(now)s",
        "acceptance": "c.status = 'routed' AND c.status_changed_at + %(d_acceptance)s <= %(now)s",
        "first_contact": "c.status = 'in_progress' AND c.first_contact_at IS NULL AND c.accepted_at IS NOT NULL "
        "AND c.accepted_at + %(d_first_contact)s <= %(now)s",
        "no_contact": "c.status = 'in_progress' AND c.last_contact_at + %(d_no_contact)s <= %(now)s",
        "family_notice": "c.status <> 'closed' AND c.family_informed_on IS NULL "
        "AND c.flagged_at + %(d_family_notice)s <= %(now)s",
    }
    month = "date_trunc('month', c.flagged_at AT TIME ZONE 'Europe/Paris')"
    figures = conn.execute(
        "SELECT count(*) FILTER (WHERE c.status <> 'closed'), count(*) FILTER (WHERE c.next_deadline_at <= %(now)s), "
        "count(*) FILTER (WHERE c.status = 'flagged'), "
        "count(*) FILTER (WHERE c.status = 'closed' AND c.closed_at >= %(year_start)s), "
        + ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in overdue.values())
        + f" FROM outreach_case c WHERE {where}",
        params,
    ).fetchone()
    flags = conn.execute(
        f"SELECT {month}, count(*) FROM outreach_case c WHERE {where} AND c.flagged_at >= %(since)s GROUP BY 1",
        params,
    ).fetchall()
    delays = conn.execute(
        f"SELECT {month}, count(*), avg(c.first_contact_at - c.flagged_at), "
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY c.first_contact_at - c.flagged_at) "
        f"FROM outreach_case c WHERE {where} AND c.flagged_at >= %(since)s AND c.first_contact_at IS NOT NULL "
        f"GROUP BY 1",
        params,
    ).fetchall()
    attendance = conn.execute(
        f"SELECT s.name, count(*), avg(c.half_days_missed), avg(l.half_days_missed) FROM outreach_case c "
        f"JOIN schools_school s ON s.id = c.school_id JOIN LATERAL (SELECT rc.half_days_missed FROM "
        f"outreach_returnconfirmation rc WHERE rc.case_id = c.id ORDER BY rc.on DESC, rc.created_at DESC, rc.id DESC "
        f"LIMIT 1) l ON TRUE WHERE {where} GROUP BY s.id, s.name ORDER BY s.name",
        params,
    ).fetchall()
    by_group = {}
    for group, (key, label, join) in (("centre", OUTCOME_GROUPS["centre"]), ("school", OUTCOME_GROUPS["school"])):
        by_group[group] = conn.execute(
            f"SELECT {key}, {label}, c.outcome, count(*) FROM outreach_case c {join} "
            f"WHERE c.closed_at >= %(since)s AND {where} GROUP BY 1, 2, 3",
            params,
        ).fetchall()
    return orjson.dumps(
        {
            "figures": list(figures),
            "flags": [[str(m), n] for m, n in flags],
            "delays": [[str(m), n, str(a), str(p)] for m, n, a, p in delays],
            "attendance": [[name, n, float(b), float(a)] for name, n, b, a in attendance],
            "outcomes": {group: [list(row) for row in rows] for group, rows in by_group.items()},
        },
        default=str,
    )
