"""Keyset pages ("suivant / précédent") for web lists: each page is one indexed range read, whatever its depth."""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

# Counting every row of a large list costs as much as reading it: past this, a page says "more than".
COUNT_CAP = 1000


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    count: int
    count_capped: bool


def _encode(direction: str, value: datetime, pk) -> str:
    return base64.urlsafe_b64encode(f"{direction}|{value.isoformat()}|{pk}".encode()).decode()


def _decode(cursor: str) -> tuple[str, datetime, uuid.UUID] | None:
    try:
        direction, value, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if direction not in ("after", "before"):
            return None
        return direction, datetime.fromisoformat(value), uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def keyset_page(queryset: QuerySet, *, ordering: str, cursor: str | None, size: int) -> Page:
    """One page of `queryset` in `ordering` (a datetime column, `-` for newest first, the primary key breaking
    ties); `cursor` is a page's `next_cursor` or `previous_cursor`. A cursor that does not decode is the first page."""
    descending, column = ordering.startswith("-"), ordering.lstrip("-")
    position = _decode(cursor) if cursor else None
    backwards = position is not None and position[0] == "before"
    # Walking backwards reads the rows before the cursor in the opposite order, then turns them round.
    reverse = descending != backwards
    order = [f"-{column}", "-pk"] if reverse else [column, "pk"]
    page = queryset
    if position is not None:
        _direction, value, pk = position
        beyond = "lt" if reverse else "gt"
        page = page.filter(Q(**{f"{column}__{beyond}": value}) | Q(**{column: value, f"pk__{beyond}": pk}))
    rows = list(page.order_by(*order)[: size + 1])
    more, rows = len(rows) > size, rows[:size]
    if backwards:
        rows.reverse()
    # Only the keys: the rows' annotations (counts, overdue flags) would be computed for every counted row.
    counted = queryset.order_by().values("pk")[: COUNT_CAP + 1].count()
    has_next = more if not backwards else True
    has_previous = (more if backwards else position is not None) and bool(rows)
    return Page(
        rows=rows,
        next_cursor=_encode("after", getattr(rows[-1], column), rows[-1].pk) if has_next and rows else None,
        previous_cursor=_encode("before", getattr(rows[0], column), rows[0].pk) if has_previous else None,
        count=min(counted, COUNT_CAP),
        count_capped=counted > COUNT_CAP,
    )
