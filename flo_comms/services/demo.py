"""Demo data: the cast of the feature description, and enough around it to fill every screen.

`seed_demo` fills an empty database with admins Cynthia and Isabel, members
who lead hiring, Diana Allen (submitted by Bill Walter of Momentum Search
Partners) and about forty other law students and lawyers, six jobs with
applications and their status history, four outreach events, and six months
of communications: logged calls, emails and coffee chats, and the system
emails the rules would have sent, each with its delivered outbox row.

The data is a function of `now` alone (a fixed random seed), so two runs at
the same `now` produce the same rows.
"""

from __future__ import annotations

import hashlib
import random
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, func, select

from flo_comms.errors import Invalid
from flo_comms.models import (
    Agency,
    AgencyContact,
    Application,
    ApplicationStatus,
    ApplicationStatusChange,
    ApplicationUpdateToken,
    Candidate,
    CandidateSource,
    ClassYear,
    Communication,
    CommunicationOrigin,
    CommunicationType,
    EmailKind,
    EmailOutbox,
    EmailTemplate,
    EventEmailBatch,
    EventRegistration,
    EventSlotAssignment,
    EventTimeSlot,
    EventType,
    HeldBackEmail,
    Job,
    JobHiringLead,
    JoinedVia,
    Member,
    OutboxStatus,
    OutreachEvent,
    ParticipantRole,
    ReviewState,
    utcnow,
)
from flo_comms.schemas import DemoAccount
from flo_comms.services.communications import ParticipantSpec, write_communication
from flo_comms.services.defaults import (
    DEFAULT_STATUSES,
    UPDATE_APPLICATION_REQUEST_KEY,
    ensure_defaults,
    event_template_key,
    status_template_key,
)
from flo_comms.services.email_render import parse_address_list, render_template
from flo_comms.services.event_rules import Registrant, hold_back_reason
from flo_comms.services.job_emails import (
    UPDATE_REQUEST_TRIGGER,
    job_email_context,
    job_email_recipient,
    update_link,
)
from flo_comms.services.passwords import hash_password
from flo_comms.settings import settings

DEMO_PASSWORD = "demo-password"
"""The password of every demo account."""

RANDOM_SEED = 20_270_601

try:
    EASTERN = ZoneInfo("America/New_York")
except ZoneInfoNotFoundError:  # no tz database: fixed EST is close enough for demo text
    EASTERN = timezone(timedelta(hours=-5), "ET")


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "Cynthia Park", "cynthia@halewhitmore.example", "admin",
        "Director of Legal Recruiting",
    ),
    DemoAccount(
        "Isabel Moreno", "isabel@halewhitmore.example", "admin",
        "Legal Recruiting Manager",
    ),
    DemoAccount(
        "Marcus Reed", "marcus@halewhitmore.example", "member", "Litigation Partner",
    ),
    DemoAccount(
        "Priya Shah", "priya@halewhitmore.example", "member", "Corporate Partner",
    ),
)  # fmt: skip
"""The demo members, all with password `DEMO_PASSWORD`.

The first one's address is how a demo database is recognised.
"""


@dataclass(frozen=True)
class SeedReport:
    """What `seed_demo` created (all zero when it found the demo data already there)."""

    created: bool
    members: int = 0
    agency_contacts: int = 0
    candidates: int = 0
    jobs: int = 0
    applications: int = 0
    status_changes: int = 0
    events: int = 0
    registrations: int = 0
    communications: int = 0
    logged_communications: int = 0
    system_emails: int = 0

    def summary(self) -> str:
        """One line for a person: what was seeded."""
        if not self.created:
            return "Demo data already present; nothing changed."
        return (
            f"Seeded demo data: {self.candidates} candidates, {self.members} members, "
            f"{self.agency_contacts} agency contacts, {self.jobs} jobs, "
            f"{self.applications} applications ({self.status_changes} status changes), "
            f"{self.events} events ({self.registrations} registrations), "
            f"{self.communications} communications ({self.logged_communications} logged, "
            f"{self.system_emails} system emails)."
        )


# --- the cast -----------------------------------------------------------------

_SCHOOLS: dict[str, tuple[str, str, str]] = {
    # key: (name, short name, email domain)
    "harvard": ("Harvard Law School", "Harvard", "hls.harvard.example"),
    "columbia": ("Columbia Law School", "Columbia", "law.columbia.example"),
    "nyu": ("NYU School of Law", "NYU", "law.nyu.example"),
    "georgetown": ("Georgetown University Law Center", "Georgetown", "law.georgetown.example"),
    "berkeley": ("UC Berkeley School of Law", "Berkeley Law", "law.berkeley.example"),
    "howard": ("Howard University School of Law", "Howard", "law.howard.example"),
    "michigan": ("University of Michigan Law School", "Michigan", "umich.example"),
    "penn": ("University of Pennsylvania Carey Law School", "Penn Carey Law", "law.upenn.example"),
    "fordham": ("Fordham University School of Law", "Fordham", "law.fordham.example"),
    "stanford": ("Stanford Law School", "Stanford", "law.stanford.example"),
    "ucla": ("UCLA School of Law", "UCLA", "law.ucla.example"),
    "duke": ("Duke University School of Law", "Duke", "law.duke.example"),
}

_AREA_CODES = ("212", "646", "917", "202", "617", "415", "734", "215", "312", "919")

_PRACTICES = (
    "Litigation",
    "Corporate M&A",
    "Intellectual Property",
    "Antitrust",
    "Restructuring",
    "White Collar Defense",
    "Capital Markets",
    "Tax",
)
_LITIGATION_PRACTICES = frozenset(
    {"Litigation", "Intellectual Property", "Antitrust", "White Collar Defense"}
)
_ACTIVITIES = (
    "Law Review",
    "Moot Court Board",
    "Immigrant Rights Clinic",
    "Black Law Students Association",
    "Journal of Law & Technology",
    "Federal Defender Clinic",
    "Latinx Law Students Association",
    "Environmental Law Clinic",
    "Asian Pacific American Law Students Association",
    "Women in Law Association",
)


@dataclass(frozen=True)
class _Person:
    first: str
    last: str
    school: str
    year: str  # a ClassYear value
    source: str = CandidateSource.DIRECT.value
    agency: str | None = None  # key into _AGENCY_CONTACTS
    graduated: int | None = None  # graduation year of a lawyer


_DIANA = _Person("Diana", "Allen", "georgetown", "2L", "Agency", agency="bill")

