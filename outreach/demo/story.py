"""The demo stories of SPEC §8, written through the services and acting as the demo users.

Reference data (schools, neighbourhoods, centres, accounts, roles) is upserted on natural keys on every run.
The demo cases are created once, so that their timelines and the access log are the ones the application
writes. To spread the cases over the last months, every step of a story passes its moment to its service as
`now`: every timestamp of a case, its contacts, its timeline and its access-log entries is the moment the story
says it happened, and no append-only row is ever updated. The moments are derived from the time the seeder is
created, so the demo holds together whatever the day it is loaded. A second run finds the demo cases and leaves
them as they are.
"""

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.utils import timezone

from outreach import services
from outreach.demo.data import (
    ACCOUNTS,
    ADMIN_ACCOUNT,
    CENTRE_ANIMATORS,
    CENTRE_MANAGERS,
    CENTRES,
    CLOSING_NOTES,
    CONTACT_NOTES,
    DEMO_PASSWORD,
    DEMO_REF_PREFIX,
    DEMO_SEED,
    DURATIONS,
    FAMILIES,
    FLAG_PROFILES,
    HOLIDAYS,
    NEIGHBOURHOODS,
    NEXT_STEPS,
    PLOTS,
    SCENARIOS,
    SCHOOL_STAFF,
    SCHOOLS,
    SUBJECTS,
    SUPPORTS,
    TUTORING_NOTES,
    UNPLACED_STREETS,
    Plot,
    Scenario,
)
from outreach.models import Case, Centre, Neighbourhood, NeighbourhoodPostcode, Outcome
from schools.models import Level, School, validate_uai

# Calendar ---------------------------------------------------------------------------------------------------------


def is_school_day(day: date) -> bool:
    return day.weekday() < 5 and not any(start <= (day.month, day.day) <= end for start, end in HOLIDAYS)


def school_year_start(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and (char.isalnum() or char == "-")).lower()


# Pupils -----------------------------------------------------------------------------------------------------------


@dataclass
class DemoPupil:
    """A pupil made up for a scenario; `data` is what the collège sends when it flags them."""

    number: int
    school: str
    sex: str
    first_name: str
    last_name: str
    birth_date: date
    track: str  # "" (general), "SEGPA" or "ULIS"
    class_letter: str
    address: str
    postcode: str
    city: str
    neighbourhood: str
    guardians: list[dict]

    @property
    def external_ref(self) -> str:
        return f"{DEMO_REF_PREFIX}{self.number:04d}"

    def data(self, on: date) -> dict:
        grade = min(max(school_year_start(on) - self.birth_date.year - 11, 0), 3)
        grade_name = ["6e", "5e", "4e", "3e"][grade]
        if self.track:
            level, class_name = self.track, f"{grade_name} {self.track}" if self.track == "SEGPA" else "ULIS"
        else:
            level, class_name = grade_name, f"{grade_name} {self.class_letter}"
        return {
            "external_ref": self.external_ref,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "level": Level(level).value,
            "class_name": class_name,
            "address": self.address,
            "postcode": self.postcode,
            "city": self.city,
            "neighbourhood": self.neighbourhood,
            "guardians": self.guardians,
        }


# The seed ---------------------------------------------------------------------------------------------------------


