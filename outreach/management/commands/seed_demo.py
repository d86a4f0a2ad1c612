"""`manage.py seed_demo [--force]`: the demo data of SPEC §8.

Reference data (schools, neighbourhoods, centres, accounts, roles) is upserted on natural keys on every run.
The demo cases are created once, through the services and acting as the demo users, so that timelines and
the access log are the ones the application writes. To spread the cases over the last months, the services
run under a demo clock (`django.utils.timezone.now` replaced for the duration of the seed): every timestamp
of a case, its contacts, its timeline and its access-log entries is the moment the story says it happened,
and no append-only row is ever updated. A second run finds the demo cases and leaves them as they are.
"""

import random
import time
import unicodedata
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outreach import services
from outreach.models import (
    Case,
    Centre,
    Contact,
    FamilyNotice,
    Neighbourhood,
    NeighbourhoodPostcode,
    Outcome,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from outreach.roles import Role
from outreach.selectors import overdue_q
from schools.models import Level, School, validate_uai

DEMO_PASSWORD = "radar-demo"  # noqa: S105 (the published password of the demo accounts, SPEC §8)
DEMO_SEED = 2026
DEMO_REF_PREFIX = "DEMO-"

# Reference data -------------------------------------------------------------------------------------------------

SCHOOLS = {
    "marronniers": ("0599001N", "Collège Les Marronniers", "18 rue des Marronniers, 59000 Lille", "Lille"),
    "jaures": ("0599002P", "Collège Jean Jaurès", "40 rue Jean Jaurès, 59000 Lille", "Lille"),
    "pasteur": ("0599003R", "Collège Pasteur", "5 rue Pasteur, 59155 Faches-Thumesnil", "Faches-Thumesnil"),
}

# name: (QPV, postcodes, city, streets). Every Lille neighbourhood shares 59000 on purpose: a pupil whose
# neighbourhood the school does not give is then covered by several centres and goes to triage, as in real
# life; the school-given neighbourhood name is what routes. Faches-Thumesnil (59155) routes by postcode alone.
NEIGHBOURHOODS = {
    "Wazemmes": (
        True,
        ["59000"],
        "Lille",
        ["rue des Sarrazins", "rue Jules Guesde", "rue d'Iéna", "rue de l'Abbé Aerts"],
    ),
    "Moulins": (True, ["59000"], "Lille", ["rue d'Arras", "rue de Cambrai", "rue Armand Carrel", "rue de Douai"]),
    "Lille-Sud": (True, ["59000"], "Lille", ["rue de Marquillies", "rue du Faubourg des Postes", "rue de l'Europe"]),
    "Faubourg de Béthune": (True, ["59000"], "Lille", ["rue du Faubourg de Béthune", "rue Bernard Palissy"]),
    "Vauban-Esquermes": (False, ["59000"], "Lille", ["rue d'Esquermes", "rue Colbert", "rue Auber"]),
    "Bois-Blancs": (True, ["59000"], "Lille", ["avenue de Dunkerque", "rue Guillaume Tell", "rue de la Passerelle"]),
    "Fives": (True, ["59800"], "Lille", ["rue Pierre Legrand", "rue de Lannoy", "rue Bourjembois"]),
    "Faches-Thumesnil": (False, ["59155"], "Faches-Thumesnil", ["rue Kléber", "rue Faidherbe", "rue Carnot"]),
}
UNPLACED_STREETS = {
    "59000": ("Lille", ["rue Solférino", "rue Léon Gambetta"]),
    "59155": ("Faches-Thumesnil", ["rue Jean Jaurès", "rue de Lille"]),
}

# name: (address, neighbourhoods covered). Bois-Blancs and Fives are covered by no centre: their cases go to triage.
CENTRES = {
    "Lazare Garreau": ("Rue Lazare Garreau, 59000 Lille", ["Moulins", "Wazemmes"]),
    "L'Arbrisseau": ("Rue de l'Arbrisseau, 59000 Lille", ["Lille-Sud"]),
    "Le Projet": ("Rue du Faubourg de Béthune, 59000 Lille", ["Faubourg de Béthune", "Vauban-Esquermes"]),
    "Chemin Rouge": ("Rue du Chemin Rouge, 59000 Lille", ["Faches-Thumesnil"]),
}

# username: (first name, last name, role, school key or centre name)
ACCOUNTS = {
    "coordination": ("Nathalie", "Delattre", Role.COORDINATOR, None),
    "cpe.marronniers": ("Karima", "Benali", Role.SCHOOL_STAFF, "marronniers"),
    "cpe.jaures": ("Julien", "Vandamme", Role.SCHOOL_STAFF, "jaures"),
    "cpe.pasteur": ("Sophie", "Lefebvre", Role.SCHOOL_STAFF, "pasteur"),
    "direction.garreau": ("Mehdi", "Boukhari", Role.CENTRE_MANAGER, "Lazare Garreau"),
    "direction.arbrisseau": ("Isabelle", "Dufour", Role.CENTRE_MANAGER, "L'Arbrisseau"),
    "anim.garreau": ("Thomas", "Lemaire", Role.ANIMATOR, "Lazare Garreau"),
    "anim.arbrisseau": ("Aïcha", "Diallo", Role.ANIMATOR, "L'Arbrisseau"),
    "anim.projet": ("Camille", "Deschamps", Role.ANIMATOR, "Le Projet"),
    "anim.chemin-rouge": ("Yanis", "Hamidi", Role.ANIMATOR, "Chemin Rouge"),
}
ADMIN_ACCOUNT = ("admin", "Alexandre", "Martel")
CENTRE_MANAGERS = {"Lazare Garreau": "direction.garreau", "L'Arbrisseau": "direction.arbrisseau"}
CENTRE_ANIMATORS = {
    "Lazare Garreau": "anim.garreau",
    "L'Arbrisseau": "anim.arbrisseau",
    "Le Projet": "anim.projet",
    "Chemin Rouge": "anim.chemin-rouge",
}
SCHOOL_STAFF = {"marronniers": "cpe.marronniers", "jaures": "cpe.jaures", "pasteur": "cpe.pasteur"}

# Demo cases -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    pupil: int  # the pupil's number; two scenarios with the same number are two cases of one pupil
    school: str
    place: str  # the neighbourhood the school gives, or "" (then the postcode routes)
    story: str
    school_days_ago: int
    postcode: str = ""


SCENARIOS = [
    # closed, with every outcome
    Scenario(1, "marronniers", "Wazemmes", "returned", 108),
    Scenario(2, "jaures", "Faubourg de Béthune", "returned_digital", 100),
    Scenario(3, "marronniers", "Lille-Sud", "referred", 95),
    Scenario(4, "pasteur", "Faches-Thumesnil", "returned", 90),
    Scenario(5, "jaures", "Vauban-Esquermes", "partial", 84),
    Scenario(6, "pasteur", "Lille-Sud", "moved_away", 78),
    Scenario(7, "jaures", "Moulins", "reopened", 72),
    Scenario(8, "marronniers", "Moulins", "returned_digital", 66),
    Scenario(9, "marronniers", "Moulins", "family_declined", 60),
    Scenario(10, "marronniers", "Wazemmes", "unreachable_coordinator", 55),
    Scenario(11, "jaures", "Faubourg de Béthune", "referred_mlds", 50),
    Scenario(12, "jaures", "Lille-Sud", "returned_other", 48),
    Scenario(13, "jaures", "Fives", "withdrawn_flagged", 46),
    Scenario(14, "pasteur", "Faches-Thumesnil", "partial", 44),
    Scenario(15, "pasteur", "Faches-Thumesnil", "withdrawn_routed", 40),
    Scenario(16, "jaures", "Lille-Sud", "family_declined", 38),
    Scenario(17, "pasteur", "", "unreachable", 34, postcode="59155"),
    Scenario(18, "marronniers", "Moulins", "withdrawn_in_progress", 30),
    Scenario(19, "marronniers", "Wazemmes", "returned", 104),
    # in progress
    Scenario(19, "marronniers", "Wazemmes", "active", 16),
    Scenario(20, "marronniers", "Wazemmes", "active_digital", 12),
    Scenario(21, "marronniers", "Moulins", "active", 27),
    Scenario(22, "marronniers", "Lille-Sud", "stale", 34),
    Scenario(23, "jaures", "Lille-Sud", "no_first_contact", 9),
    Scenario(24, "jaures", "Faubourg de Béthune", "active_smartphone", 24),
    Scenario(25, "jaures", "Vauban-Esquermes", "active", 8),
    Scenario(26, "pasteur", "Faches-Thumesnil", "active_long", 40),
    Scenario(27, "pasteur", "Faches-Thumesnil", "no_family_notice", 30),
    Scenario(28, "marronniers", "Lille-Sud", "rerouted", 21),
    Scenario(29, "pasteur", "Lille-Sud", "just_accepted", 3),
    Scenario(30, "marronniers", "Bois-Blancs", "routed_by_coordinator_active", 14),
    # routed, awaiting acceptance
    Scenario(31, "marronniers", "Moulins", "routed", 1),
    Scenario(32, "jaures", "Faubourg de Béthune", "routed", 4),
    Scenario(33, "pasteur", "Faches-Thumesnil", "routed", 1),
    Scenario(34, "jaures", "Bois-Blancs", "routed_by_coordinator", 3),
    Scenario(35, "pasteur", "", "routed", 2, postcode="59155"),
    # flagged, in the coordinators' triage queue
    Scenario(36, "marronniers", "Bois-Blancs", "triage", 1),
    Scenario(37, "jaures", "Fives", "triage", 4),
    Scenario(38, "marronniers", "", "triage", 1, postcode="59000"),
    Scenario(39, "marronniers", "Wazemmes", "declined", 5),
    Scenario(40, "jaures", "", "triage", 2, postcode="59000"),
    Scenario(41, "jaures", "Lille-Sud", "declined_capacity", 2),
]


@dataclass(frozen=True)
class Family:
    """Who the demo pupils are: names that go together, and the languages spoken at home."""

    weight: int
    girls: tuple[str, ...]
    boys: tuple[str, ...]
    surnames: tuple[str, ...]
    languages: tuple[str, ...]
    interpreter_odds: float
    mothers: tuple[str, ...]
    fathers: tuple[str, ...]
    grandmothers: tuple[str, ...]


FAMILIES = [
    Family(
        45,
        ("Chloé", "Manon", "Léa", "Jade", "Camille", "Louna", "Zoé", "Océane", "Maëlys", "Clara", "Lola"),
        ("Lucas", "Enzo", "Nathan", "Hugo", "Théo", "Kylian", "Mathis", "Louis", "Evan", "Noah", "Baptiste"),
        (
            *("Dubois", "Lefebvre", "Vandenbussche", "Delcroix", "Carpentier", "Wattez", "Dewaele", "Roussel"),
            *("Pruvost", "Delannoy", "Hennebelle", "Leroy", "Boulanger", "Marchand", "Verstraete", "Lecomte"),
            *("Desmet", "Vasseur", "Dumont", "Caron", "Lenoir", "Duhamel", "Bernard", "Petit"),
        ),
        ("français",),
        0.0,
        ("Sandrine", "Céline", "Aurélie", "Virginie", "Stéphanie", "Émilie"),
        ("Didier", "Frédéric", "Sébastien", "Jérôme", "Grégory"),
        ("Josiane", "Monique", "Chantal"),
    ),
    Family(
        30,
        ("Inès", "Yasmine", "Nour", "Amira", "Kenza", "Lina", "Aya", "Sarah", "Rania", "Salma"),
        ("Adam", "Rayan", "Ilyes", "Amine", "Bilal", "Yanis", "Malik", "Sofiane", "Nassim", "Ayoub"),
        ("Haddad", "Bouzid", "Cherif", "Ziani", "Ouali", "Belkacem", "Mansouri", "Amrani", "Toumi", "Saidi", "Kaci"),
        ("français", "français", "arabe", "tamazight"),
        0.15,
        ("Samia", "Nadia", "Fatima", "Leïla", "Malika"),
        ("Karim", "Mohamed", "Hamid", "Rachid", "Farid"),
        ("Yamina", "Fatiha"),
    ),
    Family(
        10,
        ("Aminata", "Fatoumata", "Awa", "Mariam", "Kadiatou"),
        ("Moussa", "Mamadou", "Ousmane", "Ibrahima", "Seydou"),
        ("Diop", "Traoré", "Coulibaly", "Camara", "Ndiaye", "Sow", "Keita"),
        ("français", "wolof", "bambara"),
        0.1,
        ("Mariama", "Aïssatou", "Fanta"),
        ("Abdoulaye", "Boubacar", "Sékou"),
        ("Coumba",),
    ),
    Family(
        6,
        ("Elif", "Zeynep", "Ecrin"),
        ("Emir", "Yusuf", "Efe"),
        ("Kaya", "Şahin", "Yilmaz", "Demir", "Çelik"),
        ("turc",),
        0.5,
        ("Hülya", "Ayşe"),
        ("Mehmet", "Murat"),
        ("Fatma",),
    ),
    Family(
        5,
        ("Ioana", "Ana", "Maria"),
        ("Andrei", "Mihai", "Florin"),
        ("Popescu", "Stoica", "Dumitru", "Ionescu", "Munteanu"),
        ("roumain",),
        0.8,
        ("Elena", "Mirela"),
        ("Ion", "Gheorghe"),
        ("Viorica",),
    ),
    Family(
        4,
        ("Mahsa", "Parisa"),
        ("Omid", "Ahmad"),
        ("Ahmadi", "Rahimi", "Karimi", "Hakimi", "Noori"),
        ("dari",),
        1.0,
        ("Zahra", "Fereshta"),
        ("Naser", "Habib"),
        ("Gulalai",),
    ),
]

# (reasons, details). Details are objective, about school attendance only.
FLAG_PROFILES = [
    (["unjustified_absence"], "Absences non justifiées répétées depuis le {seen}. Les courriers restent sans réponse."),
    (
        ["long_absence", "family_unreachable"],
        "Pas revenu{e} au collège depuis le {seen}. Appels et courrier sans réponse.",
    ),
    (["intermittent_absence", "disengagement"], "Absent{e} un à deux jours par semaine, devoirs non rendus."),
    (
        ["no_digital_access", "falling_results"],
        "Pas d'ordinateur ni de connexion au domicile : travaux ENT non rendus.",
    ),
    (["family_unreachable"], "Numéros des responsables non attribués depuis le {seen}, adresse à vérifier."),
    (["disengagement", "behaviour"], "Retards quotidiens et exclusions de cours répétées depuis le {seen}."),
    (
        ["other", "intermittent_absence"],
        "Arrive après 10 h plusieurs matins par semaine ; garde sa fratrie selon la famille.",
    ),
    (
        ["unjustified_absence", "no_digital_access"],
        "Absent{e} les jours de cours en ligne ; un seul téléphone au foyer.",
    ),
    (["falling_results", "intermittent_absence"], "Résultats en baisse depuis la rentrée, absences les après-midi."),
    (["long_absence"], "Aucune présence depuis le {seen} malgré deux convocations de la famille."),
]

# (contact kind, result) -> notes. Objective facts only: families may read them.
CONTACT_NOTES = {
    ("home_visit", "no_answer"): [
        "Passage au domicile vers 17 h 30, personne n'a ouvert. Avis de passage laissé avec le numéro du centre.",
        "Visite à domicile en fin d'après-midi : pas de réponse à l'interphone. Carte du centre déposée.",
    ],
    ("home_visit", "reached_family"): [
        "Visite à domicile, échange avec {g}. {P} ne va plus en cours le matin ; rendez-vous pris au centre.",
        "Visite à domicile : {g} indique que {p} garde sa fratrie certains matins. Aide aux devoirs présentée.",
        "Visite à domicile avec {g}. Pas d'ordinateur au foyer, connexion par un seul téléphone. Prêt de matériel.",
    ],
    ("home_visit", "reached_pupil"): [
        "{P} était au domicile avec un frère aîné. {Il} dit ne plus voir l'intérêt d'aller en cours ; accepte de "
        "passer au centre mercredi.",
    ],
    ("home_visit", "declined"): [
        "Visite à domicile : {g} remercie mais ne souhaite pas d'accompagnement. Coordonnées du centre laissées.",
    ],
    ("home_visit", "moved_away"): [
        "Logement vide ; selon le gardien de la résidence, la famille a déménagé le mois dernier. Collège informé.",
    ],
    ("phone_call", "no_answer"): [
        "Appel au numéro transmis par le collège : messagerie. Message laissé avec le numéro du centre.",
        "Deux appels dans la journée, sans réponse.",
    ],
    ("phone_call", "reached_family"): [
        "Appel avec {g} : rendez-vous fixé au centre la semaine prochaine.",
        "Point téléphonique avec {g} : {p} est allé{e} en cours lundi et mardi.",
    ],
    ("phone_call", "wrong_details"): ["Numéro non attribué. Demande de coordonnées à jour envoyée à la CPE."],
    ("message", "no_answer"): ["SMS envoyé pour proposer une rencontre au centre. Pas de réponse."],
    ("message", "reached_family"): ["Réponse de {g} par SMS : disponible samedi matin pour un rendez-vous."],
    ("meeting_at_centre", "reached_pupil"): [
        "{P} est venu{e} au centre avec {g}. Inscription à l'accompagnement à la scolarité du mardi et du jeudi.",
        "Rencontre au centre avec {p} : point sur la semaine, présent{e} à tous les cours depuis lundi.",
    ],
    ("meeting_at_centre", "reached_family"): [
        "Rendez-vous au centre avec {g} et {p}. Convention de prêt de matériel signée, emploi du temps revu ensemble.",
    ],
    ("meeting_at_school", "reached_family"): [
        "Rencontre au collège avec la CPE, {p} et {g}. Retour progressif en classe convenu, point dans quinze jours.",
    ],
    ("video_call", "reached_pupil"): [
        "Appel vidéo avec {p} pour vérifier la tablette et la connexion à l'ENT : devoirs de la semaine consultés.",
    ],
    ("partner_meeting", "reached_family"): [
        "Rencontre avec la référente du partenaire en présence de {g}. La famille accepte l'orientation proposée.",
    ],
}
NEXT_STEPS = {
    "home_visit": "Nouvelle visite à domicile",
    "phone_call": "Rappeler la famille",
    "message": "Relancer par téléphone",
    "meeting_at_centre": "Séance d'aide aux devoirs",
    "meeting_at_school": "Point avec la CPE",
    "video_call": "Vérifier les devoirs rendus sur l'ENT",
    "partner_meeting": "Point avec le partenaire",
}
DURATIONS = {
    "home_visit": (20, 60),
    "phone_call": (5, 15),
    "meeting_at_centre": (30, 60),
    "meeting_at_school": (30, 60),
    "video_call": (20, 40),
    "partner_meeting": (45, 90),
}
SUPPORTS = {
    "tablet": ("device_tablet", "Tablette prêtée par Emmaüs Connect, convention de prêt signée par la famille"),
    "pc": ("device_pc", "Ordinateur portable reconditionné prêté par Emmaüs Connect"),
    "smartphone": ("device_smartphone", "Smartphone reconditionné prêté par Emmaüs Connect"),
    "internet": ("internet_access", "Clé 4G avec recharges solidaires Emmaüs Connect (3 mois)"),
    "clas": ("tutoring", "Place à l'accompagnement à la scolarité (CLAS) du centre, mardi et jeudi"),
    "pre": ("referral", "Orientation vers le Programme de réussite éducative (PRE) de la Ville de Lille"),
    "mlds": ("referral", "Orientation vers la Mission de lutte contre le décrochage scolaire (MLDS)"),
    "other": ("other", "Aide à la demande de bourse de collège et à l'inscription à la cantine"),
}
SUBJECTS = ["mathématiques", "français", "anglais", "histoire-géographie", "SVT", "méthodologie"]
TUTORING_NOTES = [
    "Exercices de fractions terminés, leçon revue.",
    "Rédaction préparée pour jeudi.",
    "Révision du contrôle d'anglais, vocabulaire appris.",
    "Cahier de textes mis à jour, devoirs de la semaine planifiés.",
    "Lecture et questions de compréhension.",
]

# Plots: the contacts of a case, in order: (kind, result, supports handed over during that contact)
Plot = list[tuple[str, str, list[str]]]
PLOTS: dict[str, Plot] = {
    "returned": [
        ("phone_call", "no_answer", []),
        ("home_visit", "reached_family", ["clas"]),
        ("meeting_at_centre", "reached_pupil", []),
        ("meeting_at_school", "reached_family", []),
    ],
    "returned_digital": [
        ("home_visit", "reached_family", ["tablet", "internet"]),
        ("video_call", "reached_pupil", []),
        ("meeting_at_centre", "reached_pupil", []),
        ("meeting_at_school", "reached_family", []),
    ],
    "returned_other": [
        ("message", "reached_family", []),
        ("meeting_at_centre", "reached_family", ["other", "clas"]),
        ("meeting_at_centre", "reached_pupil", []),
    ],
    "partial": [
        ("home_visit", "no_answer", []),
        ("home_visit", "reached_pupil", []),
        ("meeting_at_centre", "reached_family", ["clas"]),
        ("phone_call", "reached_family", []),
    ],
    "referred": [
        ("phone_call", "reached_family", []),
        ("home_visit", "reached_family", []),
        ("partner_meeting", "reached_family", ["pre"]),
    ],
    "referred_mlds": [
        ("home_visit", "reached_pupil", []),
        ("partner_meeting", "reached_family", ["mlds"]),
    ],
    "moved_away": [("phone_call", "wrong_details", []), ("home_visit", "moved_away", [])],
    "family_declined": [("phone_call", "reached_family", []), ("home_visit", "declined", [])],
    "unreachable": [
        ("phone_call", "no_answer", []),
        ("message", "no_answer", []),
        ("home_visit", "no_answer", []),
        ("home_visit", "no_answer", []),
        ("phone_call", "wrong_details", []),
    ],
    "active": [
        ("phone_call", "reached_family", []),
        ("home_visit", "reached_family", ["clas"]),
        ("meeting_at_centre", "reached_pupil", []),
    ],
    "active_digital": [("home_visit", "reached_family", ["pc"]), ("video_call", "reached_pupil", [])],
    "active_smartphone": [
        ("message", "no_answer", []),
        ("home_visit", "reached_family", ["smartphone"]),
        ("meeting_at_centre", "reached_pupil", []),
    ],
    "stale": [("phone_call", "no_answer", []), ("home_visit", "reached_family", [])],
}
CLOSING_NOTES = {
    Outcome.RETURNED_TO_SCHOOL: "Retour en classe confirmé par le collège. Aide aux devoirs poursuivie au centre.",
    Outcome.PARTIAL_RETURN: "Présent{e} le matin uniquement ; point à refaire avec le collège au prochain trimestre.",
    Outcome.REFERRED: "Relais pris par le partenaire ; le centre reste disponible pour l'aide aux devoirs.",
    Outcome.MOVED_AWAY: "Famille partie de la commune ; le collège transmet le dossier au nouvel établissement.",
    Outcome.FAMILY_DECLINED: "La famille ne souhaite pas d'accompagnement. Coordonnées du centre laissées.",
    Outcome.UNREACHABLE: "Cinq tentatives sans réponse (visites, appels, SMS). Collège informé.",
}

# Calendar ---------------------------------------------------------------------------------------------------------

# School holidays, approximately (month, day) ranges: flags are only raised while school is in.
HOLIDAYS = [
    ((1, 1), (1, 4)),
    ((2, 14), (3, 1)),
    ((4, 11), (4, 26)),
    ((7, 4), (8, 31)),
    ((10, 17), (11, 1)),
    ((12, 19), (12, 31)),
]


def is_school_day(day: date) -> bool:
    return day.weekday() < 5 and not any(start <= (day.month, day.day) <= end for start, end in HOLIDAYS)


def school_year_start(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if char.isascii() and (char.isalnum() or char == "-")).lower()


class DemoClock:
    """Stands in for `django.utils.timezone.now` while the demo stories run."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@contextmanager
def demo_clock(start: datetime):
    clock = DemoClock(start)
    with mock.patch.object(timezone, "now", clock):
        yield clock


@dataclass
class DemoPupil:
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
    def __init__(self) -> None:
        self.rng = random.Random(DEMO_SEED)  # noqa: S311 (reproducible demo data, not security)
        self.real_now = timezone.now()
        self.latest = self.real_now - timedelta(hours=1)
        self.today = timezone.localdate(self.real_now)
        self.schools: dict[str, School] = {}
        self.centres: dict[str, Centre] = {}
        self.users: dict = {}
        self.pupils: dict[int, DemoPupil] = {}
        self.used_surnames: set[str] = set()
        self.clock: DemoClock | None = None

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
        joined = self.real_now - timedelta(days=300)
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
        with demo_clock(self.latest) as clock:
            self.clock = clock
            for flag_day, _index, scenario in plan:
                pupil = self.pupil(scenario, flag_day)
                flagged_at = self.moment(flag_day, self.rng.randint(8, 15), self.rng.choice([0, 15, 30, 45]))
                getattr(self, f"story_{scenario.story}")(scenario, pupil, flagged_at)
            self.clock = None

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

    def at(self, moment: datetime) -> datetime:
        """Moves the demo clock; the services then act at that moment."""
        moment = min(moment, self.latest)
        self.clock.moment = moment
        return moment

    def days_ago(self, days: float, hour: int) -> datetime:
        return self.later(self.real_now - timedelta(days=days), 0, hour)

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

    # the steps, each through a service, each at its moment

    def flag(self, scenario: Scenario, pupil: DemoPupil, flagged_at: datetime) -> Case:
        rng = self.rng
        self.at(flagged_at)
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
        )
        if not created:
            raise CommandError(f"Demo pupil {pupil.external_ref} already has an open case.")
        return case

    def school_notice(self, scenario: Scenario, case: Case, after: datetime, channel: str = "letter") -> None:
        """The collège informs the family on the day it flags the pupil."""
        moment = self.at(after + timedelta(hours=self.rng.randint(1, 4)))
        services.family_notice_record(
            actor=self.staff(scenario.school), case=case, on=timezone.localdate(moment), channel=channel
        )

    def route(self, case: Case, when: datetime, centre: str, note: str) -> Case:
        self.at(when)
        return services.case_route(actor=self.users["coordination"], case=case, centre=self.centres[centre], note=note)

    def accept(self, case: Case, when: datetime) -> Case:
        manager = CENTRE_MANAGERS.get(case.centre.name)
        self.at(when)
        case = services.case_accept(actor=self.accepter(case), case=case)
        if manager:
            self.at(when + timedelta(minutes=20))
            services.case_assign(actor=self.users[manager], case=case, animators=[self.animator(case)])
        return case

    def decline(self, case: Case, when: datetime, reason: str) -> Case:
        self.at(when)
        return services.case_decline(actor=self.accepter(case), case=case, reason=reason)

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
        actions: list[tuple[datetime, datetime, Callable[[], object]]] = []
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
            self.at(recorded_at)
            action()
        return last

    def contact_action(self, contact: dict, notice_in_person: bool) -> Callable[[], None]:
        def action() -> None:
            services.contact_log(**contact)
            if notice_in_person:
                on = timezone.localdate(contact["occurred_at"])
                services.family_notice_record(actor=contact["actor"], case=contact["case"], on=on, channel="in_person")

        return action

    def close(self, case: Case, pupil: DemoPupil, when: datetime, outcome: Outcome, actor=None) -> Case:
        self.at(when)
        note = CLOSING_NOTES[outcome].format(**self.words(pupil))
        return services.case_close(actor=actor or self.animator(case), case=case, outcome=outcome, note=note)

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
        self.at(moment)
        services.return_confirm(
            actor=self.staff(scenario.school), case=case, attendance=attendance, half_days_missed=half_days, on=day
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
        when = self.at(when)
        note = "{P} est revenu{e} en classe ; le collège assure le suivi.".format(**self.words(pupil))
        case = services.case_withdraw(actor=self.staff(scenario.school), case=case, note=note)
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
        self.at(self.later(confirmed or closed_at + timedelta(days=64), 2, 10))
        case = services.case_reopen(
            actor=self.users["coordination"],
            case=case,
            note="Le collège signale de nouvelles absences ; suivi à reprendre par le centre.",
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

    def summary(self) -> dict:
        by_status = dict(Case.objects.values_list("status").annotate(n=Count("pk")).order_by())
        return {
            "schools": School.objects.count(),
            "neighbourhoods": Neighbourhood.objects.count(),
            "centres": Centre.objects.count(),
            "accounts": get_user_model().objects.count(),
            "cases": Case.objects.count(),
            **{status: by_status.get(status, 0) for status in Status.values},
            "overdue": Case.objects.filter(overdue_q()).count(),
            "contacts": Contact.objects.count(),
            "tutoring": TutoringSession.objects.count(),
            "supports": Support.objects.count(),
            "notices": FamilyNotice.objects.count(),
            "returns": ReturnConfirmation.objects.count(),
        }


class Command(BaseCommand):
    help = _("Loads the demo data (SPEC §8). Idempotent; refuses to run with DEBUG off unless --force is given.")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force", action="store_true", help=_("Run even though DEBUG is off (the demo accounts share a password).")
        )

    def handle(self, *args, force: bool = False, **options) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real deployment. The demo data adds accounts whose password is "
                    "public. Use --force if you really want it here."
                )
            )
        started = time.monotonic()
        seeder = DemoSeeder()
        with transaction.atomic():
            seeder.seed_reference_data()
        created_cases = not seeder.demo_cases_exist()
        if created_cases:
            seeder.seed_cases()
        figures = seeder.summary()
        self.write_summary(figures, created_cases, time.monotonic() - started)

    def write_summary(self, figures: dict, created_cases: bool, seconds: float) -> None:
        write: Callable[[str], None] = self.stdout.write
        if not created_cases:
            write(str(_("Demo cases already present: left as they are.")))
        write(
            self.style.SUCCESS(
                _("Demo data ready in %(seconds).1f s (password of every demo account: %(password)s).")
                % {"seconds": seconds, "password": DEMO_PASSWORD}
            )
        )
        write(
            _("  %(schools)d schools, %(neighbourhoods)d neighbourhoods, %(centres)d centres, %(accounts)d accounts")
            % figures
        )
        write(
            _(
                "  %(cases)d cases: %(flagged)d flagged, %(routed)d routed, %(in_progress)d in progress, "
                "%(closed)d closed; %(overdue)d overdue"
            )
            % figures
        )
        write(
            _(
                "  %(contacts)d contacts, %(tutoring)d tutoring sessions, %(supports)d supports, "
                "%(notices)d family notices, %(returns)d return confirmations"
            )
            % figures
        )
