from outreach.audit import request_ip
from outreach.lockout import client_ip


class RequestOriginMiddleware:
    """Makes the client address available to the access log for the duration of a request.

    Behind a load balancer, REMOTE_ADDR is the balancer: the client's address is then read from X-Forwarded-For,
    and only when the peer is one of RADAR_TRUSTED_PROXIES (outreach.lockout.client_ip).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
