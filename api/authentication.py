"""A school information system's integration token (outreach/integrations.py): `Authorization: Integration <token>`.

Its account holds rights on its school only; this door narrows it further to what an information system needs:
flagging pupils and reading the school's cases.
"""

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from outreach.integrations import integration_authenticate

KEYWORD = "Integration"
ALLOWED = {("case-list", "GET"), ("case-list", "POST"), ("case-detail", "GET"), ("case-bulk", "POST")}


class IntegrationTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not parts or parts[0] != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Invalid integration token header."))
        token = integration_authenticate(parts[1], method=request.method, path=request.path)
        if token is None:
            raise AuthenticationFailed(_("Invalid, expired or revoked integration token."))
        match = request._request.resolver_match
        if match is None or (match.url_name, request.method) not in ALLOWED:
            raise PermissionDenied(_("An integration token may only flag pupils and read its school's cases."))
        return (token.account, token)

    def authenticate_header(self, request) -> str:
        return KEYWORD


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Integration <token>`: a school information system's token (flag pupils, read cases).",
        }
