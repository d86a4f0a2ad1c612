"""The floor's case list as a WSGI app, served by the same gunicorn as Radar for the throughput measure."""

import os
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import floor

SECRET = os.environ["SECRET_KEY"].encode()
local = threading.local()


def _connection():
    if getattr(local, "conn", None) is None:
        local.conn = floor.floor_connection()
    return local.conn


def application(environ, start_response):
    conn = _connection()
    token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Token ")
    if not environ.get("PATH_INFO", "").startswith("/api/v1/cases/") or not token:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"code": "not_found"}']
    size = int(parse_qs(environ.get("QUERY_STRING", "")).get("page_size", ["50"])[0])
    body = floor.case_list(conn, token, page_size=min(size, 200), secret=SECRET)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
