"""A database out of reach: 503 with Retry-After (JSON under /api/, a page in the site's style elsewhere), never a
500 nor a hang; a deadlock is never called an outage; /healthz; request ids in responses and logs, and no personal
data in logged database errors.

The database is made to fail here by a query wrapper that raises the error the driver raises when the server is
gone, on SQLite and PostgreSQL alike. tests/test_database_faults.py does it for real, through a TCP proxy in front
of PostgreSQL.
"""

import logging
import sys

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from api.errors import database_unavailable
from config.request_log import NoPersonalDataFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def database_gone(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.fixture
def lenient_client():
    """A client that returns the error page instead of re-raising the view's exception, as a server does."""
    return Client(raise_request_exception=False)


def test_web_page_answers_503_in_the_sites_style_when_the_database_is_gone(lenient_client, world):
    lenient_client.force_login(world.school_staff)
    with connection.execute_wrapper(database_gone):
        response = lenient_client.get("/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "radar.css" in html and 'class="site-header"' in html
    assert "database" in html


def test_api_answers_503_json_with_retry_after_when_the_database_is_gone(lenient_client, world):
    lenient_client.force_login(world.school_staff)
    with connection.execute_wrapper(database_gone):
        response = lenient_client.get("/api/v1/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json()["code"] == "database_unavailable"


def test_api_answers_503_json_when_the_database_fails_before_the_view(lenient_client):
    """Token authentication queries the database in DRF, before any view code runs."""
    with connection.execute_wrapper(database_gone):
        response = lenient_client.get("/api/v1/cases/", HTTP_AUTHORIZATION="Token " + "a" * 64)
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


def _error_caused_by(sqlstate: str) -> OperationalError:
    cause = psycopg.errors.lookup(sqlstate)("server said so")
    error = OperationalError(str(cause))
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("sqlstate", "unavailable"),
    [("40P01", False), ("40001", False), ("57014", True), ("57P01", True), ("08006", True)],
    ids=["deadlock", "serialization", "statement timeout", "admin shutdown", "connection failure"],
)
def test_only_an_unreachable_or_overloaded_database_is_an_outage(sqlstate, unavailable):
    assert database_unavailable(_error_caused_by(sqlstate)) is unavailable


def test_a_deadlock_outside_a_service_is_a_500_never_a_503(lenient_client, world):
    def deadlock(execute, sql, params, many, context):
        raise _error_caused_by("40P01")

    lenient_client.force_login(world.school_staff)
    with connection.execute_wrapper(deadlock):
        response = lenient_client.get("/api/v1/cases/")
    assert response.status_code == 500


def test_healthz_is_200_and_says_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


def test_healthz_is_503_when_the_database_is_gone(client):
    with connection.execute_wrapper(database_gone):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_every_response_carries_a_request_id(client):
    first, second = client.get("/login/"), client.get("/api/v1/me/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_the_proxys_request_id_is_kept_when_it_is_a_plain_token_and_replaced_otherwise(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21")["X-Request-ID"] == "lb-7f3a9c21"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert replaced != "x\r\nSet-Cookie: a=b" and len(replaced) == 32


def test_log_lines_written_during_a_request_carry_its_id(lenient_client, world, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    lenient_client.force_login(world.school_staff)
    with caplog.at_level(logging.ERROR), connection.execute_wrapper(database_gone):
        response = lenient_client.get("/cases/")
    ids = {record.request_id for record in caplog.records}
    assert ids == {response["X-Request-ID"]}


def test_logged_database_errors_leave_out_the_values_postgresql_quotes():
    formatter = NoPersonalDataFormatter("%(message)s")
    try:
        raise OperationalError(
            'duplicate key value violates unique constraint "pupil_ref"\nDETAIL:  Key (last_name)=(Martin) exists.'
        )
    except OperationalError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = formatter.format(record)
    assert "duplicate key value" in text
    assert "Martin" not in text