class DemoSeeder:
    """Upserts the reference data, then tells one story per scenario, step by step through the services."""

    def __init__(self) -> None:
        self.rng = random.Random(DEMO_SEED)  # noqa: S311 (reproducible demo data, not security)
        # Read once: every moment of the stories is derived from it, so the demo holds together on any day.
        self.loaded_at = timezone.now()
        self.latest = self.loaded_at - timedelta(hours=1)
        self.today = timezone.localdate(self.loaded_at)
        self.schools: dict[str, School] = {}
        self.centres: dict[str, Centre] = {}
        self.users: dict = {}
        self.pupils: dict[int, DemoPupil] = {}
        self.used_surnames: set[str] = set()

    # reference data

    def seed_reference_data(self) -> None:
        for key, (uai, name, address, city) in SCHOOLS.items():
            validate_uai(uai)
            self.schools[key], _created = School.objects.update_or_create(
                uai=uai, defaults={"name": name, "address": address, "city": city}
            )
        neighbourhoods = {}
        for name, (is_qpv, postcodes, _city, _streets) in NEIGHBOURHOODS.items():
            neighbourhoods[name], _created = Neighbourhood.objects.update_or_create(
                name=name, defaults={"is_qpv": is_qpv}
            )
            for postcode in postcodes:
                NeighbourhoodPostcode.objects.get_or_create(neighbourhood=neighbourhoods[name], postcode=postcode)
        for name, (address, covered) in CENTRES.items():
            self.centres[name], _created = Centre.objects.update_or_create(name=name, defaults={"address": address})
            self.centres[name].neighbourhoods.set([neighbourhoods[n] for n in covered])

        password = make_password(DEMO_PASSWORD)
        joined = self.loaded_at - timedelta(days=300)
        user_model = get_user_model()
        for username, (first_name, last_name, role, organisation) in ACCOUNTS.items():
            user, _created = user_model.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    "is_active": True,
                },
                create_defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@example.org",
                    "password": password,
                    "date_joined": joined,
                },
            )
            target = self.schools.get(organisation) or self.centres.get(organisation)
            services.role_grant(user=user, role=role, organisation=target)
            self.users[username] = user
        username, first_name, last_name = ADMIN_ACCOUNT
        user_model.objects.update_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "is_staff": True, "is_superuser": True},
            create_defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.org",
                "is_staff": True,
                "is_superuser": True,
                "password": password,
                "date_joined": joined,
            },
        )

    # demo cases

    def demo_cases_exist(self) -> bool:
        return Case.objects.filter(
            school__uai__in=[uai for uai, *_rest in SCHOOLS.values()], pupil__external_ref__startswith=DEMO_REF_PREFIX
        ).exists()

    def seed_cases(self) -> None:
        plan = []
        for index, scenario in enumerate(SCENARIOS):
            flag_day = self.school_day(scenario.school_days_ago)
            plan.append((flag_day, index, scenario))
        plan.sort(key=lambda item: (item[0], item[1]))
        for flag_day, _index, scenario in plan:
            pupil = self.pupil(scenario, flag_day)
            flagged_at = self.moment(flag_day, self.rng.randint(8, 15), self.rng.choice([0, 15, 30, 45]))
            getattr(self, f"story_{scenario.story}")(scenario, pupil, flagged_at)

    # time helpers

    def school_day(self, school_days_ago: int) -> date:
        day, counted = self.today, 0
        while counted < school_days_ago:
            day -= timedelta(days=1)
            counted += is_school_day(day)
        return day

    def moment(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, clock_time(hour, minute)))

    def later(self, moment: datetime, days: float, hour: int | None = None) -> datetime:
        """`days` after `moment`, on a day centres work (not Sunday), at `hour` if given."""
        result = moment + timedelta(days=days)
        local = timezone.localtime(result)
        if hour is not None:
            result = self.moment(local.date(), hour, self.rng.choice([0, 10, 20, 30, 40, 50]))
        if timezone.localtime(result).weekday() == 6:
            result += timedelta(days=1)
        return min(result, self.latest)

    def capped(self, moment: datetime) -> datetime:
        """The moment a step is recorded at, given to its service as `now`: never later than the story's end."""
        return min(moment, self.latest)

    def days_ago(self, days: float, hour: int) -> datetime:
        return self.later(self.loaded_at - timedelta(days=days), 0, hour)

    # people

    def pupil(self, scenario: Scenario, flag_day: date) -> DemoPupil:
        if scenario.pupil in self.pupils:
            return self.pupils[scenario.pupil]
        rng = self.rng
        family = rng.choices(FAMILIES, weights=[f.weight for f in FAMILIES])[0]
        sex = rng.choice("FM")
        # One family per surname, so two demo pupils are never mistaken for siblings.
        surnames = [name for name in family.surnames if name not in self.used_surnames] or list(family.surnames)
        first_name, last_name = rng.choice(family.girls if sex == "F" else family.boys), rng.choice(surnames)
        self.used_surnames.add(last_name)
        track = rng.choices(["", "SEGPA", "ULIS"], weights=[84, 10, 6])[0]
        # A pupil with a later case is not in 3e at the first one: still at the collège for the second.
        flagged_again = sum(other.pupil == scenario.pupil for other in SCENARIOS) > 1
        grade = rng.randrange(3 if flagged_again else 4)
        birth_year = school_year_start(flag_day) - 11 - grade - (rng.random() < 0.15)
        birth_date = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        if scenario.place:
            _qpv, postcodes, city, streets = NEIGHBOURHOODS[scenario.place]
            postcode = scenario.postcode or postcodes[0]
        else:
            postcode = scenario.postcode
            city, streets = UNPLACED_STREETS[postcode]
        language = rng.choice(family.languages)
        interpreter = language != "français" and rng.random() < family.interpreter_odds
        names = {"mère": family.mothers, "père": family.fathers, "grand-mère": family.grandmothers}
        guardians = []
        relationships = [rng.choices(["mère", "père"], weights=[75, 25])[0]]
        if rng.random() < 0.55:
            relationships.append(rng.choice([r for r in names if r not in relationships]))
        for relationship in relationships:
            guardian_first = rng.choice(names[relationship])
            has_email = rng.random() < 0.5
            guardians.append(
                {
                    "name": f"{guardian_first} {last_name}",
                    "relationship": relationship,
                    # 06 39 98 xx xx is the ARCEP range reserved for fiction.
                    "phone": f"06 39 98 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
                    "email": f"{ascii_slug(guardian_first)}.{ascii_slug(last_name)}@example.org" if has_email else "",
                    "language": language,
                    "interpreter_needed": interpreter,
                }
            )
        pupil = DemoPupil(
            number=scenario.pupil,
            school=scenario.school,
            sex=sex,
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            track=track,
            class_letter=rng.choice("ABCDE"),
            address=f"{rng.randint(1, 180)} {rng.choice(streets)}",
            postcode=postcode,
            city=city,
            neighbourhood=scenario.place,
            guardians=guardians,
        )
        self.pupils[scenario.pupil] = pupil
        return pupil

    def words(self, pupil: DemoPupil) -> dict[str, str]:
        guardian = pupil.guardians[0]["relationship"]
        article = "le" if guardian == "père" else "la"
        return {
            "p": pupil.first_name,
            "P": pupil.first_name,
            "e": "e" if pupil.sex == "F" else "",
            "Il": "Elle" if pupil.sex == "F" else "Il",
            "g": f"{article} {guardian}",
        }

    def staff(self, school_key: str):
        return self.users[SCHOOL_STAFF[school_key]]

    def animator(self, case: Case):
        return self.users[CENTRE_ANIMATORS[case.centre.name]]

    def accepter(self, case: Case):
        """The centre's manager, or the coordinator for a centre without a manager account."""
        return self.users[CENTRE_MANAGERS.get(case.centre.name, "coordination")]

    # the steps, each through a service, each at its moment (`now`)

    def flag(self, scenario: Scenario, pupil: DemoPupil, flagged_at: datetime) -> Case:
        rng = self.rng
        flag_day = timezone.localdate(flagged_at)
        reasons, details = rng.choice(FLAG_PROFILES)
        seen = flag_day - timedelta(days=rng.randint(3, 20))
        while seen.weekday() >= 5:
            seen -= timedelta(days=1)
        long_absence = "long_absence" in reasons
        case, created = services.case_flag(
            actor=self.staff(scenario.school),
            school=self.schools[scenario.school],
            pupil=pupil.data(flag_day),
            reasons=reasons,
            details=details.format(seen=f"{seen:%d/%m}", **self.words(pupil)),
            urgency="high" if long_absence or rng.random() < 0.15 else "normal",
            half_days_missed=rng.randint(18, 36) if long_absence else rng.randint(4, 16),
            last_seen_on=seen,
            now=self.capped(flagged_at),
        )
        if not created:
            raise CommandError(f"Demo pupil {pupil.external_ref} already has an open case.")
        return case

    def school_notice(self, scenario: Scenario, case: Case, after: datetime, channel: str = "letter") -> None:
        """The collège informs the family on the day it flags the pupil."""
        moment = self.capped(after + timedelta(hours=self.rng.randint(1, 4)))
        services.family_notice_record(
            actor=self.staff(scenario.school), case=case, on=timezone.localdate(moment), channel=channel, now=moment
        )

    def route(self, case: Case, when: datetime, centre: str, note: str) -> Case:
        return services.case_route(
            actor=self.users["coordination"], case=case, centre=self.centres[centre], note=note, now=self.capped(when)
        )

    def accept(self, case: Case, when: datetime) -> Case:
        manager = CENTRE_MANAGERS.get(case.centre.name)
        case = services.case_accept(actor=self.accepter(case), case=case, now=self.capped(when))
        if manager:
            services.case_assign(
                actor=self.users[manager],
                case=case,
                animators=[self.animator(case)],
                now=self.capped(when + timedelta(minutes=20)),
            )
        return case

    def decline(self, case: Case, when: datetime, reason: str) -> Case:
        return services.case_decline(actor=self.accepter(case), case=case, reason=reason, now=self.capped(when))

    def work(
        self,
        case: Case,
        pupil: DemoPupil,
        plot: Plot,
        start: datetime,
        end: datetime,
        *,
        tutoring: int = 0,
        notice_in_person: bool = False,
        handed_over: list[tuple[int, str, str]] = (),
    ) -> datetime:
        """Logs the plot's contacts spread from `start` to `end`, and tutoring sessions in between, in time order.

        Returns the moment of the last contact (or `start` when there was none).
        """
        rng = self.rng
        worker = self.animator(case)
        words = self.words(pupil)
        span_days = max((end - start).total_seconds() / 86400, 0)
        steps = plot[: max(1, min(len(plot), int(span_days) + 1))]
        # (when it happened, when it was recorded, the service call to make at the recording moment)
        actions: list[tuple[datetime, datetime, Callable[..., object]]] = []
        last = start
        for position, (kind, result, supports) in enumerate(steps):
            fraction = position / (len(steps) - 1) if len(steps) > 1 else 0
            hour = rng.choice([17, 18]) if kind == "home_visit" else rng.randint(9, 17)
            occurred_at = max(self.later(start, span_days * fraction, hour), last + timedelta(hours=2))
            occurred_at = min(occurred_at, self.latest - timedelta(minutes=90))
            minutes = DURATIONS.get(kind)
            closing = position == len(steps) - 1 and result in {"declined", "moved_away"}
            contact = {
                "actor": worker,
                "case": case,
                "kind": kind,
                "occurred_at": occurred_at,
                "result": result,
                "duration_minutes": rng.randint(*minutes) if minutes else None,
                "notes": rng.choice(CONTACT_NOTES[(kind, result)]).format(**words),
                "supports": [{"kind": SUPPORTS[key][0], "detail": SUPPORTS[key][1]} for key in supports],
                "next_step": "" if closing else NEXT_STEPS[kind],
                "next_step_due_on": None if closing else timezone.localdate(occurred_at) + timedelta(days=7),
            }
            notice = notice_in_person and result == "reached_family"
            notice_in_person = notice_in_person and not notice
            recorded_at = occurred_at + timedelta(minutes=rng.randint(5, 60))
            actions.append((occurred_at, recorded_at, self.contact_action(contact, notice)))
            last = occurred_at
        day, sessions = timezone.localdate(start) + timedelta(days=5), 0
        while day < timezone.localdate(end) and sessions < tutoring:
            if day.weekday() in (1, 3) and is_school_day(day):
                attended = rng.random() < 0.8
                session = {
                    "actor": worker,
                    "case": case,
                    "on": day,
                    "duration_minutes": 90,
                    "subjects": ", ".join(rng.sample(SUBJECTS, rng.randint(1, 2))),
                    "attended": attended,
                    "notes": rng.choice(TUTORING_NOTES) if attended else "Absent{e}, famille prévenue.".format(**words),
                }
                held_at = self.moment(day, 17)
                actions.append((held_at, held_at + timedelta(hours=2), partial(services.tutoring_log, **session)))
                sessions += 1
            day += timedelta(days=1)
        for days, kind, detail in handed_over:
            moment = self.later(start, days, 18)
            support = {"actor": worker, "case": case, "kind": kind, "detail": detail, "provided_on": moment.date()}
            actions.append((moment, moment, partial(services.support_record, **support)))
        for _happened_at, recorded_at, action in sorted(actions, key=lambda item: item[1]):
            action(now=self.capped(recorded_at))
        return last

    def contact_action(self, contact: dict, notice_in_person: bool) -> Callable[..., None]:
        def action(*, now: datetime) -> None:
            services.contact_log(**contact, now=now)
            if notice_in_person:
                on = timezone.localdate(contact["occurred_at"])
                services.family_notice_record(
                    actor=contact["actor"], case=contact["case"], on=on, channel="in_person", now=now
                )

        return action

    def close(self, case: Case, pupil: DemoPupil, when: datetime, outcome: Outcome, actor=None) -> Case:
        note = CLOSING_NOTES[outcome].format(**self.words(pupil))
        return services.case_close(
            actor=actor or self.animator(case), case=case, outcome=outcome, note=note, now=self.capped(when)
        )

    def confirm_return(
        self, scenario: Scenario, case: Case, after: datetime, attendance: str, half_days: int
    ) -> datetime | None:
        """The collège records attendance a few school weeks later; returns when (None if not yet)."""
        day = timezone.localdate(after) + timedelta(days=self.rng.randint(12, 20))
        while not is_school_day(day):
            day += timedelta(days=1)
        moment = self.moment(day, self.rng.randint(8, 16))
        if moment > self.latest:
            return None
        services.return_confirm(
            actor=self.staff(scenario.school),
            case=case,
            attendance=attendance,
            half_days_missed=half_days,
            on=day,
            now=moment,
        )
        return moment

    # stories: one per kind of case in SCENARIOS

    def accepted_case(self, scenario: Scenario, pupil: DemoPupil, flagged_at: datetime, *, notice: bool = True):
        case = self.flag(scenario, pupil, flagged_at)
        if notice:
            self.school_notice(scenario, case, flagged_at, channel=self.rng.choice(["letter", "letter", "email"]))
        case = self.accept(case, self.later(flagged_at, 1, self.rng.randint(9, 11)))
        return case

    def closed_story(self, scenario, pupil, flagged_at, plot_name, outcome, attendance=None, *, coordinator=False):
        rng = self.rng
        case = self.accepted_case(scenario, pupil, flagged_at, notice=plot_name != "family_declined")
        start = self.later(case.accepted_at, rng.randint(1, 3))
        end = self.later(start, rng.randint(18, 40))
        tutoring = 8 if plot_name.startswith(("returned", "partial")) else 0
        last = self.work(
            case,
            pupil,
            PLOTS[plot_name],
            start,
            end,
            tutoring=tutoring,
            notice_in_person=plot_name == "family_declined",
        )
        closed_at = self.later(last, rng.randint(1, 4), rng.randint(10, 17))
        case = self.close(case, pupil, closed_at, outcome, actor=self.users["coordination"] if coordinator else None)
        if attendance:
            half_days = {"full": rng.randint(0, 2), "partial": rng.randint(5, 9), "none": rng.randint(20, 30)}
            self.confirm_return(scenario, case, closed_at, attendance, half_days[attendance])
        return case

    def story_returned(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "returned", Outcome.RETURNED_TO_SCHOOL, "full")

    def story_returned_digital(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "returned_digital", Outcome.RETURNED_TO_SCHOOL, "full")

    def story_returned_other(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "returned_other", Outcome.RETURNED_TO_SCHOOL, "full")

    def story_partial(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "partial", Outcome.PARTIAL_RETURN, "partial")

    def story_referred(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "referred", Outcome.REFERRED, "partial")

    def story_referred_mlds(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "referred_mlds", Outcome.REFERRED)

    def story_moved_away(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "moved_away", Outcome.MOVED_AWAY)

    def story_family_declined(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "family_declined", Outcome.FAMILY_DECLINED)

    def story_unreachable(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "unreachable", Outcome.UNREACHABLE, "none")

    def story_unreachable_coordinator(self, scenario, pupil, flagged_at):
        self.closed_story(scenario, pupil, flagged_at, "unreachable", Outcome.UNREACHABLE, coordinator=True)

    def withdraw(self, scenario: Scenario, pupil: DemoPupil, case: Case, when: datetime) -> None:
        when = self.capped(when)
        note = "{P} est revenu{e} en classe ; le collège assure le suivi.".format(**self.words(pupil))
        case = services.case_withdraw(actor=self.staff(scenario.school), case=case, note=note, now=when)
        self.confirm_return(scenario, case, when, "full", self.rng.randint(0, 3))

    def story_withdrawn_flagged(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.withdraw(scenario, pupil, case, self.later(flagged_at, 3, 9))

    def story_withdrawn_routed(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.school_notice(scenario, case, flagged_at, channel="phone")
        self.withdraw(scenario, pupil, case, self.later(flagged_at, 2, 15))

    def story_withdrawn_in_progress(self, scenario, pupil, flagged_at):
        case = self.accepted_case(scenario, pupil, flagged_at)
        start = self.later(case.accepted_at, 1)
        last = self.work(case, pupil, PLOTS["active"][:2], start, self.later(start, 6))
        self.withdraw(scenario, pupil, case, self.later(last, 3, 10))

    def story_reopened(self, scenario, pupil, flagged_at):
        rng = self.rng
        case = self.accepted_case(scenario, pupil, flagged_at)
        start = self.later(case.accepted_at, 2)
        last = self.work(case, pupil, PLOTS["partial"], start, self.later(start, 24), tutoring=6)
        closed_at = self.later(last, 2, 15)
        case = self.close(case, pupil, closed_at, Outcome.PARTIAL_RETURN)
        # Weeks later the collège reports the pupil absent again, and the coordinator reopens the case.
        confirmed = self.confirm_return(scenario, case, closed_at + timedelta(days=40), "none", rng.randint(14, 22))
        case = services.case_reopen(
            actor=self.users["coordination"],
            case=case,
            note="Le collège signale de nouvelles absences ; suivi à reprendre par le centre.",
            now=self.later(confirmed or closed_at + timedelta(days=64), 2, 10),
        )
        start = self.later(case.status_changed_at, 2)
        self.work(case, pupil, PLOTS["active"], start, self.days_ago(rng.randint(2, 6), 17), tutoring=6)

    def active_story(self, scenario, pupil, flagged_at, plot_name, *, notice=True, tutoring=4, stale_days=0, **extra):
        rng = self.rng
        case = self.accepted_case(scenario, pupil, flagged_at, notice=notice)
        start = self.later(case.accepted_at, rng.randint(1, 2))
        end = self.days_ago(stale_days or rng.randint(1, 5), 17)
        self.work(case, pupil, PLOTS[plot_name], start, max(end, start), tutoring=tutoring, **extra)
        return case

    def story_active(self, scenario, pupil, flagged_at):
        self.active_story(scenario, pupil, flagged_at, "active")

    def story_active_long(self, scenario, pupil, flagged_at):
        handed_over = (
            8,
            SUPPORTS["internet"][0],
            "Clé 4G remise au centre (Emmaüs Connect), recharges pour trois mois",
        )
        self.active_story(scenario, pupil, flagged_at, "active_digital", tutoring=16, handed_over=[handed_over])

    def story_active_digital(self, scenario, pupil, flagged_at):
        self.active_story(scenario, pupil, flagged_at, "active_digital")

    def story_active_smartphone(self, scenario, pupil, flagged_at):
        self.active_story(scenario, pupil, flagged_at, "active_smartphone")

    def story_details_to_check(self, scenario, pupil, flagged_at):
        """Three attempts in a row with no answer: the school is asked to check the family's details."""
        self.active_story(scenario, pupil, flagged_at, "details_to_check")

    def story_stale(self, scenario, pupil, flagged_at):
        """No contact for more than the deadline: overdue."""
        self.active_story(scenario, pupil, flagged_at, "stale", tutoring=0, stale_days=self.rng.randint(18, 24))

    def story_no_family_notice(self, scenario, pupil, flagged_at):
        """Worked, but nobody recorded that the family was informed: overdue after 30 days."""
        self.active_story(scenario, pupil, flagged_at, "active", notice=False, tutoring=2)

    def story_no_first_contact(self, scenario, pupil, flagged_at):
        """Accepted more than a week ago, no contact attempt yet: overdue."""
        self.accepted_case(scenario, pupil, flagged_at)

    def story_just_accepted(self, scenario, pupil, flagged_at):
        self.accepted_case(scenario, pupil, flagged_at, notice=False)

    def story_rerouted(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.school_notice(scenario, case, flagged_at, channel="sms")
        case = self.decline(
            case,
            self.later(flagged_at, 1, 9),
            "Famille déjà accompagnée par Le Projet pour un aîné : ce centre est mieux placé.",
        )
        case = self.route(
            case, self.later(flagged_at, 1, 14), "Le Projet", "Le Projet connaît déjà la famille, accord du centre."
        )
        case = self.accept(case, self.later(flagged_at, 2, 10))
        start = self.later(case.accepted_at, 1)
        self.work(case, pupil, PLOTS["active"], start, self.days_ago(self.rng.randint(1, 4), 17), tutoring=3)

    def story_routed_by_coordinator_active(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.school_notice(scenario, case, flagged_at)
        note = "Quartier non couvert : Lazare Garreau accepte d'intervenir à titre exceptionnel."
        case = self.route(case, self.later(flagged_at, 1, 11), "Lazare Garreau", note)
        case = self.accept(case, self.later(flagged_at, 2, 9))
        start = self.later(case.accepted_at, 1)
        self.work(case, pupil, PLOTS["active"], start, self.days_ago(self.rng.randint(1, 4), 17), tutoring=3)

    def story_routed(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        if self.rng.random() < 0.5:
            self.school_notice(scenario, case, flagged_at)

    def story_routed_by_coordinator(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        note = "Bois-Blancs non couvert : Le Projet est le centre le plus proche."
        self.route(case, flagged_at + timedelta(hours=3), "Le Projet", note)

    def story_triage(self, scenario, pupil, flagged_at):
        self.flag(scenario, pupil, flagged_at)

    def story_declined(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.school_notice(scenario, case, flagged_at)
        reason = "Plus de place en accompagnement à la scolarité avant les vacances ; un autre centre peut-il prendre ?"
        self.decline(case, self.later(flagged_at, 1, 10), reason)

    def story_declined_capacity(self, scenario, pupil, flagged_at):
        case = self.flag(scenario, pupil, flagged_at)
        self.decline(
            case, flagged_at + timedelta(hours=5), "Adresse en limite de secteur, à confirmer par la coordination."
        )
