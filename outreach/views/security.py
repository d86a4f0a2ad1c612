"""Account security pages: the lockout notice (and, below, the password and second-factor pages)."""

from django.shortcuts import render

from outreach.lockout import lockout_retry_at


def locked_out(request, original_response=None, credentials=None):
    """Axes' lockout answer (AXES_LOCKOUT_CALLABLE): says when the login may be tried again."""
    return render(request, "registration/locked.html", {"retry_at": lockout_retry_at(request, credentials)}, status=429)
