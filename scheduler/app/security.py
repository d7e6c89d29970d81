"""Who may see the page: the token printed at start, exchanged for an HttpOnly cookie.

- The server makes a random token when it starts and prints its URL with it, as Jupyter
  does. ``/?token=…`` (or the form at ``/login``) sets a cookie holding a second random
  secret and redirects to the same page without the token, so the token leaves the
  address bar and the history.
- Every other request needs the cookie. Without it, a page gets a redirect to the token
  form and anything else 401: never patient data.
- Requests that change state carry the CSRF token (a header ``X-CSRF-Token`` sent by the
  page's script) derived from the cookie's secret; a page on another site cannot read it.
- Calendar feeds are the exception calendar programs need: ``/files/calendars/*.ics`` also
  accepts ``?token=`` in its address, since a calendar subscription cannot carry a cookie.
- Every answer forbids anything external (content-security policy), framing, sniffing and
  caching, and sends no referrer (the token must not leak through a link).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp

COOKIE = "iop_session"
CSRF_HEADER = "x-csrf-token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: Pages anyone may fetch: the token form and the static assets (no patient data).
PUBLIC_PREFIXES = ("/login", "/static/")
FEEDS_PREFIX = "/files/calendars/"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Secrets:
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def csrf(self) -> str:
        return hmac.new(self.session.encode(), b"csrf", hashlib.sha256).hexdigest()

    def token_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate, self.token)

    def cookie_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate, self.session)

    def csrf_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(candidate, self.csrf)


def set_session_cookie(response: Response, keys: Secrets) -> None:
    response.set_cookie(COOKIE, keys.session, httponly=True, samesite="strict", path="/")


def _harden(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers.setdefault("Cache-Control", "no-store")
    return response


def _without_token(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


class TokenMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, keys: Secrets) -> None:
        super().__init__(app)
        self.keys = keys

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        keys = self.keys
        if path.startswith(PUBLIC_PREFIXES):
            return _harden(await call_next(request))
        token = request.query_params.get("token")
        if path.startswith(FEEDS_PREFIX) and keys.token_ok(token):
            return _harden(await call_next(request))
        if request.method in SAFE_METHODS and keys.token_ok(token):
            response: Response = RedirectResponse(_without_token(request), status_code=303)
            set_session_cookie(response, keys)
            return _harden(response)
        if not keys.cookie_ok(request.cookies.get(COOKIE)):
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return _harden(RedirectResponse("/login", status_code=303))
            return _harden(JSONResponse({"error": "a token is needed"}, status_code=401))
        if request.method not in SAFE_METHODS and not keys.csrf_ok(
            request.headers.get(CSRF_HEADER)
        ):
            return _harden(JSONResponse({"error": "missing or wrong CSRF token"}, status_code=403))
        return _harden(await call_next(request))
