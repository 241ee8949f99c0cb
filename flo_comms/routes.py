"""The app's own HTTP routes, served beside Reflex's: session cookie in and out.

Reflex events travel over a websocket, which cannot set an HttpOnly cookie.
So sign-in ends with a full page load of `/auth/session?code=...`, which
exchanges the single-use hand-off code for the session token and sets the
cookie; `/auth/sign-out` revokes the session and clears it. Sign-out takes
only a POST from the app's own pages: a link or a form on another site must
not be able to sign anyone out.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Route

from flo_comms.db import session_scope
from flo_comms.errors import NotFound
from flo_comms.services.auth import SESSION_COOKIE, activate_session, revoke_session
from flo_comms.settings import settings
from flo_comms.state.session import SIGN_IN_ROUTE, safe_next_path


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or settings.public_url.startswith("https://")


def start_session(request: Request) -> RedirectResponse:
    """Exchanges a hand-off code for the session cookie, then goes where the user was headed."""
    next_path = safe_next_path(request.query_params.get("next"))
    try:
        with session_scope() as session:
            token = activate_session(session=session, code=request.query_params.get("code"))
    except NotFound:
        return RedirectResponse(f"{SIGN_IN_ROUTE}?expired=1", status_code=303)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_days * 86400,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme.lower()}://{rest.split('/', 1)[0].lower()}"


def _from_this_app(request: Request) -> bool:
    """Whether a request was sent by this app's own pages, not by another site.

    Browsers say so in `Sec-Fetch-Site`; older ones send only `Origin` with
    a POST, which must then be this app's (as the request reached it, or its
    public address behind a proxy). A request with neither is not a
    browser's cross-site one.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return _origin(origin) in {_origin(str(request.url)), _origin(settings.public_url)}


def sign_out(request: Request) -> RedirectResponse | PlainTextResponse:
    """Revokes the session and clears the cookie (a POST from the app's own pages only)."""
    if not _from_this_app(request):
        return PlainTextResponse("Sign out from flo comms itself.", status_code=403)
    with session_scope() as session:
        revoke_session(session=session, token=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(SIGN_IN_ROUTE, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    response.headers["Cache-Control"] = "no-store"
    return response


auth_routes = Starlette(
    routes=[
        Route("/auth/session", start_session, methods=["GET"]),
        Route("/auth/sign-out", sign_out, methods=["POST"]),
    ]
)
