"""Routing that needs no reveal: neighbourhood names folded, a street list that turns an address into a
neighbourhood, and triage saying why it suggests a centre without showing the street."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from outreach import dashboard, services
from outreach.folding import fold, split_address, street_key
from outreach.models import Status, Street
from outreach.streets import import_streets
from tests import factories


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Lille-Sud", "lille sud"),
        ("  lille   sud ", "lille sud"),
        ("Saint-Maurice Pellevoisin", "saint maurice pellevoisin"),
    ],
)
def test_names_fold_case_accents_hyphens_and_spaces(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("address", "number", "key"),
    [
        ("12 bis, rue des Postes", 12, "rue des postes"),
        ("12B rue des Postes", 12, "rue des postes"),
        ("3 av. J.-B. Lebas", 3, "avenue j b lebas"),
        ("Bd de la Liberté", None, "boulevard de la liberte"),
        ("", None, ""),
    ],
)
def test_an_address_gives_a_number_and_a_street_key(address, number, key):
    assert split_address(address) == (number, key)
    assert street_key("Avenue Jean-Baptiste Lebas") == "avenue jean baptiste lebas"


@pytest.fixture
def lille_sud(world):
    """Two centres share postcode 59000, so the postcode alone suggests both."""
    neighbourhood = factories.NeighbourhoodFactory(name="Lille-Sud")
    factories.NeighbourhoodPostcodeFactory(neighbourhood=neighbourhood, postcode="59000")
    world.other_centre.neighbourhoods.add(neighbourhood)
    return neighbourhood


def _flag(world, **pupil):
    data = {"external_ref": "EL-S1", "first_name": "Inès", "last_name": "Martin", "level": "5e", **pupil}
    case, _created = services.case_flag(
        actor=world.school_staff, school=world.school, pupil=data, reasons=["long_absence"]
    )
    return case


@pytest.mark.django_db
def test_a_neighbourhood_written_another_way_routes_the_case(world, lille_sud):
    case = _flag(world, neighbourhood="lille sud", postcode="59000")
    assert case.status == Status.ROUTED and case.centre == world.other_centre


@pytest.mark.django_db
def test_the_street_list_routes_an_address_without_a_neighbourhood(world, lille_sud):
    report = import_streets(
        [
            {"numero": "2", "nom_voie": "Rue du Faubourg des Postes", "code_postal": "59000", "quartier": "Lille Sud"},
            {
                "numero": "140",
                "nom_voie": "Rue du Faubourg des Postes",
                "code_postal": "59000",
                "quartier": "lille-sud",
            },
            {"numero": "142", "nom_voie": "Rue du Faubourg des Postes", "code_postal": "59000", "quartier": "Wazemmes"},
            {"numero": "", "nom_voie": "Rue d'Arras", "code_postal": "59000", "quartier": "Nulle Part"},
        ]
    )
    assert (report.streets, report.rows) == (2, 4)
    [(line, message)] = report.errors
    assert line == 5 and "Nulle Part" in message
    stretch = Street.objects.get(neighbourhood=lille_sud)
    assert (stretch.number_from, stretch.number_to, stretch.name_key) == (2, 140, "rue du faubourg des postes")

    south = _flag(world, external_ref="EL-S2", postcode="59000", address="77 bis rue du Fbg des Postes")
    assert south.status == Status.ROUTED and south.centre == world.other_centre
    north = _flag(world, external_ref="EL-S3", postcode="59000", address="142, rue du Faubourg des Postes")
    assert north.status == Status.ROUTED and north.centre == world.centre
    # Past the numbers the list knows, neither stretch answers; the postcode names two centres: triage.
    beyond = _flag(world, external_ref="EL-S4", postcode="59000", address="400 rue du Faubourg des Postes")
    assert beyond.status == Status.FLAGGED


@pytest.mark.django_db
def test_an_import_replaces_the_streets_of_the_neighbourhoods_it_names(world, lille_sud):
    import_streets([{"nom_voie": "Rue A", "code_postal": "59000", "quartier": "Lille-Sud"}])
    import_streets([{"nom_voie": "Rue B", "code_postal": "59000", "quartier": "Wazemmes"}])
    import_streets([{"nom_voie": "Rue C", "code_postal": "59000", "quartier": "Lille-Sud"}])
    assert sorted(Street.objects.values_list("name", flat=True)) == ["Rue B", "Rue C"]


@pytest.mark.django_db
def test_triage_says_why_it_suggests_a_centre_and_never_shows_the_street(client, world, lille_sud):
    Street.objects.create(neighbourhood=lille_sud, name="Rue de l'Europe", postcode="59000")
    by_street = factories.CaseFactory(
        pupil=factories.PupilFactory(
            school=world.school, neighbourhood="", postcode="59000", address="9 rue de l'Europe"
        ),
        school=world.school,
        status=Status.FLAGGED,
    )
    by_postcode = factories.CaseFactory(
        pupil=factories.PupilFactory(school=world.school, neighbourhood="", postcode="59000", address=""),
        school=world.school,
        status=Status.FLAGGED,
    )
    client.force_login(world.coordinator)
    html = client.get(reverse("outreach:triage"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Neighbourhood Lille-Sud, found from the pupil's street." in html
    assert "From the postcode alone: the neighbourhood is not known." in html
    assert "Europe" not in html
    assert by_street.reference in html and by_postcode.reference in html


@pytest.mark.django_db
def test_the_triage_page_costs_the_same_queries_whatever_its_rows(client, world, lille_sud, django_assert_num_queries):
    Street.objects.create(neighbourhood=lille_sud, name="Rue de l'Europe", postcode="59000")

    def add_cases(count):
        for _n in range(count):
            pupil = factories.PupilFactory(
                school=world.school, neighbourhood="", postcode="59000", address="9 rue de l'Europe"
            )
            factories.CaseFactory(pupil=pupil, school=world.school, status=Status.FLAGGED)

    client.force_login(world.coordinator)
    add_cases(2)
    url = reverse("outreach:triage")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_cases(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


@pytest.mark.django_db
def test_coverage_suggestion_bases(world, lille_sud):
    from types import SimpleNamespace

    coverage = dashboard.coverage()
    named = coverage.suggest(SimpleNamespace(neighbourhood="LILLE SUD", postcode="", address=""))
    assert (named.basis, named.neighbourhood, named.centres) == ("neighbourhood", "Lille-Sud", [world.other_centre])
    postcode = coverage.suggest(SimpleNamespace(neighbourhood="", postcode="59000", address=""))
    assert postcode.basis == "postcode" and postcode.neighbourhood == "" and len(postcode.centres) == 2


# The admin's import ----------------------------------------------------------------------------------------------

IMPORT_URL = "/admin/outreach/street/import/"


def _upload(text: str, encoding: str = "cp1252"):
    return SimpleUploadedFile("adresses-59.csv", text.encode(encoding), content_type="text/csv")


@pytest.mark.django_db
def test_the_admin_imports_a_ban_file_in_windows_1252(client, world, lille_sud, admin_user):
    client.force_login(admin_user)
    ban = (
        "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;quartier\r\n"
        "59350_1;59350_0001;1;;Rue de Cambrai;59000;59350;Lille;Lille-Sud\r\n"
        "59350_2;59350_0001;51;bis;Rue de Cambrai;59000;59350;Lille;Lille-Sud\r\n"
        "59350_3;59350_0002;4;;Place Déliot;59000;59350;Lille;Wazemmes\r\n"
    )
    response = client.post(IMPORT_URL, {"file": _upload(ban)}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "2 streets of 2 neighbourhoods imported from 3 rows." in response.content.decode()
    assert Street.objects.get(name="Place Déliot").neighbourhood == world.neighbourhood
    assert Street.objects.get(name="Rue de Cambrai").number_to == 51


@pytest.mark.django_db
def test_the_admin_import_refuses_a_file_without_the_columns(client, admin_user):
    client.force_login(admin_user)
    response = client.post(IMPORT_URL, {"file": _upload("voie,cp\nx,1\n")}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "must name the columns nom_voie, code_postal and quartier" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "coordinator", "school_staff"])
def test_only_the_admin_imports_streets(client, world, who):
    if who != "anonymous":
        client.force_login(getattr(world, who))
    response = client.post(IMPORT_URL, {"file": _upload("nom_voie;code_postal;quartier\r\nRue A;59000;Wazemmes\r\n")})
    assert response.status_code in (302, 403)
    assert not Street.objects.exists()
