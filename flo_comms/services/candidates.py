"""Reading candidates: the searchable, paginated directory."""

from __future__ import annotations

import base64
import json

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from flo_comms.errors import Invalid
from flo_comms.models import Candidate
from flo_comms.schemas import CandidatePage, CandidateRow

MAX_SEARCH_LENGTH = 100
MAX_PAGE_SIZE = 100


def _encode_cursor(row: Candidate) -> str:
    raw = json.dumps([row.last_name, row.first_name, row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[str, str, int]:
    try:
        last, first, ident = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not (isinstance(last, str) and isinstance(first, str) and isinstance(ident, int)):
            raise TypeError
    except (ValueError, TypeError) as exc:
        raise Invalid("This page link is no longer valid; start from the first page.") from exc
    return last, first, ident


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_filter(search: str) -> sa.ColumnElement[bool] | None:
    words = search.split()
    if not words:
        return None
    full_name = col(Candidate.first_name) + " " + col(Candidate.last_name)
    clauses = []
    for word in words:
        pattern = _like_pattern(word)
        clauses.append(
            sa.or_(
                full_name.ilike(pattern, escape="\\"),
                col(Candidate.email).ilike(pattern, escape="\\"),
            )
        )
    return sa.and_(*clauses)


def list_candidates(
    *,
    session: Session,
    search: str = "",
    after: str | None = None,
    before: str | None = None,
    limit: int = 25,
) -> CandidatePage:
    """A page of candidates by last name, first name, filtered by a name or email search.

    Args:
        session: An open session.
        search: Words that must each appear in the name or the email (any case).
        after: Cursor of the last row of the previous page, to go forward.
        before: Cursor of the first row of the next page, to go back.
        limit: Rows per page (1 to 100).

    Returns:
        The page, with cursors for the pages before and after it.

    Raises:
        Invalid: On a search that is too long, a bad limit or a corrupt cursor.
    """
    if not isinstance(search, str) or len(search) > MAX_SEARCH_LENGTH:
        raise Invalid(f"Search for at most {MAX_SEARCH_LENGTH} characters.")
    if not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid(f"Page size must be between 1 and {MAX_PAGE_SIZE}.")
    if after and before:
        raise Invalid("Ask for the page after or before a row, not both.")

    where = _search_filter(search)
    key = sa.tuple_(col(Candidate.last_name), col(Candidate.first_name), col(Candidate.id))
    query = select(Candidate)
    if where is not None:
        query = query.where(where)
    backwards = False
    if after:
        query = query.where(key > sa.tuple_(*_decode_cursor(after)))
    elif before:
        query = query.where(key < sa.tuple_(*_decode_cursor(before)))
        backwards = True
    order = (Candidate.last_name, Candidate.first_name, Candidate.id)
    if backwards:
        query = query.order_by(*(col(c).desc() for c in order))
    else:
        query = query.order_by(*order)
    found = list(session.exec(query.limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    if backwards:
        found.reverse()

    count_query = select(func.count()).select_from(Candidate)
    if where is not None:
        count_query = count_query.where(where)
    total = session.exec(count_query).one()

    rows = [
        CandidateRow(
            id=c.id,
            name=f"{c.first_name} {c.last_name}",
            email=c.email,
            phone=c.phone or "",
            law_school=c.law_school or "",
        )
        for c in found
    ]
    if not found:
        return CandidatePage(rows=[], next_cursor=None, prev_cursor=None, total=total)
    has_next = more if not backwards else True
    has_prev = more if backwards else bool(after)
    return CandidatePage(
        rows=rows,
        next_cursor=_encode_cursor(found[-1]) if has_next else None,
        prev_cursor=_encode_cursor(found[0]) if has_prev else None,
        total=total,
    )