_PEOPLE: tuple[_Person, ...] = (
    _DIANA,
    _Person("Aaliyah", "Johnson", "howard", "2L", "Event"),
    _Person("Benjamin", "Cho", "columbia", "2L"),
    _Person("Camila", "Reyes", "nyu", "2L", "Referral"),
    _Person("Daniel", "Okonkwo", "harvard", "3L"),
    _Person("Emily", "Nguyen", "berkeley", "2L"),
    _Person("Ethan", "Brooks", "michigan", "2L"),
    _Person("Fatima", "Rahman", "penn", "1L", "Event"),
    _Person("Gabriel", "Santos", "fordham", "2L", "Referral"),
    _Person("Hannah", "Goldberg", "columbia", "3L"),
    _Person("Isaiah", "Washington", "howard", "1L", "Event"),
    _Person("Jasmine", "Patel", "georgetown", "2L"),
    _Person("Kevin", "O'Brien", "fordham", "3L"),
    _Person("Laura", "Chen", "stanford", "2L"),
    _Person("Malik", "Thompson", "michigan", "1L", "Event"),
    _Person("Natalie", "Kim", "nyu", "1L"),
    _Person("Omar", "Haddad", "georgetown", "3L", "Referral"),
    _Person("Priscilla", "Osei", "penn", "2L", "Event"),
    _Person("Rachel", "Levy", "harvard", "2L"),
    _Person("Samuel", "Adeyemi", "duke", "2L"),
    _Person("Sofia", "Martinez", "ucla", "1L", "Event"),
    _Person("Tyler", "Bennett", "michigan", "3L"),
    _Person("Valentina", "Rossi", "columbia", "1L"),
    _Person("William", "Zhang", "berkeley", "3L"),
    _Person("Yasmin", "Ali", "nyu", "2L", "Event"),
    _Person("Zoe", "Campbell", "duke", "1L"),
    _Person("Andre", "Jackson", "howard", "2L", "Event"),
    _Person("Brianna", "Lopez", "ucla", "2L", "Referral"),
    _Person("Christopher", "Hayes", "penn", "3L"),
    _Person("Deepa", "Iyer", "stanford", "1L"),
    _Person("Elena", "Petrova", "georgetown", "1L", "Event"),
    _Person("Jamal", "Carter", "columbia", "2L"),
    _Person("Mei", "Tanaka", "berkeley", "1L", "Event"),
    _Person("Nathaniel", "Ford", "harvard", "1L"),
    _Person("Olivia", "Grant", "fordham", "2L"),
    _Person("Rohan", "Mehta", "michigan", "2L", "Referral"),
    _Person("Grace", "Sullivan", "nyu", "3L"),
    _Person("Keisha", "Robinson", "howard", "3L", "Event"),
    _Person("Lauren", "Whitfield", "columbia", "Graduate", "Agency", agency="bill", graduated=5),
    _Person("Michael", "Ferrante", "georgetown", "Graduate", "Agency", agency="renee", graduated=6),
    _Person("Sarah", "Kessler", "penn", "Graduate", "Agency", agency="renee", graduated=4),
    _Person("David", "Morales", "berkeley", "Graduate", "Referral", graduated=7),
    _Person("Anita", "Desai", "nyu", "Graduate", graduated=5),
    _Person("James", "Whitaker", "harvard", "Graduate", "Referral", graduated=4),
)

_AGENCIES = (
    # agency, key, contact, email, phone
    ("Momentum Search Partners", "bill", "Bill Walter", "bill.walter@momentumsearch.example",
     "(212) 555-0142"),
    ("Lexington Legal Search", "renee", "Renee Okafor", "rokafor@lexingtonlegal.example",
     "(202) 555-0187"),
)  # fmt: skip


@dataclass(frozen=True)
class _JobSpec:
    key: str
    name: str
    office: str
    department: str
    position_type: str
    process_year_offset: int  # added to the summer-program year
    class_years: tuple[str, ...]
    leads: tuple[int, ...]  # indexes into DEMO_ACCOUNTS
    opened_days_ago: int
    applied_days_ago: tuple[int, int]  # applications arrive in this window
    owner: int  # the admin who moves its applications along


def _job_specs(summer: int) -> tuple[_JobSpec, ...]:
    return (
        _JobSpec("ny-summer", f"{summer} Summer Associate Program - New York", "New York",
                 "Summer Associate Program", "Summer Associate", -1, ("2L",), (2, 0), 185,
                 (170, 110), 0),
        _JobSpec("dc-summer", f"{summer} Summer Associate Program - Washington, D.C.",
                 "Washington, D.C.", "Summer Associate Program", "Summer Associate", -1, ("2L",),
                 (3, 1), 185, (165, 105), 1),
        _JobSpec("1l-fellowship", f"{summer} 1L Diversity Fellowship - New York", "New York",
                 "Summer Associate Program", "1L Summer Associate", 0, ("1L",), (2, 1), 60,
                 (45, 8), 1),
        _JobSpec("lit-lateral", "Litigation Associate (Lateral) - San Francisco", "San Francisco",
                 "Litigation", "Lateral Associate", -1, ("Graduate",), (2,), 175, (160, 25), 0),
        _JobSpec("ma-lateral", "Corporate M&A Associate (Lateral) - New York", "New York",
                 "Corporate", "Lateral Associate", -1, ("Graduate",), (3,), 150, (140, 20), 1),
        _JobSpec("3l-ip", f"{summer} Incoming Associate (3L) - Intellectual Property - Palo Alto",
                 "Palo Alto", "Intellectual Property", "Entry-Level Associate", 0, ("3L",), (3, 0),
                 120, (105, 30), 0),
    )  # fmt: skip


# Paths an application has taken since "Applied", with how often each occurs.
_PATHS: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 3),
    (("Under Review",), 4),
    (("Under Review", "Interview Scheduled"), 4),
    (("Under Review", "Interview Scheduled", "Callback"), 3),
    (("Under Review", "Interview Scheduled", "Callback", "Offer Extended"), 2),
    (("Under Review", "Interview Scheduled", "Callback", "Offer Extended", "Offer Accepted"), 3),
    (("Under Review", "Interview Scheduled", "Callback", "Offer Extended", "Offer Declined"), 1),
    (("Under Review", "Rejected"), 2),
    (("Under Review", "Interview Scheduled", "Rejected"), 2),
    (("Under Review", "Interview Scheduled", "Callback", "Rejected"), 1),
    (("Withdrawn",), 1),
)
_EARLY_PATHS: tuple[tuple[tuple[str, ...], int], ...] = (
    ((), 4),
    (("Under Review",), 4),
    (("Under Review", "Interview Scheduled"), 2),
    (("Under Review", "Rejected"), 1),
)

# Demo CC/BCC, as the recruiting team would have configured them.
_TEMPLATE_COPIES: dict[str, tuple[str, str]] = {
    status_template_key("Interview Scheduled"): (
        "interviews@halewhitmore.example",
        "records@halewhitmore.example",
    ),
    status_template_key("Callback"): ("interviews@halewhitmore.example", ""),
    status_template_key("Offer Extended"): ("", "offers@halewhitmore.example"),
    event_template_key(EmailKind.EVENT_APPROVAL): ("", "diversity@halewhitmore.example"),
}


# --- logged communications: what the recruiting team writes down ----------------


@dataclass(frozen=True)
class _Note:
    type: CommunicationType
    subject: str
    body: str
    with_member: bool = False  # a lawyer took part: a second sender, or a To for introductions
    years: tuple[str, ...] = ()  # only for these class years (empty: anyone)


