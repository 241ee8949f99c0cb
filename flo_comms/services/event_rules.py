"""Which outreach-event email goes to whom: the rules of `domain.md`, as pure functions.

| email          | open events                 | invite-only events |
|----------------|-----------------------------|--------------------|
| Confirmation   | yes                         | yes                |
| Approval       | -                           | yes                |
| Denial         | -                           | yes                |
| Update         | all registrants             | approved only      |
| Final schedule | all registrants             | approved only      |
| Reminder       | all registrants             | approved only      |
| Follow-up      | all registrants             | approved only      |
| Cancellation   | Virtual Chat only, when removed from a time slot (invite-only: approved only) |

Deleting an event sends no email at all. The confirmation is a
"Registration Confirmation" for someone who registered through the event's
link and a "Profile Request" for someone an admin added.

`hold_back_reason` answers "does this email go to this registrant?" with
None (it goes) or the reason it does not, in words an admin reads on the
event page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flo_comms.models import EmailKind, EventType, JoinedVia, ReviewState

BULK_KINDS: tuple[EmailKind, ...] = (
    EmailKind.EVENT_UPDATE,
    EmailKind.EVENT_FINAL_SCHEDULE,
    EmailKind.EVENT_REMINDER,
    EmailKind.EVENT_FOLLOW_UP,
)
"""Event emails that go to every eligible registrant at once, as a batch."""

EVENT_TYPE_LABELS = {
    EventType.IN_PERSON.value: "In-Person",
    EventType.WEBINAR.value: "Webinar",
    EventType.VIRTUAL_CHAT.value: "Virtual Chat",
}

EVENT_TYPE_WORDS = {
    EventType.IN_PERSON.value: "in-person event",
    EventType.WEBINAR.value: "webinar",
    EventType.VIRTUAL_CHAT.value: "virtual chat",
}
"""How an email names the event's type ("our webinar, ...")."""

JOINED_VIA_LABELS = {
    JoinedVia.LINK.value: "Registered via link",
    JoinedVia.MANUAL.value: "Added by an admin",
}

EVENT_DELETED = "The event was deleted: deleting an event sends no email."
_NO_QUICK_REVIEW = "Open events have no Quick Review, so they send no approval or denial."
_PENDING = "Pending in Quick Review: invite-only events email approved registrants only."
_DENIED = "Denied in Quick Review: invite-only events email approved registrants only."
_NOT_IN_SLOT = "Not in a time slot: a cancellation goes only to someone taken out of their slot."


@dataclass(frozen=True)
class Registrant:
    """What the rules need to know about one registrant."""

    joined_via: str
    review_state: str
    in_slot: bool = False


def confirmation_kind(joined_via: str) -> EmailKind:
    """The confirmation a new registrant gets: Registration Confirmation or Profile Request."""
    if joined_via == JoinedVia.LINK.value:
        return EmailKind.EVENT_REGISTRATION_CONFIRMATION
    return EmailKind.EVENT_PROFILE_REQUEST


def initial_review_state(invite_only: bool) -> ReviewState:
    """Invite-only registrants wait in Quick Review; open events take everyone."""
    return ReviewState.PENDING if invite_only else ReviewState.APPROVED


def no_cancellations_reason(event_type: str) -> str:
    label = EVENT_TYPE_LABELS.get(event_type, event_type)
    return f"{label} events send no cancellation emails; only virtual chats do."


def hold_back_reason(
    kind: EmailKind | str,
    *,
    event_type: str,
    invite_only: bool,
    event_deleted: bool,
    registrant: Registrant,
) -> str | None:
    """Whether an event email goes to a registrant: None if it does, else why not.

    Args:
        kind: The event email.
        event_type: "in_person", "webinar" or "virtual_chat".
        invite_only: Whether the event is invite-only.
        event_deleted: Whether the event is deleted.
        registrant: How they joined, their Quick Review state, and (for a
            cancellation) whether they were in a time slot.

    Returns:
        None when the email goes to them; otherwise the reason, for the event page.
    """
    kind = EmailKind(kind)
    if event_deleted:
        return EVENT_DELETED
    if kind in (EmailKind.EVENT_REGISTRATION_CONFIRMATION, EmailKind.EVENT_PROFILE_REQUEST):
        return None
    if kind in (EmailKind.EVENT_APPROVAL, EmailKind.EVENT_DENIAL):
        return None if invite_only else _NO_QUICK_REVIEW
    if kind == EmailKind.EVENT_CANCELLATION:
        if event_type != EventType.VIRTUAL_CHAT.value:
            return no_cancellations_reason(event_type)
        if not registrant.in_slot:
            return _NOT_IN_SLOT
    if invite_only and registrant.review_state == ReviewState.PENDING.value:
        return _PENDING
    if invite_only and registrant.review_state == ReviewState.DENIED.value:
        return _DENIED
    return None
