"""Outgoing mail sent by the task worker, so a request never waits on the mail server.

A password reset asked for a known address and one asked for an unknown address then take the same time to
answer: the response does not tell whether an account exists.
"""

from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django_tasks import task


@task()
def email_send(*, subject: str, body: str, to: str, from_email: str | None = None) -> None:
    EmailMultiAlternatives(subject, body, from_email, [to]).send()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, its message rendered here and sent by the worker."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        email_send.enqueue(subject=subject, body=body, to=to_email, from_email=from_email)
