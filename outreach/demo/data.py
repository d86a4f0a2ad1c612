"""The demo data of SPEC §8 as plain data: the reference data, and the material the demo stories are told with.

Reference data (schools, neighbourhoods, centres, accounts) is what the seeder upserts on every run. The rest is
what `outreach.demo.story` draws from, with a fixed random seed, to write the demo cases: one scenario per case,
the families the pupils come from, and the wording of flags, contacts, tutoring sessions and closings.
"""

from dataclasses import dataclass

from outreach.models import Outcome
from outreach.roles import Role

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
    Scenario(21, "marronniers", "Moulins", "details_to_check", 27),
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
        "Visite à domicile en fin d'après-midi : pas de réponse à l'interphone.",
    ],
    ("home_visit", "absent_notice_left"): [
        "Passage au domicile vers 17 h 30, personne n'a ouvert. Avis de passage laissé avec le numéro du centre.",
        "Visite à domicile : personne au domicile. Carte du centre déposée dans la boîte aux lettres.",
    ],
    ("home_visit", "appointment_made"): [
        "Visite à domicile, échange rapide avec {g} : rendez-vous pris au centre mercredi à 14 h.",
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
    ("phone_call", "appointment_made"): [
        "Appel avec {g} : rendez-vous fixé au centre la semaine prochaine.",
    ],
    ("phone_call", "reached_family"): [
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
        ("home_visit", "absent_notice_left", []),
        ("phone_call", "appointment_made", []),
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
        ("home_visit", "absent_notice_left", []),
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
    # The centre cannot reach the family: the school is asked to check the contact details.
    "details_to_check": [
        ("phone_call", "no_answer", []),
        ("home_visit", "absent_notice_left", []),
        ("phone_call", "no_answer", []),
    ],
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
