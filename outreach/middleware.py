from outreach.audit import request_ip


class RequestOriginMiddleware:
    """Makes the client address available to the access log for the duration of a request.

    Behind a load balancer, REMOTE_ADDR is the balancer; the proxy is expected to set
    REMOTE_ADDR correctly (e.g. gunicorn's --forwarded-allow-ips), not a header we would trust blindly.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)