_NOTES: tuple[_Note, ...] = (
    _Note(CommunicationType.PHONE_CALL, "Phone screen with {first}",
          "Spoke with {first} for about 25 minutes.\n\n"
          "- Strongest interest: {practice}; has enjoyed the {activity} at {school_short}.\n"
          "- Open to both New York and Washington, D.C.\n"
          "- Asked how summer assignments are staffed and about pro bono hours.\n\n"
          "Next step: send interview availability for the next two weeks."),
    _Note(CommunicationType.EMAIL, "Great meeting you at {school_short} OCI",
          "Hi {first},\n\n"
          "Thank you for taking the time to speak with us during {school_short}'s on-campus "
          "interview program. {member_first} and I enjoyed hearing about your work with the "
          "{activity}.\n\n"
          "As promised, I've attached our summer program overview and the {practice} group's "
          "recent matters list. Please let me know if you have any questions.\n\n"
          "Best regards,\n{admin_first}", years=("2L", "3L")),
    _Note(CommunicationType.LINKEDIN_MESSAGE, "LinkedIn introduction",
          "Hi {first},\n\n"
          "I'm on the legal recruiting team at {firm}. Several of our associates are "
          "{school_short} alumni and mentioned your work with the {activity}. Would you be open "
          "to a short call about our {practice} practice?\n\n"
          "Best,\n{admin_first}\n\n"
          "---\n{first} replied: \"Thanks for reaching out, I'd be glad to talk. "
          "I'm free Thursday afternoon.\""),
    _Note(CommunicationType.IN_PERSON_MEETING, "Coffee chat with {first}",
          "{member_first} and I met {first} for coffee near the office.\n\n"
          "We talked through the {practice} group, how junior associates get early "
          "responsibility, and the firm's mentoring program. {first} came with thoughtful "
          "questions about pro bono work and the {activity}.\n\n"
          "Follow-up: {first} will send a writing sample by Friday.", with_member=True),
    _Note(CommunicationType.PHONE_CALL, "Voicemail about scheduling",
          "Left a voicemail for {first} about interview scheduling. "
          "Will follow up by email if I don't hear back by {weekday}."),
    _Note(CommunicationType.EMAIL, "Writing sample and transcript received",
          "Hi {first},\n\n"
          "Thank you for sending your writing sample and updated transcript. I've shared both "
          "with the hiring committee and will be in touch once they have had a chance to "
          "review them.\n\n"
          "Best regards,\n{admin_first}"),
    _Note(CommunicationType.TEXT_MESSAGE, "Text: interview day logistics",
          "Texted {first} the check-in details for tomorrow: ask for Legal Recruiting at the "
          "38th-floor reception; the first interview starts at 9:30 AM.\n\n"
          "{first} confirmed and said thanks."),
    _Note(CommunicationType.VIDEO_CALL, "Video call about the {practice} group",
          "Set up a 30-minute video call between {first} and {member_name}.\n\n"
          "Topics: typical matters for first-year associates, training in the {practice} "
          "group, and how work is assigned during the summer. {first} is very interested and "
          "plans to ask for {practice} assignments.", with_member=True),
    _Note(CommunicationType.OTHER, "Handwritten thank-you note",
          "Received a handwritten thank-you note from {first} after the interview day. "
          "Added to the file and shared with {member_name}."),
    _Note(CommunicationType.EMAIL, "Introduction to {member_name}",
          "Hi {first},\n\n"
          "As promised, I'm introducing you to {member_name}, who has offered to talk with "
          "you about our {practice} practice and life as a junior associate. "
          "{member_first}, {first} is a {year} at {school_short} and is active in the "
          "{activity}.\n\n"
          "I'll leave it to the two of you to find a time.\n\n"
          "Best,\n{admin_first}", with_member=True),
    _Note(CommunicationType.PHONE_CALL, "Check-in call with {first}",
          "Quick check-in with {first}.\n\n"
          "- Exams finish next week; available for interviews after that.\n"
          "- Still deciding between New York and San Francisco.\n"
          "- Wants to hear more about the clerkship policy.\n\n"
          "Sent the clerkship FAQ afterwards."),
)  # fmt: skip

_OFFER_NOTES: tuple[_Note, ...] = (
    _Note(CommunicationType.VIDEO_CALL, "Offer call with {first}",
          "Walked {first} through the offer: start date, compensation, bar exam support and the "
          "clerkship policy.\n\n"
          "{first} is weighing offers from two other firms and expects to decide within three "
          "weeks. Asked to meet more associates in the {practice} group; arranging a lunch with "
          "{member_name}.", with_member=True),
    _Note(CommunicationType.PHONE_CALL, "Offer follow-up with {first}",
          "Called {first} to answer follow-up questions about the offer.\n\n"
          "Main questions: flexibility to rotate between {practice} and a second group, and "
          "the pro bono hours policy (all pro bono hours count toward the billable target).\n\n"
          "{first} sounded very positive."),
)  # fmt: skip

_PAIR_NOTES: tuple[_Note, ...] = (
    _Note(CommunicationType.IN_PERSON_MEETING, "Coffee chat with {first} and {first_b}",
          "Met {name} and {name_b} for coffee near the {school_short} campus.\n\n"
          "Both are interested in {practice}. {first} asked about the summer rotation; "
          "{first_b} asked about pro bono opportunities and the mentoring program.\n\n"
          "Follow-up: send both the summer program overview."),
    _Note(CommunicationType.EMAIL, "Meeting {school_short} alumni at {firm}",
          "Hi {first} and {first_b},\n\n"
          "Thank you both for stopping by our table at the {school_short} reception. "
          "{member_name}, one of our partners, has offered to host you both for lunch at the "
          "office next month; I'll send a few dates shortly.\n\n"
          "Best,\n{admin_first}", with_member=True),
    _Note(CommunicationType.VIDEO_CALL, "Group video chat: {school_short} students",
          "Hosted a 45-minute video chat with {name} and {name_b}, together with "
          "{member_name}.\n\n"
          "Covered: the recruiting timeline, what the summer program looks like week by week, "
          "and the {practice} group. Both are planning to apply.", with_member=True),
)  # fmt: skip

_AGENCY_NOTES: tuple[_Note, ...] = (
    _Note(CommunicationType.EMAIL, "{name}: submission for the {job}",
          "Hi {contact_first},\n\n"
          "Thank you for submitting {name} for the {job}. We have received the résumé, "
          "transcript and writing sample, and the hiring committee is reviewing them now.\n\n"
          "I'll be in touch within two weeks.\n\n"
          "Best regards,\n{admin_first}"),
    _Note(CommunicationType.PHONE_CALL, "Call with {contact} about {name}",
          "Spoke with {contact} ({agency}) about {name}'s candidacy for the {job}.\n\n"
          "- {contact_first} confirmed {first} is not in process with any other firm in the "
          "{office} market.\n"
          "- {first} is flexible on start date.\n"
          "- Agreed that scheduling goes through {contact_first}.\n\n"
          "Next step: hiring committee decision on first-round interviews."),
)  # fmt: skip


# --- helpers ----------------------------------------------------------------------


def _clock(moment: datetime) -> str:
    local = moment.astimezone(EASTERN)
    return local.strftime("%I:%M %p").lstrip("0")


def _long_date(moment: datetime) -> str:
    local = moment.astimezone(EASTERN)
    return f"{local:%A, %B} {local.day}, {local.year}"


def _span(starts_at: datetime, ends_at: datetime) -> str:
    return f"{_clock(starts_at)} - {_clock(ends_at)} ET"


def _slug(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(12))


def _slot_text(slot: EventTimeSlot) -> str:
    return f"{_long_date(slot.starts_at)}, {_span(slot.starts_at, slot.ends_at)}"


def _member_spec(role: ParticipantRole, member: Member) -> ParticipantSpec:
    return ParticipantSpec(
        role=role, display_name=member.name, email=member.email, member_id=member.id
    )


def _email_local(first: str, last: str) -> str:
    return re.sub(r"[^a-z]", "", (first[0] + last).lower())


@dataclass
class _Cast:
    """Ids and display data of what has been created so far."""

    members: list[Member] = field(default_factory=list)
    contacts: dict[str, AgencyContact] = field(default_factory=dict)
    agencies: dict[int, str] = field(default_factory=dict)  # agency id -> name
    candidates: list[Candidate] = field(default_factory=list)
    people: dict[int, _Person] = field(default_factory=dict)  # candidate id -> person
    traits: dict[int, tuple[str, str]] = field(default_factory=dict)  # practice, activity
    first_seen: dict[int, datetime] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    job_specs: dict[int, _JobSpec] = field(default_factory=dict)
    statuses: dict[str, ApplicationStatus] = field(default_factory=dict)
    templates: dict[str, EmailTemplate] = field(default_factory=dict)
    applications: list[Application] = field(default_factory=list)
    app_paths: dict[int, tuple[str, ...]] = field(default_factory=dict)


