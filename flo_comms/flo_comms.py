"""The Reflex app: pages, routes and the HTTP routes served beside them."""

from __future__ import annotations

import reflex as rx

from flo_comms.pages import candidates, events, jobs, members, profile, sign_in
from flo_comms.routes import auth_routes
from flo_comms.state.candidates import CandidatesState
from flo_comms.state.events import EventsState
from flo_comms.state.jobs import JobsState
from flo_comms.state.members import MembersState
from flo_comms.state.profile import ProfileState
from flo_comms.state.sign_in import SignInState

app = rx.App(api_transformer=auth_routes)

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
    on_load=ProfileState.load,
)
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
app.add_page(rx.fragment, route="/", title="flo comms", on_load=rx.redirect(candidates.ROUTE))
