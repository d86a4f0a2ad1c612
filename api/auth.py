"""The fixed cost of every API request: the token in one query, the throttle off the database.

knox's own authentication reads the token with its user (one query), then every other token of that user to
delete the expired ones (a second query on every request). Here a request reads its own token only; the user's
expired tokens are deleted when they log in again (`TokenView`). Tokens are not refreshed on use
(`REST_KNOX["AUTO_REFRESH"]` stays off): a token expires `RADAR_TOKEN_TTL_HOURS` after login, whatever its use,
so a request never writes.

The throttles keep their history in the `throttle` cache (Redis when `REDIS_URL` is set, else this process's
memory), never in the database.
"""

from django.core.cache import caches
from django.utils import timezone
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired
from rest_framework.throttling import ScopedRateThrottle, UserRateThrottle


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """Whether the token has expired (then deleted); the user's other tokens are left to the next login."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class UserThrottle(UserRateThrottle):
    cache = caches["throttle"]


class LoginThrottle(ScopedRateThrottle):
    cache = caches["throttle"]
    scope_attr = "throttle_scope"