class _DemoBuilder:
    """Builds the demo rows; one instance per `seed_demo` call."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.rng = random.Random(RANDOM_SEED)
        self.cast = _Cast()
        self.outbox: list[EmailOutbox] = []
        self.status_changes = 0
        self.events = 0
        self.registrations = 0
        self.logged = 0
        local = now.astimezone(EASTERN)
        # The academic year ends in May; the summer programme follows it.
        self.summer = local.year + 1 if local.month >= 8 else local.year

    # -- time ------------------------------------------------------------------

    def _business_time(self, moment: datetime) -> datetime:
        """The same day, at a working hour in New York, on a weekday, before now."""
        local = moment.astimezone(EASTERN)
        minute = self.rng.randrange(9 * 60, 18 * 60, 5)
        local = local.replace(hour=minute // 60, minute=minute % 60, second=0, microsecond=0)
        if local.weekday() >= 5:
            local -= timedelta(days=local.weekday() - 4)
        result = local.astimezone(UTC)
        while result >= self.now - timedelta(minutes=30):
            result -= timedelta(days=1)
        return result

    def _days_ago(self, days: float) -> datetime:
        return self._business_time(self.now - timedelta(days=days))

    def _between(self, start: datetime, end: datetime) -> datetime:
        """A business time between two moments (clamped to the past)."""
        end = min(end, self.now - timedelta(hours=1))
        if end <= start:
            return self._business_time(start)
        span = (end - start).total_seconds()
        moment = self._business_time(start + timedelta(seconds=self.rng.uniform(0, span)))
        return max(moment, start)

    def _event_time(self, days_from_now: int, hour: int, minute: int = 0) -> datetime:
        local = (self.now + timedelta(days=days_from_now)).astimezone(EASTERN)
        local = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        # Events are on Tuesdays to Thursdays.
        while local.weekday() not in (1, 2, 3):
            local -= timedelta(days=1)
        return local.astimezone(UTC)

    def _seen(self, candidate_id: int, moment: datetime) -> None:
        current = self.cast.first_seen.get(candidate_id)
        if current is None or moment < current:
            self.cast.first_seen[candidate_id] = moment

    # -- people ----------------------------------------------------------------

    def members(self) -> None:
        created = self.now - timedelta(days=400)
        # One hash for all: the demo password is public anyway, and each argon2
        # hash costs a tenth of a second.
        password_hash = hash_password(DEMO_PASSWORD)
        members = [
            Member(
                name=account.name,
                email=account.email,
                password_hash=password_hash,
                role=account.role,
                created_at=created,
            )
            for account in DEMO_ACCOUNTS
        ]
        self.session.add_all(members)
        self.session.flush()
        self.cast.members = members

    def agencies(self) -> None:
        agencies = [Agency(name=name) for name, *_ in _AGENCIES]
        self.session.add_all(agencies)
        self.session.flush()
        contacts = {}
        for agency, (name, key, contact, email, phone) in zip(agencies, _AGENCIES, strict=True):
            self.cast.agencies[agency.id] = name
            contacts[key] = AgencyContact(
                agency_id=agency.id,
                name=contact,
                email=email,
                phone=phone,
            )
        self.session.add_all(contacts.values())
        self.session.flush()
        self.cast.contacts = contacts

    def candidates(self) -> None:
        rng = self.rng
        academic_year_end = self.summer
        graduation = {"3L": academic_year_end, "2L": academic_year_end + 1}
        graduation["1L"] = academic_year_end + 2
        candidates = []
        for index, person in enumerate(_PEOPLE):
            school, _short, domain = _SCHOOLS[person.school]
            if person.graduated is not None:
                email = f"{person.first}.{person.last}@mail.example"
                graduation_year = academic_year_end - person.graduated
            else:
                email = f"{_email_local(person.first, person.last)}@{domain}"
                graduation_year = graduation[person.year]
            contact = self.cast.contacts.get(person.agency) if person.agency else None
            candidates.append(
                Candidate(
                    first_name=person.first,
                    last_name=person.last,
                    email=re.sub(r"[^a-zA-Z.@-]", "", email).lower(),
                    phone=f"({_AREA_CODES[index % len(_AREA_CODES)]}) 555-01{index:02d}",
                    law_school=school,
                    class_year=ClassYear(person.year).value,
                    graduation_year=graduation_year,
                    source=CandidateSource(person.source).value,
                    agency_contact_id=contact.id if contact else None,
                    created_at=self.now - timedelta(days=190),  # refined once history exists
                )
            )
        self.session.add_all(candidates)
        self.session.flush()
        self.cast.candidates = candidates
        for candidate, person in zip(candidates, _PEOPLE, strict=True):
            self.cast.people[candidate.id] = person
            self.cast.traits[candidate.id] = (
                rng.choice(_PRACTICES),
                rng.choice(_ACTIVITIES),
            )

    def jobs(self) -> None:
        specs = _job_specs(self.summer)
        jobs = [
            Job(
                name=spec.name,
                office=spec.office,
                department=spec.department,
                position_type=spec.position_type,
                process_year=self.summer + spec.process_year_offset,
                created_at=self._days_ago(spec.opened_days_ago),
            )
            for spec in specs
        ]
        self.session.add_all(jobs)
        self.session.flush()
        leads = []
        for job, spec in zip(jobs, specs, strict=True):
            self.cast.jobs[spec.key] = job
            self.cast.job_specs[job.id] = spec
            leads.extend(
                JobHiringLead(job_id=job.id, member_id=self.cast.members[i].id) for i in spec.leads
            )
        self.session.add_all(leads)

    def configuration(self) -> None:
        """Reads the statuses and templates, and sets the demo firm's CC/BCC on a few."""
        statuses = self.session.exec(select(ApplicationStatus)).all()
        self.cast.statuses = {status.name: status for status in statuses}
        missing = [name for name in DEFAULT_STATUSES if name not in self.cast.statuses]
        if missing:
            raise Invalid(
                "The demo data needs the default application statuses; missing: "
                + ", ".join(missing)
                + "."
            )
        templates = self.session.exec(select(EmailTemplate)).all()
        self.cast.templates = {template.key: template for template in templates}
        admin = self.cast.members[0]
        for key, (cc, bcc) in _TEMPLATE_COPIES.items():
            template = self.cast.templates.get(key)
            if template is not None:
                template.cc, template.bcc = cc, bcc
                template.updated_at = self.now - timedelta(days=200)
                template.updated_by_id = admin.id

    # -- email -----------------------------------------------------------------

    def _send(
        self,
        *,
        template_key: str,
        context: dict[str, Any],
        sender: Member,
        to: ParticipantSpec,
        occurred_at: datetime,
        email_kind: EmailKind,
        trigger: str,
        about_candidate_ids: Sequence[int] = (),
        job_id: int | None = None,
        application_id: int | None = None,
        event_id: int | None = None,
    ) -> Communication | None:
        """Writes a system email as the live rules would: communication, participants, outbox."""
        template = self.cast.templates.get(template_key)
        if template is None:
            return None
        full_context = {
            "firm_name": settings.firm_name,
            "sender_name": sender.name,
            "sender_email": sender.email,
            **context,
        }
        rendered = render_template(
            subject=template.subject, body=template.body, context=full_context
        )
        cc = parse_address_list(template.cc)
        bcc = parse_address_list(template.bcc)
        participants = [
            ParticipantSpec(
                role=ParticipantRole.FROM,
                display_name=sender.name,
                email=sender.email,
                member_id=sender.id,
            ),
            to,
            *(ParticipantSpec(role=ParticipantRole.CC, display_name=a, email=a) for a in cc),
            *(ParticipantSpec(role=ParticipantRole.BCC, display_name=a, email=a) for a in bcc),
        ]
        communication = write_communication(
            self.session,
            type=CommunicationType.EMAIL,
            origin=CommunicationOrigin.SYSTEM,
            occurred_at=occurred_at,
            subject=rendered.subject,
            body=rendered.body,
            participants=participants,
            about_candidate_ids=about_candidate_ids,
            triggered_by_id=sender.id,
            email_kind=email_kind.value,
            trigger=trigger,
            job_id=job_id,
            application_id=application_id,
            event_id=event_id,
        )
        communication.created_at = communication.updated_at = occurred_at
        number = len(self.outbox) + 1
        self.outbox.append(
            EmailOutbox(
                communication_id=communication.id,
                idempotency_key=f"seed:comm:{number}",
                status=OutboxStatus.SENT.value,
                attempts=1,
                next_attempt_at=occurred_at,
                message_id=f"<{uuid.UUID(int=self.rng.getrandbits(128), version=4)}"
                "@flo-comms.local>",
                from_address=settings.mail_from,
                reply_to=sender.email,
                to_addresses=[to.email],
                cc_addresses=cc,
                bcc_addresses=bcc,
                subject=rendered.subject,
                body=rendered.body,
                created_at=occurred_at,
                sent_at=occurred_at,
            )
        )
        return communication

    def _candidate_context(self, candidate: Candidate) -> dict[str, Any]:
        return {
            "candidate_first_name": candidate.first_name,
            "candidate_last_name": candidate.last_name,
            "candidate_name": f"{candidate.first_name} {candidate.last_name}",
            "recipient_name": f"{candidate.first_name} {candidate.last_name}",
            "recipient_first_name": candidate.first_name,
        }

    @staticmethod
    def _to_candidate(candidate: Candidate) -> ParticipantSpec:
        return ParticipantSpec(
            role=ParticipantRole.TO,
            display_name=f"{candidate.first_name} {candidate.last_name}",
            email=candidate.email,
            candidate_id=candidate.id,
        )

    # -- applications ----------------------------------------------------------

    def applications(self) -> None:
        rng = self.rng
        cast = self.cast
        by_year: dict[str, list[Candidate]] = {}
        for candidate in cast.candidates:
            if candidate.last_name == _DIANA.last and candidate.first_name == _DIANA.first:
                continue
            by_year.setdefault(candidate.class_year or "", []).append(candidate)
        plan: list[tuple[Candidate, _JobSpec, tuple[str, ...]]] = []
        specs = {spec.key: spec for spec in cast.job_specs.values()}
        for year, pool in by_year.items():
            job_keys = [spec.key for spec in specs.values() if year in spec.class_years]
            for candidate in pool:
                if not job_keys or rng.random() < 0.15:
                    continue  # met at an event or on campus; has not applied yet
                chosen = [rng.choice(job_keys)]
                if len(job_keys) > 1 and rng.random() < 0.3:
                    chosen = rng.sample(job_keys, 2)
                for key in chosen:
                    spec = specs[key]
                    paths = _EARLY_PATHS if spec.key == "1l-fellowship" else _PATHS
                    path = rng.choices([p for p, _ in paths], [w for _, w in paths])[0]
                    plan.append((candidate, spec, path))
        diana = next(c for c in cast.candidates if c.last_name == _DIANA.last)
        plan.insert(0, (diana, specs["ny-summer"], ("Under Review",)))
        for candidate, spec, path in plan:
            self._application(candidate, spec, path)

    def _application(self, candidate: Candidate, spec: _JobSpec, path: tuple[str, ...]) -> None:
        rng = self.rng
        cast = self.cast
        job = cast.jobs[spec.key]
        person = cast.people[candidate.id]
        is_diana = person is _DIANA
        contact = cast.contacts.get(person.agency) if person.agency else None
        if is_diana:
            created = self._days_ago(40)
        else:
            created = self._days_ago(rng.uniform(*reversed(spec.applied_days_ago)))
        latest = self.now - timedelta(days=2)
        gap = (latest - created) / (len(path) + 1)
        times = []
        moment = created
        for _ in path:
            moment = self._between(moment + gap * 0.5, moment + gap)
            times.append(moment)
        if is_diana:
            times = [self._days_ago(33)]
        final_status = cast.statuses[path[-1] if path else "Applied"]
        application = Application(
            candidate_id=candidate.id,
            job_id=job.id,
            status_id=final_status.id,
            source=CandidateSource.AGENCY.value if contact else person.source,
            agency_contact_id=contact.id if contact else None,
            created_at=created,
            updated_at=times[-1] if times else created,
        )
        self.session.add(application)
        self.session.flush()
        cast.applications.append(application)
        cast.app_paths[application.id] = path
        self._seen(candidate.id, created)

        owner = cast.members[spec.owner]
        other_admin = cast.members[1 - spec.owner]
        changes = [
            ApplicationStatusChange(
                application_id=application.id,
                from_status_id=None,
                to_status_id=cast.statuses["Applied"].id,
                changed_by_id=None,
                changed_at=created,
            )
        ]
        previous = cast.statuses["Applied"]
        for name, changed_at in zip(path, times, strict=True):
            status = cast.statuses[name]
            actor = owner if rng.random() < 0.8 else other_admin
            communication = None
            if status.email_template_id is not None:
                communication = self._status_email(
                    application, candidate, job, status, contact, actor, changed_at
                )
            changes.append(
                ApplicationStatusChange(
                    application_id=application.id,
                    from_status_id=previous.id,
                    to_status_id=status.id,
                    changed_by_id=actor.id,
                    changed_at=changed_at,
                    communication_id=communication.id if communication else None,
                )
            )
            previous = status
        self.session.add_all(changes)
        self.status_changes += len(changes)

    def _status_email(
        self,
        application: Application,
        candidate: Candidate,
        job: Job,
        status: ApplicationStatus,
        contact: AgencyContact | None,
        actor: Member,
        changed_at: datetime,
    ) -> Communication | None:
        template = next(
            (t for t in self.cast.templates.values() if t.id == status.email_template_id), None
        )
        if template is None:
            return None
        # The same merge fields and routing as a live status change: for an
        # agency-submitted application the email goes to the agency's recruiter.
        context = job_email_context(
            candidate_first_name=candidate.first_name,
            candidate_last_name=candidate.last_name,
            job_name=job.name,
            job_office=job.office,
            sender_name=actor.name,
            sender_email=actor.email,
            status=status.name,
            agency_name=self.cast.agencies[contact.agency_id] if contact else "",
            agency_contact_name=contact.name if contact else "",
            to_agency=contact is not None,
        )
        to = job_email_recipient(
            candidate_id=candidate.id,
            candidate_name=f"{candidate.first_name} {candidate.last_name}",
            candidate_email=candidate.email,
            agency_contact_id=contact.id if contact else None,
            agency_contact_name=contact.name if contact else "",
            agency_contact_email=contact.email if contact else "",
        )
        about = [candidate.id] if contact is not None else []
        return self._send(
            template_key=template.key,
            context=context,
            sender=actor,
            to=to,
            occurred_at=changed_at,
            email_kind=EmailKind.JOB_STATUS,
            trigger=f"status changed to {status.name}",
            about_candidate_ids=about,
            job_id=job.id,
            application_id=application.id,
        )

    def update_requests(self) -> None:
        """Update-application requests, all long expired; some were used."""
        rng = self.rng
        cast = self.cast
        eligible = [
            a
            for a in cast.applications
            if a.agency_contact_id is None
            and cast.app_paths[a.id][:1] == ("Under Review",)
            and a.created_at < self.now - timedelta(days=40)
        ]
        tokens = []
        for application in rng.sample(eligible, min(8, len(eligible))):
            candidate = next(c for c in cast.candidates if c.id == application.candidate_id)
            job = next(j for j in cast.jobs.values() if j.id == application.job_id)
            spec = cast.job_specs[job.id]
            admin = cast.members[spec.owner]
            sent_at = self._between(
                application.created_at + timedelta(days=7), self.now - timedelta(days=20)
            )
            token = f"{rng.getrandbits(128):032x}"
            context = self._candidate_context(candidate) | {
                "job_name": job.name,
                "job_office": job.office,
                "update_link": update_link(token),
            }
            communication = self._send(
                template_key=UPDATE_APPLICATION_REQUEST_KEY,
                context=context,
                sender=admin,
                to=self._to_candidate(candidate),
                occurred_at=sent_at,
                email_kind=EmailKind.UPDATE_APPLICATION_REQUEST,
                trigger=UPDATE_REQUEST_TRIGGER,
                job_id=job.id,
                application_id=application.id,
            )
            tokens.append(
                ApplicationUpdateToken(
                    application_id=application.id,
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    created_at=sent_at,
                    expires_at=sent_at + timedelta(days=14),
                    communication_id=communication.id if communication else None,
                )
            )
        self.session.add_all(tokens)

    # -- outreach events -------------------------------------------------------

    def outreach_events(self) -> None:
        rng = self.rng
        cast = self.cast
        cynthia, isabel = cast.members[0], cast.members[1]
        students = [c for c in cast.candidates if c.class_year in ("1L", "2L", "3L")]
        one_ls = [c for c in students if c.class_year == "1L"]
        event_sourced = [
            c for c in cast.candidates if cast.people[c.id].source == CandidateSource.EVENT
        ]
        reception_pool = [c for c in event_sourced if c.class_year != "1L"]
        others = [c for c in students if c not in reception_pool and c.first_name != "Diana"]
        reception_guests = reception_pool + rng.sample(others, max(0, 8 - len(reception_pool)))

        self._event(
            name="Diversity in the Law Evening Reception",
            type=EventType.IN_PERSON,
            invite_only=False,
            starts_at=self._event_time(-120, 18),
            hours=2.5,
            location="1200 Avenue of the Americas, 38th Floor, New York, NY 10036",
            meeting_link=None,
            description=(
                "An evening with our partners, associates and affinity network leaders: "
                "short remarks on building a career in Big Law, then open conversation."
            ),
            owner=cynthia,
            guests=reception_guests[:8],
            review={},
        )
        webinar_guests = rng.sample([c for c in students if c.class_year != "1L"], 8)
        self._event(
            name="Women in Litigation: A Conversation with Our Trial Team",
            type=EventType.WEBINAR,
            invite_only=True,
            starts_at=self._event_time(-45, 12, 30),
            hours=1,
            location=None,
            meeting_link="https://zoom.example/j/5550142731",
            description=(
                "Partners from our trial team discuss first-chair opportunities, mentorship "
                "and the path from summer associate to trial lawyer."
            ),
            owner=isabel,
            guests=webinar_guests,
            review={ReviewState.APPROVED: 5, ReviewState.DENIED: 3},
        )
        chat_guests = rng.sample([c for c in students if c.class_year in ("2L", "3L")], 7)
        self._event(
            name="Virtual Coffee Chats with Our Summer Associates",
            type=EventType.VIRTUAL_CHAT,
            invite_only=False,
            starts_at=self._event_time(-18, 16),
            hours=2,
            location=None,
            meeting_link="https://zoom.example/j/5550198264",
            description=(
                "One-on-one, twenty-minute conversations with this year's summer associates "
                "about their experience at the firm."
            ),
            owner=isabel,
            guests=chat_guests,
            review={},
            slots=6,
            updated_days_before=7,
        )
        dinner_pool = [c for c in one_ls if cast.people[c.id].source == CandidateSource.EVENT]
        dinner_pool += [c for c in one_ls if c not in dinner_pool]
        self._event(
            name="1L Diversity Scholars Dinner - Washington, D.C.",
            type=EventType.IN_PERSON,
            invite_only=True,
            starts_at=self._event_time(16, 18, 30),
            hours=2.5,
            location="The Hay-Adams, 800 16th Street NW, Washington, DC 20006",
            meeting_link=None,
            description=(
                "A dinner for first-year law students with attorneys from our Washington "
                "office, introducing the 1L Diversity Fellowship."
            ),
            owner=cynthia,
            guests=dinner_pool[:8],
            review={ReviewState.APPROVED: 3, ReviewState.DENIED: 2},
            updated_days_before=21,
        )

    def _event(
        self,
        *,
        name: str,
        type: EventType,
        invite_only: bool,
        starts_at: datetime,
        hours: float,
        location: str | None,
        meeting_link: str | None,
        description: str,
        owner: Member,
        guests: Sequence[Candidate],
        review: dict[ReviewState, int],
        slots: int = 0,
        updated_days_before: int | None = None,
    ) -> None:
        rng = self.rng
        ends_at = starts_at + timedelta(hours=hours)
        opened = self._business_time(starts_at - timedelta(days=42))
        slug = _slug(rng)
        is_past = ends_at < self.now
        final_at = self._business_time(starts_at - timedelta(days=5)) if is_past else None
        event = OutreachEvent(
            type=type.value,
            invite_only=invite_only,
            name=name,
            description=description,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location,
            meeting_link=meeting_link,
            registration_slug=slug,
            final_schedule_sent_at=final_at,
            created_by_id=owner.id,
            created_at=opened,
            updated_at=opened,
        )
        self.session.add(event)
        self.session.flush()
        self.events += 1

        registrations_close = min(starts_at - timedelta(days=7), self.now - timedelta(days=1))
        states = [state for state, count in review.items() for _ in range(count)]
        registrations = []
        for index, candidate in enumerate(guests):
            registered_at = self._between(opened + timedelta(days=1), registrations_close)
            if invite_only:
                state = states[index] if index < len(states) else ReviewState.PENDING
            else:
                state = ReviewState.APPROVED
            reviewed_at = None
            if invite_only and state != ReviewState.PENDING:
                reviewed_at = self._between(
                    registered_at + timedelta(days=1), registered_at + timedelta(days=4)
                )
            registrations.append(
                EventRegistration(
                    event_id=event.id,
                    candidate_id=candidate.id,
                    joined_via=(JoinedVia.MANUAL if rng.random() < 0.3 else JoinedVia.LINK).value,
                    review_state=state.value,
                    registered_at=registered_at,
                    reviewed_at=reviewed_at,
                    reviewed_by_id=owner.id if reviewed_at else None,
                )
            )
            self._seen(candidate.id, registered_at)
        self.session.add_all(registrations)
        self.session.flush()
        self.registrations += len(registrations)

        slot_of, cancelled = self._slots(event, registrations, slots, final_at)

        base_context = {
            "event_name": name,
            "event_type": {
                EventType.IN_PERSON: "in-person event",
                EventType.WEBINAR: "webinar",
                EventType.VIRTUAL_CHAT: "virtual chat",
            }[type],
            "event_date": _long_date(starts_at),
            "event_time": _span(starts_at, ends_at),
            "event_location": location or "Online",
            "meeting_link": meeting_link or "",
            "registration_link": f"{settings.public_url}/register/{slug}",
            "profile_link": f"{settings.public_url}/register/{slug}/profile",
            "invite_only": "yes" if invite_only else "",
        }
        candidates = {c.id: c for c in guests}
        update_at = None
        if updated_days_before is not None:
            update_at = self._business_time(starts_at - timedelta(days=updated_days_before))
            if update_at >= self.now:
                update_at = None
        sent_at: dict[EmailKind, datetime] = {}
        for registration in registrations:
            candidate = candidates[registration.candidate_id]
            context = base_context | self._candidate_context(candidate)
            slot = slot_of.get(registration.id)
            if slot is not None:
                context["time_slot"] = _slot_text(slot)

            def send(
                kind: EmailKind,
                at: datetime,
                trigger: str,
                extra: dict[str, Any] | None = None,
                *,
                candidate: Candidate = candidate,
                context: dict[str, Any] = context,
            ) -> None:
                sent_at[kind] = min(at, sent_at.get(kind, at))
                self._send(
                    template_key=event_template_key(kind),
                    context=context | (extra or {}),
                    sender=owner,
                    to=self._to_candidate(candidate),
                    occurred_at=at,
                    email_kind=kind,
                    trigger=trigger,
                    event_id=event.id,
                )

            if registration.joined_via == JoinedVia.LINK.value:
                send(EmailKind.EVENT_REGISTRATION_CONFIRMATION, registration.registered_at,
                     "registered through the event link")  # fmt: skip
            else:
                send(EmailKind.EVENT_PROFILE_REQUEST, registration.registered_at,
                     f"added to the event by {owner.name}")  # fmt: skip
            if invite_only and registration.reviewed_at is not None:
                if registration.review_state == ReviewState.APPROVED.value:
                    send(EmailKind.EVENT_APPROVAL, registration.reviewed_at,
                         "approved in Quick Review")  # fmt: skip
                else:
                    send(EmailKind.EVENT_DENIAL, registration.reviewed_at,
                         "not approved in Quick Review")  # fmt: skip
            if registration.review_state != ReviewState.APPROVED.value:
                continue  # pending and denied registrants get nothing more
            if update_at is not None and registration.registered_at < update_at:
                send(EmailKind.EVENT_UPDATE, update_at, "event details changed")
            if final_at is not None and registration.registered_at < final_at:
                send(EmailKind.EVENT_FINAL_SCHEDULE, final_at, "final schedule sent")
            removed = cancelled.get(registration.id)
            if removed is not None:
                slot_text, removed_at = removed
                send(EmailKind.EVENT_CANCELLATION, removed_at, "removed from a time slot",
                     {"time_slot": slot_text})  # fmt: skip
            if is_past:
                reminder_at = self._business_time(starts_at - timedelta(days=1))
                send(EmailKind.EVENT_REMINDER, reminder_at, "scheduled reminder before the event")
                follow_up_at = self._business_time(ends_at + timedelta(days=1))
                send(EmailKind.EVENT_FOLLOW_UP, follow_up_at, "scheduled follow-up after the event")
        if update_at is not None:
            event.updated_at = update_at
        self._event_sends(event, registrations, owner, sent_at)

    def _event_sends(
        self,
        event: OutreachEvent,
        registrations: Sequence[EventRegistration],
        owner: Member,
        sent_at: dict[EmailKind, datetime],
    ) -> None:
        """The bulk sends the emails above belong to, and who each one held back, and why."""
        triggers = {
            EmailKind.EVENT_UPDATE: "event details changed",
            EmailKind.EVENT_FINAL_SCHEDULE: "final schedule sent",
            EmailKind.EVENT_REMINDER: "reminder before the event",
            EmailKind.EVENT_FOLLOW_UP: "follow-up after the event",
        }
        sends = [(kind, sent_at[kind], trigger) for kind, trigger in triggers.items()
                 if kind in sent_at]  # fmt: skip
        for kind, at, trigger in sends:
            present = [r for r in registrations if r.registered_at < at]
            held = [
                (r, reason)
                for r in present
                if (reason := hold_back_reason(
                    kind, event_type=event.type, invite_only=event.invite_only,
                    event_deleted=False,
                    registrant=Registrant(joined_via=r.joined_via, review_state=r.review_state),
                )) is not None
            ]  # fmt: skip
            batch = EventEmailBatch(
                event_id=event.id,
                email_kind=kind.value,
                trigger=trigger,
                requested_by_id=owner.id,
                created_at=at,
                eligible=len(present) - len(held),
                cursor=max((r.id for r in registrations), default=0),
                queued=len(present) - len(held),
                held_back=len(held),
                finished_at=at,
            )
            self.session.add(batch)
            self.session.flush()
            self.session.add_all(
                HeldBackEmail(
                    event_id=event.id, registration_id=r.id, batch_id=batch.id,
                    email_kind=kind.value, reason=reason, created_at=at,
                )
                for r, reason in held
            )  # fmt: skip

    def _slots(
        self,
        event: OutreachEvent,
        registrations: Sequence[EventRegistration],
        count: int,
        final_at: datetime | None,
    ) -> tuple[dict[int, EventTimeSlot], dict[int, tuple[str, datetime]]]:
        """Virtual-chat slots, one registrant each; the last one was deleted late."""
        if not count:
            return {}, {}
        length = (event.ends_at - event.starts_at) / count
        deleted_at = None
        if final_at is not None:
            deleted_at = self._between(final_at + timedelta(hours=2), event.starts_at)
        slots = [
            EventTimeSlot(
                event_id=event.id,
                starts_at=event.starts_at + length * i,
                ends_at=event.starts_at + length * (i + 1),
                capacity=1,
                deleted_at=deleted_at if i == count - 1 else None,
            )
            for i in range(count)
        ]
        self.session.add_all(slots)
        self.session.flush()
        assignments = []
        slot_of: dict[int, EventTimeSlot] = {}
        cancelled: dict[int, tuple[str, datetime]] = {}
        for slot, registration in zip(slots, registrations, strict=False):
            removed_at = slot.deleted_at
            assignments.append(
                EventSlotAssignment(
                    slot_id=slot.id,
                    registration_id=registration.id,
                    assigned_at=registration.registered_at + timedelta(hours=3),
                    removed_at=removed_at,
                )
            )
            text = _slot_text(slot)
            if removed_at is None:
                slot_of[registration.id] = slot
            else:
                cancelled[registration.id] = (text, removed_at)
        self.session.add_all(assignments)
        return slot_of, cancelled

    # -- logged communications -------------------------------------------------

    def logged_communications(self) -> None:
        rng = self.rng
        cast = self.cast
        admins = cast.members[:2]
        students = [c for c in cast.candidates if cast.people[c.id] is not _DIANA]

        for candidate in rng.sample(students, 24):
            for _ in range(rng.choice((1, 1, 1, 2))):
                person = cast.people[candidate.id]
                notes = [n for n in _NOTES if not n.years or person.year in n.years]
                self._note(
                    rng.choice(notes), [candidate], rng.choice(admins), self._lawyer_for(candidate)
                )

        offered = {"Offer Extended", "Offer Accepted", "Offer Declined"}
        for application in cast.applications:
            path = cast.app_paths[application.id]
            if offered & set(path):
                candidate = next(c for c in students if c.id == application.candidate_id)
                self._note(
                    rng.choice(_OFFER_NOTES),
                    [candidate],
                    rng.choice(admins),
                    self._lawyer_for(candidate),
                    application=application,
                )

        by_school: dict[str, list[Candidate]] = {}
        for candidate in students:
            if candidate.class_year in ("1L", "2L", "3L"):
                by_school.setdefault(candidate.law_school or "", []).append(candidate)
        schools = sorted(s for s, group in by_school.items() if len(group) >= 2)
        for school in rng.sample(schools, min(6, len(schools))):
            pair = rng.sample(by_school[school], 2)
            self._note(rng.choice(_PAIR_NOTES), pair, rng.choice(admins), self._lawyer_for(pair[0]))

        for application in cast.applications:
            if application.agency_contact_id is None:
                continue
            candidate = next(c for c in cast.candidates if c.id == application.candidate_id)
            is_diana = cast.people[candidate.id] is _DIANA
            contact = next(
                c for c in cast.contacts.values() if c.id == application.agency_contact_id
            )
            notes = _AGENCY_NOTES if not is_diana else _AGENCY_NOTES[:1]
            for note in notes:
                # Cynthia logged the email about Diana: Isabel sees it, without its menu.
                admin = admins[0] if is_diana else rng.choice(admins)
                self._note(note, [], admin, None, application=application, contact=contact,
                           about=candidate)  # fmt: skip
        diana = next(c for c in cast.candidates if cast.people[c.id] is _DIANA)
        self._note(
            _Note(CommunicationType.PHONE_CALL, "Introductory call with {first}",
                  "Spoke with {first} after Momentum Search Partners submitted the application.\n\n"
                  "- 2L at {school_short}; on the {activity}.\n"
                  "- Interested in {practice} and in the New York summer program.\n"
                  "- Prefers to coordinate interview scheduling through Bill Walter.\n\n"
                  "Good conversation; flagged for the hiring committee."),
            [diana], admins[1], None,
            application=next(a for a in cast.applications if a.candidate_id == diana.id),
        )  # fmt: skip

    def _lawyer_for(self, candidate: Candidate) -> Member:
        """The partner whose practice matches the candidate's interest."""
        practice, _activity = self.cast.traits[candidate.id]
        litigator, dealmaker = self.cast.members[2], self.cast.members[3]
        return litigator if practice in _LITIGATION_PRACTICES else dealmaker

    def _note(
        self,
        note: _Note,
        candidates: Sequence[Candidate],
        admin: Member,
        lawyer: Member | None,
        *,
        application: Application | None = None,
        contact: AgencyContact | None = None,
        about: Candidate | None = None,
    ) -> None:
        rng = self.rng
        cast = self.cast
        subject_candidate = candidates[0] if candidates else about
        assert subject_candidate is not None
        person = cast.people[subject_candidate.id]
        practice, activity = cast.traits[subject_candidate.id]
        job = None
        if application is not None:
            job = next(j for j in cast.jobs.values() if j.id == application.job_id)
        values = {
            "first": subject_candidate.first_name,
            "name": f"{subject_candidate.first_name} {subject_candidate.last_name}",
            "school_short": _SCHOOLS[person.school][1],
            "year": person.year,
            "practice": practice,
            "activity": activity,
            "firm": settings.firm_name,
            "admin_first": admin.name.split()[0],
            "member_name": lawyer.name if lawyer else "",
            "member_first": lawyer.name.split()[0] if lawyer else "",
            "weekday": rng.choice(("Tuesday", "Wednesday", "Thursday")),
            "job": job.name if job else "",
            "office": job.office if job else "",
        }
        if len(candidates) > 1:
            values |= {
                "first_b": candidates[1].first_name,
                "name_b": f"{candidates[1].first_name} {candidates[1].last_name}",
            }
        if contact is not None:
            values |= {
                "contact": contact.name,
                "contact_first": contact.name.split()[0],
                "agency": cast.agencies[contact.agency_id],
            }
        concerned = [*candidates, *([about] if about is not None else [])]
        start = max(cast.first_seen.get(c.id, self.now - timedelta(days=170)) for c in concerned)
        if application is not None:
            start = max(start, application.created_at)
        occurred_at = self._between(start + timedelta(days=1), self.now - timedelta(days=1))
        if note in _AGENCY_NOTES[:1] and application is not None:
            # The acknowledgement of a submission goes out within days of it.
            received = application.created_at
            occurred_at = self._between(received, received + timedelta(days=3))

        senders = [admin]
        recipients_members: list[Member] = []
        if note.with_member and lawyer is not None:
            # A meeting or call the lawyer joined; an introduction is addressed to them.
            if note.type == CommunicationType.EMAIL:
                recipients_members.append(lawyer)
            else:
                senders.append(lawyer)
        participants = [_member_spec(ParticipantRole.FROM, m) for m in senders]
        participants += [self._to_candidate(c) for c in candidates]
        participants += [_member_spec(ParticipantRole.TO, m) for m in recipients_members]
        if contact is not None:
            participants.append(
                ParticipantSpec(role=ParticipantRole.TO, display_name=contact.name,
                                email=contact.email, agency_contact_id=contact.id)
            )  # fmt: skip
        communication = write_communication(
            self.session,
            type=note.type,
            origin=CommunicationOrigin.LOGGED,
            occurred_at=occurred_at,
            subject=note.subject.format(**values),
            body=note.body.format(**values),
            participants=participants,
            about_candidate_ids=[about.id] if about is not None else [],
            logged_by_id=admin.id,
            job_id=job.id if job else None,
            application_id=application.id if application else None,
        )
        logged_at = min(occurred_at + timedelta(minutes=rng.randrange(5, 180)), self.now)
        communication.created_at = communication.updated_at = logged_at
        self.logged += 1

    # -- finishing -------------------------------------------------------------

    def finish(self) -> None:
        self.session.add_all(self.outbox)
        for candidate in self.cast.candidates:
            first = self.cast.first_seen.get(candidate.id)
            if first is None:
                first = self.now - timedelta(days=170)
            days_before = timedelta(days=self.rng.randint(1, 6))
            candidate.created_at = self._business_time(first - days_before)
        self.session.flush()


