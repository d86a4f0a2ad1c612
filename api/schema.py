"""OpenAPI: the error responses every operation can give, declared once (SPEC §5, "Errors").

Views declare what is particular to them (a 409 on a state transition, a 412 on a stale `If-Match`, a
403 on a read that checks a right) with `errors(...)`; `add_error_responses`, a drf-spectacular
postprocessing hook, adds what follows from the shape of the operation itself: 401 wherever credentials
are required, 400/413/415 wherever there is a body, 400 wherever there are query parameters, 404 wherever
there is a path parameter or a cursor, 403 on every write (permissions, and CSRF for browser sessions), 429 and 503
everywhere. `schemathesis` (.ci/schemathesis) checks the result against the running API.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from api.serializers import ErrorSerializer

ERROR_REF = {"$ref": "#/components/schemas/Error"}

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` holds the messages, keyed by field (`pupil.guardians.0.email`).",
    401: "No credentials, or an unknown, expired or revoked token.",
    403: "The caller may not do this (or a browser session's CSRF token is missing).",
    404: "Not found, or not visible to the caller.",
    409: "Not possible in the case's current state.",
    412: "The case changed since the `If-Match` ETag was read.",
    413: "The request body is too large.",
    415: "The body is not JSON.",
    429: "Throttled: see `Retry-After`.",
    503: "The database is unavailable: see `Retry-After`.",
}

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The case's `ETag` as last read: a stale one gets 412 instead of a lost update.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=True,
    description="Send it back in `If-Match` to change the case only if nobody changed it since.",
)

_WRITES = {"post", "put", "patch", "delete"}


def errors(*codes: int) -> dict:
    """Error responses for `extend_schema(responses=...)`."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


def _requires_credentials(operation: dict, document: dict) -> bool:
    security = operation.get("security", document.get("security", []))
    return bool(security) and {} not in security


def add_error_responses(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", _error_component())
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            locations = {parameter["in"] for parameter in parameters}
            codes = {429, 503}
            if _requires_credentials(operation, result):
                codes.add(401)
                if method in _WRITES:
                    codes.add(403)
            if "requestBody" in operation:
                codes |= {400, 413, 415}
                # A list body (bulk) cannot be left out; drf-spectacular only infers this for serializers.
                if operation["requestBody"]["content"]["application/json"]["schema"].get("type") == "array":
                    operation["requestBody"]["required"] = True
            if "query" in locations:
                codes.add(400)
            # A path that names nothing visible, or a cursor that points nowhere.
            if "path" in locations or any(parameter["name"] == "cursor" for parameter in parameters):
                codes.add(404)
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    str(code),
                    {"content": {"application/json": {"schema": ERROR_REF}}, "description": ERROR_DESCRIPTIONS[code]},
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


def _error_component() -> dict:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        },
        "required": ["code", "message"],
    }
