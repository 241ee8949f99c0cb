"""The Reflex app: pages, routes and the HTTP routes served beside them."""

from __future__ import annotations

import reflex as rx

from flo_comms.pages import (
    candidates,
    delivery,
    event,
    events,
    job,
    jobs,
    mailbox,
    members,
    profile,
    register,
    sign_in,
    templates,
    update_application,
)
from flo_comms.routes import auth_routes
from flo_comms.services.mail_server import mail_services
from flo_comms.state.candidates import CandidatesState
from flo_comms.state.communications import CommunicationsState
from flo_comms.state.delivery import DeliveryState
from flo_comms.state.event import EventState
from flo_comms.state.events import EventsState
from flo_comms.state.job import JobState
from flo_comms.state.jobs import JobsState
from flo_comms.state.mailbox import MailboxState
from flo_comms.state.members import MembersState
from flo_comms.state.profile import ProfileState
from flo_comms.state.register import RegisterState
from flo_comms.state.sign_in import SignInState
from flo_comms.state.templates import TemplatesState
from flo_comms.state.update_application import UpdateApplicationState

app = rx.App(api_transformer=auth_routes)
# The local SMTP server (development), the BCC dropbox and the outbox dispatcher.
app.register_lifespan_task(mail_services)

app.add_page(
    sign_in.sign_in_page, route=sign_in.ROUTE, title="Sign in · flo comms", on_load=SignInState.load
)
app.add_page(
    candidates.candidates_page,
    route=candidates.ROUTE,
    title="Candidates · flo comms",
    on_load=CandidatesState.load,
)
app.add_page(
    profile.profile_page,
    route=profile.ROUTE,
    title="Candidate · flo comms",
    on_load=[ProfileState.load, CommunicationsState.load_timeline],
)
app.add_page(job.job_page, route=job.ROUTE, title="Job · flo comms", on_load=JobState.load)
app.add_page(jobs.jobs_page, route=jobs.ROUTE, title="Jobs · flo comms", on_load=JobsState.load)
app.add_page(
    events.events_page, route=events.ROUTE, title="Events · flo comms", on_load=EventsState.load
)
app.add_page(
    members.members_page,
    route=members.ROUTE,
    title="Members · flo comms",
    on_load=MembersState.load,
)
app.add_page(
    templates.templates_page,
    route=templates.ROUTE,
    title="Email templates · flo comms",
    on_load=TemplatesState.load,
)
app.add_page(
    mailbox.mailbox_page,
    route=mailbox.ROUTE,
    title="Mailbox · flo comms",
    on_load=MailboxState.load,
)
app.add_page(
    update_application.update_application_page,
    route=update_application.ROUTE,
    title="Update your application",
    on_load=UpdateApplicationState.load,
)
app.add_page(
    delivery.delivery_page,
    route=delivery.ROUTE,
    title="Delivery · flo comms",
    on_load=DeliveryState.load,
)
app.add_page(
    event.event_page, route=event.ROUTE, title="Event · flo comms", on_load=EventState.load
)
for route in (register.ROUTE, register.PROFILE_ROUTE):
    app.add_page(
        register.register_page,
        route=route,
        title="Register for an event",
        on_load=RegisterState.load,
    )
app.add_page(rx.fragment, route="/", title="flo comms", on_load=rx.redirect(candidates.ROUTE))
