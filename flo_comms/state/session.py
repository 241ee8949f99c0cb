"""Who is signed in: resolved on the server, from the session cookie, on every event.

`SessionState` is the base of every signed-in page's state. Its helpers read
the HttpOnly session cookie from the websocket connection's own headers
(which the browser cannot forge from page code) and ask the database who it
belongs to, each time they are called. No identity is ever taken from an
event argument, a form field or a var the browser can set; the `viewer_*`
vars exist only to draw the header and hide what the viewer cannot do.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx

from flo_comms.db import session_scope
from flo_comms.schemas import MemberView
from flo_comms.services.auth import SESSION_COOKIE, resolve_session

SIGN_IN_ROUTE = "/sign-in"
SIGN_OUT_ROUTE = "/auth/sign-out"
_POST_SIGN_OUT = (
    "(() => { const form = document.createElement('form');"
    f" form.method = 'post'; form.action = '{SIGN_OUT_ROUTE}';"
    " document.body.appendChild(form); form.submit(); })()"
)


def safe_next_path(path: object, default: str = "/candidates") -> str:
    """A same-site path to return to after sign-in, or the default."""
    if (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or path.startswith("/auth/")
        or path.startswith(SIGN_IN_ROUTE)
        or len(path) > 500
    ):
        return default
    return path


def post_sign_out() -> rx.event.EventSpec:
    """Signs out: the page posts to the route that revokes the session and clears the cookie.

    A script run in the browser, with no round trip to the app's event
    handlers: leaving the page right after the click cannot lose it.
    """
    return rx.call_script(_POST_SIGN_OUT)


def navigate(url: str) -> rx.event.EventSpec:
    """A full page load (not a client-side route change), so the new cookie is used."""
    return rx.call_script(f"window.location.assign({url!r})")


class SessionState(rx.State):
    """The signed-in member, for every page that needs one."""

    viewer_name: str = ""
    viewer_role: str = ""

    @rx.var
    def viewer_is_admin(self) -> bool:
        """Whether to show admin actions (presentation only; services decide)."""
        return self.viewer_role == "admin"

    def _session_token(self) -> str | None:
        raw = self.router.headers.cookie
        if not raw:
            return None
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            return None
        morsel = jar.get(SESSION_COOKIE)
        return morsel.value if morsel else None

    def _viewer(self) -> MemberView | None:
        """The member behind this connection's session, looked up now; None if signed out."""
        token = self._session_token()
        if token is None:
            return None
        with session_scope() as session:
            return resolve_session(session=session, token=token)

    def _sign_in_redirect(self) -> rx.event.EventSpec:
        here = self.router.url.path or "/"
        if self.router.url.query:
            here = f"{here}?{self.router.url.query}"
        self.viewer_name = ""
        self.viewer_role = ""
        return rx.redirect(f"{SIGN_IN_ROUTE}?next={quote(safe_next_path(here), safe='')}")

    def _signed_in(self) -> MemberView | None:
        """Resolves the viewer and refreshes the header vars; None if not signed in."""
        viewer = self._viewer()
        if viewer is None:
            self.viewer_name = ""
            self.viewer_role = ""
            return None
        self.viewer_name = viewer.name
        self.viewer_role = viewer.role
        return viewer
