"""School staff's pages: flag a pupil (form and CSV import) and edit a flag, through the Django test client."""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from outreach import services
from outreach.csv_import import CSV_COLUMNS, MAX_UPLOAD_ROWS
from outreach.models import AccessLog, Case, Status
from outreach.roles import Role
from outreach.services import role_grant
from schools.models import Guardian, Pupil
from tests import factories

FLAG_URL = reverse("outreach:flag")
UPLOAD_URL = reverse("outreach:flag_upload")


@pytest.fixture
def client(client):
    """English pages whatever the French catalogue says: the assertions read the English source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def as_user(client, user):
    client.force_login(user)
    return client


def flag_post(**overrides):
    last_seen = (timezone.localdate() - timedelta(days=10)).isoformat()
    data = {
        "external_ref": "EL-100",
        "first_name": "Inès",
        "last_name": "Martin",
        "birth_date": "2013-03-14",
        "sex": "F",
        "level": "5e",
        "class_name": "5e B",
        "address": "12 rue des Tilleuls",
        "postcode": "59000",
        "city": "Lille",
        "neighbourhood": "Wazemmes",
        "guardians-TOTAL_FORMS": "2",
        "guardians-INITIAL_FORMS": "0",
        "guardians-MIN_NUM_FORMS": "0",
        "guardians-MAX_NUM_FORMS": "10",
        "guardians-0-name": "Samia Martin",
        "guardians-0-relationship": "mère",
        "guardians-0-phone": "0600000000",
        "guardians-0-email": "samia@example.org",
        "guardians-0-language": "arabe",
        "guardians-0-interpreter_needed": "on",
        "reasons": ["long_absence", "family_unreachable"],
        "details": "Absent depuis trois semaines.",
        "urgency": "high",
        "half_days_missed": "12",
        "last_seen_on": last_seen,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def field_block(html: str, field_id: str) -> str:
    """The `<div class="field">` block rendering the input whose id is given (the first input for choices)."""
    for block in re.split(r'<div class="field[ "]', html)[1:]:
        if f'id="{field_id}"' in block:
            return block
    raise AssertionError(f"no field {field_id} in the page")


def guardian_block(html: str, number: int) -> str:
    start = html.index(f'id="guardian-{number}"')
    return html[start : html.index("</fieldset>", start)]


def school_case(world, **kwargs):
    case = factories.CaseFactory(pupil=factories.PupilFactory(school=world.school), **kwargs)
    factories.CaseReasonFactory(case=case, reason="long_absence")
    return case


def csv_file(lines: list[str], *, delimiter: str = ",", bom: bool = False, name: str = "flags.csv"):
    text = "\r\n".join(lines) + "\r\n"
    raw = ("\ufeff" if bom else "") + text
    return SimpleUploadedFile(name, raw.encode("utf-8"), content_type="text/csv")


# Access ------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_school_staff_get_each_page_never_cached(client, world):
    case = school_case(world)
    as_user(client, world.school_staff)
    for url in (FLAG_URL, UPLOAD_URL, reverse("outreach:flag_edit", args=[case.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


@pytest.mark.django_db
def test_flag_page_offers_a_school_select_only_for_several_schools(client, world):
    as_user(client, world.school_staff)
    assert 'name="school"' not in client.get(FLAG_URL).content.decode()
    role_grant(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    html = client.get(FLAG_URL).content.decode()
    assert 'name="school"' in html and "Collège B" in html


@pytest.mark.django_db
def test_flag_page_lists_known_neighbourhoods_and_guardian_rows(client, world):
    html = as_user(client, world.school_staff).get(FLAG_URL).content.decode()
    assert '<datalist id="neighbourhood-names">' in html and '<option value="Wazemmes">' in html
    assert 'name="guardians-0-name"' in html and 'name="guardians-1-name"' in html
    assert "the family may read this note" in html
    assert "funders&#x27; statistics" in html


@pytest.mark.django_db
def test_other_schools_staff_get_404_on_edit(client, world):
    case = school_case(world)
    response = as_user(client, world.other_school_staff).get(reverse("outreach:flag_edit", args=[case.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["animator", "manager", "coordinator"])
def test_who_sees_the_case_but_may_not_edit_the_flag_gets_403(client, world, who):
    case = school_case(world, routed=True, centre=world.centre)
    url = reverse("outreach:flag_edit", args=[case.pk])
    as_user(client, getattr(world, who))
    assert client.get(reverse("outreach:case", args=[case.pk])).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, {"reasons": ["other"], "urgency": "high", "half_days_missed": "1"}).status_code == 403
    assert case.events.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["animator", "manager", "coordinator", "nobody"])
@pytest.mark.parametrize("url", [FLAG_URL, UPLOAD_URL, UPLOAD_URL + "?template=1"])
def test_who_may_not_flag_gets_403(client, world, who, url):
    as_user(client, getattr(world, who))
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, world):
    case = school_case(world)
    for url in (FLAG_URL, UPLOAD_URL, reverse("outreach:flag_edit", args=[case.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


# Flag a pupil ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_flag_creates_the_case_and_redirects_to_it(client, world):
    response = as_user(client, world.school_staff).post(FLAG_URL, flag_post())
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:case", args=[case.pk])
    assert "no-store" in response["Cache-Control"]
    assert case.school == world.school and case.centre == world.centre and case.status == Status.ROUTED
    assert sorted(case.reasons.values_list("reason", flat=True)) == ["family_unreachable", "long_absence"]
    assert case.urgency == "high" and case.half_days_missed == 12 and case.details == "Absent depuis trois semaines."
    pupil = case.pupil
    assert (pupil.external_ref, pupil.first_name, pupil.sex, pupil.level) == ("EL-100", "Inès", "F", "5e")
    guardian = Guardian.objects.get(pupil=pupil)
    assert guardian.name == "Samia Martin" and guardian.email == "samia@example.org" and guardian.interpreter_needed
    page = client.get(response["Location"])
    assert f"Pupil flagged: case {case.reference}." in page.content.decode()


@pytest.mark.django_db
def test_flag_for_the_second_of_two_schools(client, world):
    role_grant(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    as_user(client, world.school_staff)
    response = client.post(FLAG_URL, flag_post())
    assert response.status_code == 400
    assert "This field is required." in field_block(response.content.decode(), "id_school")
    response = client.post(FLAG_URL, flag_post(school=str(world.other_school.pk)))
    assert response.status_code == 302
    assert Case.objects.get().school == world.other_school


@pytest.mark.django_db
def test_a_form_error_keeps_everything_typed_and_shows_next_to_the_field(client, world):
    data = flag_post(last_name="", **{"guardians-1-name": "Karim Martin", "guardians-1-phone": "0611111111"})
    response = as_user(client, world.school_staff).post(FLAG_URL, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert not Case.objects.exists()
    assert "This field is required." in field_block(html, "id_last_name")
    assert 'aria-describedby="id_last_name_error"' in html
    for typed in (
        'value="EL-100"',
        'value="Inès"',
        'value="2013-03-14"',
        'value="12 rue des Tilleuls"',
        'value="Samia Martin"',
        'value="samia@example.org"',
        'value="Karim Martin"',
        'value="0611111111"',
        "Absent depuis trois semaines.",
        'value="12"',
    ):
        assert typed in html, typed
    assert re.search(r'value="long_absence"[^>]*checked', html)
    assert re.search(r'value="high"[^>]*checked', html)
    assert re.search(r'name="guardians-0-interpreter_needed"[^>]*checked', html)
    assert 'href="#id_last_name"' in html  # the error summary links to the field


@pytest.mark.django_db
def test_other_reason_without_details_is_an_error_on_details(client, world):
    response = as_user(client, world.school_staff).post(FLAG_URL, flag_post(reasons=["other"], details=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Describe the situation when the reason is &#x27;other&#x27;." in field_block(html, "id_details")
    assert 'value="Inès"' in html and 'value="Samia Martin"' in html
    assert not Case.objects.exists() and not Pupil.objects.exists()


@pytest.mark.django_db
def test_invalid_guardian_email_is_shown_in_that_guardian_row(client, world):
    data = flag_post(
        **{
            "guardians-0-name": "",
            "guardians-0-relationship": "",
            "guardians-0-phone": "",
            "guardians-0-email": "",
            "guardians-0-language": "",
            "guardians-0-interpreter_needed": None,
            "guardians-1-name": "Karim Martin",
            "guardians-1-email": "karim@",
        }
    )
    response = as_user(client, world.school_staff).post(FLAG_URL, data)
    html = response.content.decode()
    assert response.status_code == 400
    second_row = guardian_block(html, 2)
    assert "Enter a valid email address." in second_row and 'value="karim@"' in second_row
    assert "Enter a valid email address." not in guardian_block(html, 1)
    assert "Enter a valid email address." in field_block(html, "id_guardians-1-email")
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_a_guardian_row_without_a_name_is_an_error_in_that_row(client, world):
    data = flag_post(**{"guardians-0-name": ""})
    response = as_user(client, world.school_staff).post(FLAG_URL, data)
    assert response.status_code == 400
    assert "This field is required." in field_block(response.content.decode(), "id_guardians-0-name")


@pytest.mark.django_db
def test_an_unmapped_service_error_goes_on_top_in_an_alert(client, world, monkeypatch):
    from schools.domain_errors import InvalidInput

    def refuse(**kwargs):
        raise InvalidInput(fields={"pupil.school": ["The school is archived."]})

    monkeypatch.setattr(services, "case_flag", refuse)
    response = as_user(client, world.school_staff).post(FLAG_URL, flag_post())
    html = response.content.decode()
    assert response.status_code == 400
    summary = html[html.index('class="error-summary" role="alert"') :]
    assert "The school is archived." in summary[: summary.index("</div>")]


@pytest.mark.django_db
def test_add_a_guardian_keeps_everything_typed_without_errors(client, world):
    data = flag_post(last_name="", **{"add_guardian": "1"})
    response = as_user(client, world.school_staff).post(FLAG_URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="guardians-2-name"' in html and 'name="guardians-TOTAL_FORMS" value="3"' in html
    assert 'value="Samia Martin"' in html and 'value="Inès"' in html and "Absent depuis trois semaines." in html
    assert re.search(r'value="family_unreachable"[^>]*checked', html)
    assert "This field is required." not in html and "error-summary" not in html
    assert not Case.objects.exists()
    # The grown form submits like the first one.
    data = flag_post(**{"guardians-TOTAL_FORMS": "3", "guardians-INITIAL_FORMS": "2", "guardians-2-name": "Tata"})
    assert client.post(FLAG_URL, data).status_code == 302
    assert sorted(Guardian.objects.values_list("name", flat=True)) == ["Samia Martin", "Tata"]


@pytest.mark.django_db
def test_flagging_a_pupil_with_an_open_case_says_so_and_creates_no_duplicate(client, world, pupil_data):
    existing, _created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(external_ref="EL-100"), reasons=["long_absence"]
    )
    response = as_user(client, world.school_staff).post(FLAG_URL, flag_post(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("outreach:case", args=[existing.pk])
    assert f"This pupil already has an open case, {existing.reference}" in response.content.decode()
    assert Case.objects.count() == 1


# CSV import --------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csv_template_is_the_header_line(client, world):
    response = as_user(client, world.school_staff).get(UPLOAD_URL, {"template": "1"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").strip() == ";".join(CSV_COLUMNS)


@pytest.mark.django_db
def test_csv_page_documents_the_columns(client, world):
    html = as_user(client, world.school_staff).get(UPLOAD_URL).content.decode()
    for column in CSV_COLUMNS:
        assert f"<code>{column}</code>" in html
    assert "?template=1" in html and 'enctype="multipart/form-data"' in html


@pytest.mark.django_db
def test_csv_import_reports_each_row_and_a_bad_row_blocks_nothing(client, world, pupil_data):
    existing, _created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=pupil_data(external_ref="EL-3"), reasons=["long_absence"]
    )
    upload = csv_file(
        [
            "external_ref,first_name,last_name,birth_date,level,postcode,neighbourhood,guardian_name,guardian_email,"
            "reasons,details,half_days_missed",
            "EL-1,Inès,Martin,2013-03-14,5e,59000,Wazemmes,Samia Martin,samia@example.org,long_absence,,8",
            "EL-2,Léo,Petit,14/03/2012,4e,59000,,Paul Petit,paul@,other,,4",
            "EL-3,Inès,Martin,,5e,59000,Wazemmes,,,unjustified_absence,,",
        ]
    )
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": upload}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 flagged, 1 already open, 1 not imported." in html
    created = Case.objects.get(pupil__external_ref="EL-1")
    assert created.half_days_missed == 8 and created.pupil.guardians.get().email == "samia@example.org"
    assert not Pupil.objects.filter(external_ref="EL-2").exists()
    assert Case.objects.count() == 2
    rows = dict(re.findall(r"<tr class=\"import-\w+\">\s*<td[^>]*>(\d+)</td>(.*?)</tr>", html, re.S))
    assert created.reference in rows["2"] and "Flagged:" in rows["2"]
    assert "<code>guardian_email</code>: Enter a valid email address." in rows["3"]
    assert "<code>details</code>: Describe the situation" in rows["3"]
    assert "Already open:" in rows["4"] and existing.reference in rows["4"]


@pytest.mark.django_db
def test_csv_with_semicolons_bom_and_french_labels(client, world):
    upload = csv_file(
        [
            "external_ref;first_name;last_name;birth_date;sex;level;class_name;city;neighbourhood;reasons;urgency;"
            "last_seen_on;details",
            "EL-9;Amel;Benali;03/02/2012;fille;4ème;4e A;Lille;wazemmes;"
            "Absences injustifiées|Famille injoignable;haute;05/01/2026;Ne répond plus",
            '"EL-10";"Noé";"Durand";;M;SEGPA;;Lille;Moulins;"Pas d\u2019accès numérique; autre";;;'
            '"Plus de connexion, pas de PC"',
        ],
        bom=True,
    )
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": upload}, follow=True)
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "2 flagged, 0 already open, 0 not imported." in html
    first = Case.objects.get(pupil__external_ref="EL-9")
    assert sorted(first.reasons.values_list("reason", flat=True)) == ["family_unreachable", "unjustified_absence"]
    assert first.urgency == "high" and first.last_seen_on.isoformat() == "2026-01-05"
    assert (first.pupil.sex, first.pupil.level, first.pupil.birth_date.isoformat()) == ("F", "4e", "2012-02-03")
    assert first.centre == world.centre
    second = Case.objects.get(pupil__external_ref="EL-10")
    assert sorted(second.reasons.values_list("reason", flat=True)) == ["no_digital_access", "other"]
    assert second.centre == world.other_centre and second.details == "Plus de connexion, pas de PC"


@pytest.mark.django_db
def test_csv_import_for_one_of_several_schools_and_an_unexpected_row_failure(client, world, monkeypatch):
    role_grant(user=world.school_staff, role=Role.SCHOOL_STAFF, organisation=world.other_school)
    lines = ["external_ref,first_name,last_name,level,reasons", "EL-1,A,B,5e,long_absence", "EL-2,C,D,4e,behaviour"]
    as_user(client, world.school_staff)
    response = client.post(UPLOAD_URL, {"file": csv_file(lines)})
    assert response.status_code == 400 and "This field is required." in field_block(
        response.content.decode(), "id_school"
    )
    response = client.post(UPLOAD_URL, {"file": csv_file(lines), "school": str(world.other_school.pk)}, follow=True)
    assert "2 flagged, 0 already open, 0 not imported." in response.content.decode()
    assert sorted(Case.objects.values_list("school", "pupil__external_ref")) == [
        (world.other_school.pk, "EL-1"),
        (world.other_school.pk, "EL-2"),
    ]


@pytest.mark.django_db
def test_csv_import_unexpected_failure_writes_none_of_the_chunk_and_says_so(client, world, monkeypatch):
    lines = ["external_ref,first_name,last_name,level,reasons", "EL-1,A,B,5e,long_absence", "EL-2,C,D,4e,behaviour"]

    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "cases_flag_in_transaction", fail)
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": csv_file(lines)}, follow=True)
    html = response.content.decode()
    assert "The import stopped after 0 of 2 rows" in html
    assert "because of an error on our side" in html
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_csv_too_large_is_refused_clearly(client, world):
    header = ",".join(CSV_COLUMNS)
    big = SimpleUploadedFile("big.csv", (header + "\n" + "x" * (5 * 1024 * 1024)).encode(), content_type="text/csv")
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": big})
    assert response.status_code == 400
    assert "the limit is 5 MB" in field_block(response.content.decode(), "id_file")
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_csv_with_too_many_rows_is_refused_clearly(client, world):
    lines = ["external_ref,first_name,last_name,level,reasons"]
    lines += [f"EL-{n},A,B,5e,long_absence" for n in range(MAX_UPLOAD_ROWS + 1)]
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": csv_file(lines)})
    assert response.status_code == 400
    assert "more than 10000 rows" in field_block(response.content.decode(), "id_file")
    assert not Case.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"external_ref,first_name\nEL-1,A\n", "missing: last_name, level, reasons"),
        (b"external_ref,first_name,last_name,level,reasons\n", "no pupil under its first line"),
        (b"external_ref;first_name;last_name;level;reasons\nEL-1;Z\x81\x8d;B;5e;x\n", "neither UTF-8 nor Windows-1252"),
        (b"", "The submitted file is empty."),
    ],
)
def test_csv_file_errors_are_clear(client, world, content, message):
    upload = SimpleUploadedFile("flags.csv", content, content_type="text/csv")
    response = as_user(client, world.school_staff).post(UPLOAD_URL, {"file": upload})
    assert response.status_code == 400
    assert message in field_block(response.content.decode(), "id_file")


# Edit a flag -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_edit_form_is_prefilled_and_logs_the_read(client, world):
    last_seen = timezone.localdate() - timedelta(days=3)
    case = school_case(world, details="Absent depuis lundi.", last_seen_on=last_seen)
    html = as_user(client, world.school_staff).get(reverse("outreach:flag_edit", args=[case.pk])).content.decode()
    assert "Absent depuis lundi." in html and f'value="{last_seen.isoformat()}"' in html
    assert re.search(r'value="long_absence"[^>]*checked', html)
    assert AccessLog.objects.filter(case=case, user=world.school_staff, action="read_case").exists()
    # In French too, a date input gets an ISO date (the browser shows it in the user's format).
    url = reverse("outreach:flag_edit", args=[case.pk])
    assert f'value="{last_seen.isoformat()}"' in client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()


@pytest.mark.django_db
def test_edit_passes_only_the_changed_fields_and_redirects(client, world):
    case = school_case(world, details="Absent depuis lundi.")
    url = reverse("outreach:flag_edit", args=[case.pk])
    data = {"reasons": ["long_absence"], "details": "Absent depuis lundi.", "urgency": "high", "half_days_missed": "6"}
    response = as_user(client, world.school_staff).post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("outreach:case", args=[case.pk])
    assert "Flag updated." in response.content.decode()
    case.refresh_from_db()
    assert case.urgency == "high"
    assert AccessLog.objects.get(case=case, what="flag_updated").detail == "urgency"


@pytest.mark.django_db
def test_edit_errors_show_next_to_the_field(client, world):
    case = school_case(world)
    url = reverse("outreach:flag_edit", args=[case.pk])
    data = {"reasons": ["other"], "details": "", "urgency": "normal", "half_days_missed": "6"}
    response = as_user(client, world.school_staff).post(url, data)
    assert response.status_code == 400
    assert "Describe the situation" in field_block(response.content.decode(), "id_details")
    assert list(case.reasons.values_list("reason", flat=True)) == ["long_absence"]


@pytest.mark.django_db
def test_edit_a_closed_case_goes_back_to_the_case(client, world):
    case = school_case(world, closed=True)
    response = as_user(client, world.school_staff).get(reverse("outreach:flag_edit", args=[case.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("outreach:case", args=[case.pk])
    assert "only be edited while the case is open" in response.content.decode()
