"""The family information notice (GDPR art. 14): its text per language, edited by the coordinators and printed for
a case. Whether families are informed in time is a selector (selectors.family_notice_compliance)."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from outreach.access import AccessScope, require_coordinator
from outreach.audit import access_log_write
from outreach.models import AccessAction, Case, FamilyNoticeText, NoticeLanguage
from outreach.services import entry_point
from schools.domain_errors import InvalidInput

# Filled in by hand on the printed notice where Radar does not know the value yet (no centre before routing).
BLANK = "__________"


def notice_texts() -> list[FamilyNoticeText]:
    """Every language's text, in the order of NoticeLanguage (French first)."""
    texts = {text.language: text for text in FamilyNoticeText.objects.all()}
    return [texts[language] for language in NoticeLanguage.values if language in texts]


def notice_for_case(case: Case, language: str) -> str:
    """The notice in that language (French when it has no text), filled in for the case: its school, centre and
    reference, who is responsible, and how long the case is kept. Nothing about the pupil."""
    text = (
        FamilyNoticeText.objects.filter(language=language).values_list("text", flat=True).first()
        or FamilyNoticeText.objects.filter(language=NoticeLanguage.FRENCH).values_list("text", flat=True).first()
        or ""
    )
    values = {
        "college": case.school.name,
        "centre": case.centre.name if case.centre else BLANK,
        "reference": case.reference,
        "publisher": settings.RADAR_PUBLISHER or BLANK,
        "dpo": settings.RADAR_DPO_CONTACT or BLANK,
        "retention_months": str(settings.RADAR_CASE_RETENTION_MONTHS),
    }
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


@entry_point
def family_notice_text_update(
    *, actor, language: str, text: str, scope: AccessScope, now: datetime | None = None
) -> FamilyNoticeText:
    """A coordinator rewrites the notice in one language. Logged."""
    now = now or timezone.now()
    require_coordinator(scope)
    if language not in NoticeLanguage.values:
        raise InvalidInput(fields={"language": [_("Unknown language.")]})
    text = (text or "").strip()
    limit = FamilyNoticeText._meta.get_field("text").max_length or 0
    if not text:
        raise InvalidInput(fields={"text": [_("Write the notice.")]})
    if len(text) > limit:
        raise InvalidInput(fields={"text": [_("At most %(count)d characters.") % {"count": limit}]})
    notice, _created = FamilyNoticeText.objects.update_or_create(
        language=language, defaults={"text": text, "updated_at": now, "updated_by": actor}
    )
    access_log_write(user=actor, action=AccessAction.WRITE, what="family_notice_text", detail=language, at=now)
    return notice
