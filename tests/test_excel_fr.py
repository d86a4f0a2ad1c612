"""Excel-FR both ways: the files a collège's spreadsheet writes are imported, and every CSV Radar writes has a
format a French spreadsheet opens in columns, with numbers it can add up."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outreach.csv_import import CSV_COLUMNS, FRENCH_HEADERS
from outreach.exports import EXCEL, STANDARD, csv_cell
from outreach.models import Case, Outcome
from schools.models import Pupil
from tests import factories

UPLOAD_URL = reverse("outreach:flag_upload")

# What Excel-FR writes for "CSV (séparateur : point-virgule)": Windows-1252, semicolons, the headers a CPE types.
EXCEL_FR_LINES = [
    "Numéro élève;Prénom;Nom;Date de naissance;Niveau;Classe;Code postal;Quartier;"
    "Responsable 1 nom;Responsable 1 lien;Responsable 1 téléphone;Responsable 1 langue;Responsable 1 interprète;"
    "Responsable 2 nom;Responsable 2 téléphone;Responsable 2 courriel;Motifs;Demi-journées manquées",
    "EL-20;Zoé;Lefèvre;14/03/2013;5e;5e B;59000;Wazemmes;"
    "Fatoumata Diallo;Mère;06 12 34 56 78;Soninké;oui;"
    "Mamadou Diallo;07 98 76 54 32;;Absences injustifiées;12",
    "EL-21;Noé;Bernard;;4e;;59000;Wazemmes;Anne Bernard;Mère;06 00 00 00 01;;non;Luc Bernard;;luc@;Décrochage;",
]


def upload(lines: list[str], *, encoding: str = "cp1252", name: str = "export.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, ("\r\n".join(lines) + "\r\n").encode(encoding), content_type="text/csv")


def post(client, user, file, language="fr"):
    client.force_login(user)
    return client.post(UPLOAD_URL, {"file": file}, HTTP_ACCEPT_LANGUAGE=language)


@pytest.mark.django_db
def test_a_windows_1252_file_with_french_headers_and_two_guardians_is_imported(client, world):
    response = post(client, world.school_staff, upload(EXCEL_FR_LINES), language="en")
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "1 flagged, 0 already open, 1 not imported." in html
    case = Case.objects.get(pupil__external_ref="EL-20")
    assert (case.pupil.first_name, case.pupil.last_name, case.half_days_missed) == ("Zoé", "Lefèvre", 12)
    guardians = list(case.pupil.guardians.order_by("name").values_list("name", "language", "interpreter_needed"))
    assert guardians == [("Fatoumata Diallo", "Soninké", True), ("Mamadou Diallo", "", False)]
    assert case.centre == world.centre
    # The bad row is reported against the column as the file names it, the second guardian's email.
    assert not Pupil.objects.filter(external_ref="EL-21").exists()
    assert "<code>Responsable 2 courriel</code>: Enter a valid email address." in html


@pytest.mark.django_db
def test_excel_unicode_text_utf16_with_tabs_is_imported(client, world):
    lines = ["Numéro élève\tPrénom\tNom\tNiveau\tMotifs", "EL-30\tAïcha\tNaït\t6e\tAbsence longue"]
    response = post(client, world.school_staff, upload(lines, encoding="utf-16"), language="en")
    assert "1 flagged" in response.content.decode()
    assert Case.objects.get(pupil__external_ref="EL-30").pupil.first_name == "Aïcha"


@pytest.mark.django_db
def test_headers_are_recognised_whatever_their_case_accents_and_punctuation(client, world):
    lines = [
        "NUMERO ELEVE;prenom;NOM;niveau;motifs;"
        "Responsable 1 - Nom;Responsable 1 - Téléphone;Responsable 1 - Interprète",
        "EL-31;Ana;Sousa;3e;autre|décrochage;Rita Sousa;0611111111;peut-être",
    ]
    response = post(client, world.school_staff, upload(lines), language="en")
    html = response.content.decode()
    # Read, column by column: the interpreter cell is neither oui nor non, and "autre" needs facts.
    assert "<code>Responsable 1 - Interprète</code>: Write oui or non." in html
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_first_release_single_guardian_columns_still_work(client, world):
    lines = [
        "external_ref,first_name,last_name,level,reasons,guardian_name,guardian_phone",
        "EL-32,A,B,5e,behaviour,C,01",
    ]
    post(client, world.school_staff, upload(lines, encoding="utf-8"))
    assert Case.objects.get().pupil.guardians.get().name == "C"


@pytest.mark.django_db
def test_the_template_has_the_french_headers_for_a_french_reader(client, world):
    client.force_login(world.school_staff)
    french = client.get(UPLOAD_URL, {"template": "1"}, HTTP_ACCEPT_LANGUAGE="fr").content
    assert french.startswith("\ufeff".encode())
    header = french.decode("utf-8-sig").strip().split(";")
    assert header == [FRENCH_HEADERS[code] for code in CSV_COLUMNS]
    assert "Responsable 3 interprète" in header
    english = client.get(UPLOAD_URL, {"template": "1"}, HTTP_ACCEPT_LANGUAGE="en").content
    assert english.decode("utf-8-sig").strip().split(";") == list(CSV_COLUMNS)


@pytest.mark.django_db
def test_the_template_filled_in_excel_imports(client, world):
    client.force_login(world.school_staff)
    header = client.get(UPLOAD_URL, {"template": "1"}, HTTP_ACCEPT_LANGUAGE="fr").content.decode("utf-8-sig").strip()
    row = {code: "" for code in CSV_COLUMNS} | {
        "external_ref": "EL-40",
        "first_name": "Inès",
        "last_name": "Roux",
        "level": "6e",
        "reasons": "Absences perlées",
        "guardian3_name": "Karim Roux",
        "guardian3_phone": "0622222222",
        "guardian3_interpreter_needed": "Oui",
    }
    response = post(client, world.school_staff, upload([header, ";".join(row[code] for code in CSV_COLUMNS)]), "en")
    assert "1 flagged" in response.content.decode()
    assert Case.objects.get().pupil.guardians.get().interpreter_needed is True


@pytest.mark.django_db
def test_a_file_in_neither_encoding_is_refused_with_a_clear_message(client, world):
    file = SimpleUploadedFile("x.csv", b"external_ref;first_name\n\x81\x8d;x\n", content_type="text/csv")
    response = post(client, world.school_staff, file, language="en")
    assert response.status_code == 400
    assert "neither UTF-8 nor Windows-1252" in response.content.decode()


# Exports ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "csv_format", "cell"),
    [
        (124.0, EXCEL, "124,0"),
        (124.0, STANDARD, "124.0"),
        (-3, EXCEL, "-3"),
        ("-3", EXCEL, "'-3"),
        (True, EXCEL, "True"),
        (None, EXCEL, ""),
    ],
)
def test_numbers_are_numbers_in_the_format_and_text_is_safe(value, csv_format, cell):
    assert csv_cell(value, csv_format) == cell


def _closed_with_tutoring(world):
    pupil = factories.PupilFactory(school=world.school, neighbourhood="Wazemmes")
    case = factories.CaseFactory(
        pupil=pupil, closed=True, outcome=Outcome.RETURNED_TO_SCHOOL, centre=world.centre, school=world.school
    )
    factories.TutoringSessionFactory(case=case, duration_minutes=90)
    return case


def _rows(response, encoding="utf-8", delimiter=","):
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode(encoding)), delimiter=delimiter))


@pytest.mark.django_db
def test_the_funders_csv_for_excel_has_semicolons_a_bom_and_decimal_commas(client, world):
    _closed_with_tutoring(world)
    client.force_login(world.coordinator)
    url = reverse("outreach:funders_report")
    excel = client.get(url, {"format": "csv", "dialect": "excel"}, HTTP_ACCEPT_LANGUAGE="fr")
    raw, rows = _rows(excel, "utf-8-sig", ";")
    assert raw.startswith("\ufeff".encode())
    hours = next(row for row in rows if row[1] == "Heures suivies" or row[1] == "Hours attended")
    assert hours[2] == "1,5"
    standard = client.get(url, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="fr")
    raw, rows = _rows(standard)
    assert not raw.startswith("\ufeff".encode())
    assert next(row for row in rows if row[1] == hours[1])[2] == "1.5"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "dialect=excel" in page and "1,5" in page


@pytest.mark.django_db
def test_the_outcome_report_for_excel_on_the_web_and_the_api(client, world):
    _closed_with_tutoring(world)
    client.force_login(world.coordinator)
    web = client.get(reverse("outreach:reports"), {"group_by": "centre", "format": "csv", "dialect": "excel"})
    raw, rows = _rows(web, "utf-8-sig", ";")
    assert raw.startswith("\ufeff".encode()) and len(rows[0]) > 3
    api = client.get("/api/v1/reports/outcomes/?group_by=centre&format=csv&dialect=excel")
    raw, rows = _rows(api, "utf-8-sig", ";")
    assert raw.startswith("\ufeff".encode()) and rows[0][:3] == ["centre", "label", "total"]
