"""The centres' own programmes in the demo: three tutoring groups across two centres with a term of sessions and
their registers, and about twenty Emmaüs Connect devices with loans out, overdue and returned.

Told after the case stories, through the services. Everything is recorded at the end of the story (`latest`), as a
centre entering its term afterwards would: the days of the sessions, joins and loans are the past ones, so each
case's timeline stays in time order.
"""

from datetime import date, time, timedelta

from outreach import devices, programmes
from outreach.access import access_scope
from outreach.demo.data import CENTRE_ANIMATORS, CENTRE_MANAGERS
from outreach.demo.story import is_school_day
from outreach.models import Case, DeviceKind, GroupMode, LoanEnd, Presence, Status

TERM_WEEKS = 10

# centre, name, mode, weekday (0 is Monday), start, minutes
GROUPS = [
    ("Lazare Garreau", "CLAS 5e-4e mardi", GroupMode.AT_CENTRE, 1, time(17, 0), 90),
    ("Lazare Garreau", "Mon centre social à la maison - maths", GroupMode.REMOTE, 2, time(14, 0), 60),
    ("L'Arbrisseau", "CLAS 6e jeudi", GroupMode.AT_CENTRE, 3, time(16, 45), 90),
]
MEMBERS_PER_GROUP = 7
SUBJECTS = ["mathématiques", "français", "méthodologie", "anglais", "histoire-géographie"]
EXCUSED_NOTES = ["Rendez-vous médical", "Famille prévenue", "Sortie scolaire", ""]
PRESENT_NOTES = ["", "", "", "Très concentré", "Devoirs faits", "Arrivé en retard"]

# centre: [(kind, how many)], all from Emmaüs Connect.
DEVICES = {
    "Lazare Garreau": [(DeviceKind.TABLET, 5), (DeviceKind.COMPUTER, 3), (DeviceKind.MOBILE_INTERNET, 3)],
    "L'Arbrisseau": [
        (DeviceKind.TABLET, 4),
        (DeviceKind.COMPUTER, 2),
        (DeviceKind.SMARTPHONE, 1),
        (DeviceKind.MOBILE_INTERNET, 2),
    ],
}
KIND_CODES = {
    DeviceKind.TABLET: "TAB",
    DeviceKind.COMPUTER: "PC",
    DeviceKind.SMARTPHONE: "TEL",
    DeviceKind.MOBILE_INTERNET: "4G",
}
# What becomes of each centre's first devices: (lent days ago, weeks lent for, ended days ago or None, how)
LOANS = [
    (60, 12, None, None),  # out, due in a few weeks
    (45, 12, None, None),
    (20, 8, None, None),
    (100, 10, None, None),  # overdue
    (80, 8, None, None),  # overdue
    (90, 8, 30, LoanEnd.RETURNED),
    (70, 6, 25, LoanEnd.RETURNED),
    (120, 12, 40, LoanEnd.GIVEN),
]


def seed_programmes(seeder) -> dict:
    """Groups, sessions, registers, devices and loans; returns how many of each were written."""
    rng, latest, today = seeder.rng, seeder.latest, seeder.today
    figures = {"groups": 0, "sessions": 0, "register_lines": 0, "devices": 0, "loans": 0}
    term_start = today - timedelta(weeks=TERM_WEEKS)
    cases_of = {
        name: list(Case.objects.filter(centre=centre, status=Status.IN_PROGRESS).order_by("accepted_at", "reference"))
        for name, centre in seeder.centres.items()
    }
    for centre_name, name, mode, weekday, starts_at, minutes in GROUPS:
        manager = seeder.users[CENTRE_MANAGERS[centre_name]]
        animator = seeder.users[CENTRE_ANIMATORS[centre_name]]
        scope = access_scope(manager)
        group = programmes.group_create(
            actor=manager,
            scope=scope,
            centre=seeder.centres[centre_name],
            name=name,
            mode=mode,
            weekday=weekday,
            starts_at=starts_at,
            duration_minutes=minutes,
            animator_ids=[animator.pk],
            now=seeder.moment(term_start, 9),
        )
        figures["groups"] += 1
        pool = cases_of[centre_name]
        members = rng.sample(pool, min(MEMBERS_PER_GROUP, len(pool)))
        engagement = {}
        for case in members:
            accepted = case.accepted_at.date() if case.accepted_at else term_start
            joined = max(term_start, accepted)
            programmes.group_join(actor=animator, scope=scope, group=group, case=case, joined_on=joined, now=latest)
            engagement[case.pk] = rng.uniform(0.55, 0.95)
        sessions = programmes.sessions_plan(
            actor=manager,
            scope=scope,
            group=group,
            since=term_start,
            until=today + timedelta(weeks=3),
            now=latest,
        )
        figures["sessions"] += len(sessions)
        animator_scope = access_scope(animator)
        for session in sessions:
            if session.on >= today or not is_school_day(session.on):
                continue  # to come, or in the holidays: no register
            session.subjects = rng.choice(SUBJECTS)
            session.save(update_fields=["subjects"])
            marks = {}
            for membership in programmes.register_members(session):
                roll = rng.random()
                if roll < engagement[membership.case_id]:
                    marks[str(membership.case_id)] = programmes.Mark(Presence.PRESENT, rng.choice(PRESENT_NOTES))
                elif rng.random() < 0.35:
                    marks[str(membership.case_id)] = programmes.Mark(Presence.EXCUSED, rng.choice(EXCUSED_NOTES))
                else:
                    marks[str(membership.case_id)] = programmes.Mark(Presence.ABSENT)
            lines = programmes.register_take(
                actor=animator, scope=animator_scope, session=session, marks=marks, now=latest
            )
            figures["register_lines"] += len(lines)
    for centre_name, kinds in DEVICES.items():
        manager = seeder.users[CENTRE_MANAGERS[centre_name]]
        scope = access_scope(manager)
        inventory = []
        for kind, count in kinds:
            for number in range(1, count + 1):
                inventory.append(
                    devices.device_add(
                        actor=manager,
                        scope=scope,
                        centre=seeder.centres[centre_name],
                        kind=kind,
                        reference=f"EC-{KIND_CODES[kind]}-{seeder.centres[centre_name].pk:02d}{number:02d}",
                        partner="Emmaüs Connect",
                        now=latest,
                    )
                )
                figures["devices"] += 1
        rng.shuffle(inventory)
        # A centre has fewer cases in progress than loans: a family may borrow a second device after a first.
        borrowers = cases_of[centre_name]
        for index, (device, (lent_ago, weeks, ended_ago, end)) in enumerate(zip(inventory, LOANS, strict=False)):
            case = borrowers[index % len(borrowers)]
            lent_on = _past_day(today, lent_ago)
            loan = devices.device_lend(
                actor=manager,
                scope=scope,
                device=device,
                case=case,
                lent_on=lent_on,
                due_on=lent_on + timedelta(weeks=weeks),
                condition_out=rng.choice(["Neuf, chargeur et housse", "Bon état, chargeur fourni", "Rayure au dos"]),
                now=latest,
            )
            figures["loans"] += 1
            if end is not None:
                devices.loan_end(
                    actor=manager,
                    scope=scope,
                    loan=loan,
                    end=end,
                    ended_on=_past_day(today, ended_ago),
                    condition_back="Bon état" if end == LoanEnd.RETURNED else "",
                    now=latest,
                )
    return figures


def _past_day(today: date, days_ago: int) -> date:
    return today - timedelta(days=days_ago)