def _demo_cast_present(session: Session) -> bool:
    marker = DEMO_ACCOUNTS[0].email
    return session.exec(select(Member.id).where(Member.email == marker)).first() is not None


def has_members(*, session: Session) -> bool:
    """Whether anyone has an account yet (the database is not a fresh one)."""
    return session.exec(select(Member.id).limit(1)).first() is not None


def _has_records(session: Session) -> bool:
    for model in (Member, Candidate, Job, OutreachEvent, Communication):
        if session.exec(select(func.count()).select_from(model)).one():
            return True
    return False


def seed_demo(*, session: Session, now: datetime | None = None) -> SeedReport:
    """Fills an empty database with the demo data.

    Runs `ensure_defaults` first. Nothing is committed here.

    Args:
        session: The open session.
        now: The moment the demo history leads up to (aware); the current time
            by default. The same `now` gives the same data.

    Returns:
        What was created; `created` is False (and nothing changed) when the
        demo cast is already there.

    Raises:
        Invalid: The database holds other data; demo data is never mixed in.
    """
    if now is None:
        now = utcnow()
    elif now.tzinfo is None or now.utcoffset() is None:
        raise Invalid("`now` must be timezone-aware.")
    now = now.astimezone(UTC)
    if _demo_cast_present(session):
        return SeedReport(created=False)
    if _has_records(session):
        raise Invalid(
            "The database is not empty: it already has members, candidates or other records. "
            "Demo data is only added to an empty database."
        )
    ensure_defaults(session=session)
    builder = _DemoBuilder(session, now)
    builder.members()
    builder.agencies()
    builder.candidates()
    builder.jobs()
    builder.configuration()
    builder.applications()
    builder.update_requests()
    builder.outreach_events()
    builder.logged_communications()
    builder.finish()
    system = len(builder.outbox)
    return SeedReport(
        created=True,
        members=len(builder.cast.members),
        agency_contacts=len(builder.cast.contacts),
        candidates=len(builder.cast.candidates),
        jobs=len(builder.cast.jobs),
        applications=len(builder.cast.applications),
        status_changes=builder.status_changes,
        events=builder.events,
        registrations=builder.registrations,
        communications=system + builder.logged,
        logged_communications=builder.logged,
        system_emails=system,
    )
