"""One-time tokens against double submits of the web forms (a double tap, a slow network): the first POST of a
rendered form claims its token and writes; a replay of the same token writes nothing and is sent, with "Already
saved.", to what the first submit produced. A guard of the web door, not a domain rule: the services know nothing
of it and the API never uses it.

    {% load once %}<form method="post">{% csrf_token %}{% submission_token %}...</form>

    with once.claimed(request, pending=url_of_the_page) as submission:
        if submission.replay:
            return submission.replay
        ...  # validate, call the service (its own durable transaction)
        return redirect(submission.saved(url_of_what_was_created))

The claim is its own short transaction, committed before the service runs (services are durable atomic blocks,
which cannot be nested in an outer one). Leaving the block without `saved()` (form errors, a domain error, any
exception) releases the claim, so that correcting and resubmitting the same page works.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from outreach.models import SubmissionToken

FIELD = "submission"
# A claim may vanish between our failed insert and our read (the first submit failed and released it): try again.
CLAIM_ATTEMPTS = 3


def hidden_input() -> SafeString:
    """The hidden input of a form, with a fresh token each time it is rendered."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, uuid.uuid4())


class Submission:
    """One POST's hold on its token. `replay` is the answer to give when the token was already used by the same
    user; otherwise the POST goes on, and `row` is the claim it holds (None for a POST without a usable token)."""

    def __init__(self, row: SubmissionToken | None = None, replay: HttpResponseRedirect | None = None):
        self.row = row
        self.replay = replay
        self.done = False

    def saved(self, to: str) -> str:
        """The first submit succeeded: from now on a replay goes to `to`, which is returned."""
        self.done = True
        if self.row is not None:
            SubmissionToken.objects.filter(pk=self.row.pk).update(redirect_to=to)
        return to

    def release(self) -> None:
        """Nothing was saved: the same token may be submitted again."""
        if self.row is not None and not self.done:
            SubmissionToken.objects.filter(pk=self.row.pk).delete()
            self.row = None


def _token(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(FIELD, ""))
    except ValueError:
        return None


def claim(request, *, pending: str) -> Submission:
    """Claims the token of the POST for its user. A replay is answered with a redirect to what the first submit
    produced, or to `pending` while the first one has not finished.

    A POST without a token (a page opened before tokens existed) goes on unguarded, as before."""
    token = _token(request)
    if token is None:
        return Submission()
    for _attempt in range(CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                row = SubmissionToken.objects.create(token=token, user=request.user)
        except IntegrityError:
            pass
        else:
            return Submission(row=row)
        first = SubmissionToken.objects.filter(token=token).first()
        if first is None:
            continue
        if first.user_id != request.user.pk:
            # Another user's token: a fresh submit, unguarded, as if it carried none. Never "already saved": that
            # would send this user to someone else's record (which they may not see) and tell them it exists.
            # Not refused either: tokens are not credentials (the permission checks decide what this user may do),
            # a form rendered for this user always carries a token of their own, so this only happens to a copied
            # page, and refusing would throw away what they typed.
            return Submission()
        messages.info(request, _("Already saved."))
        return Submission(replay=HttpResponseRedirect(first.redirect_to or pending))
    return Submission()


@contextmanager
def claimed(request, *, pending: str) -> Iterator[Submission]:
    """`claim()` for the block; the claim is released on leaving it unless `saved()` was called."""
    submission = claim(request, pending=pending)
    try:
        yield submission
    finally:
        submission.release()
