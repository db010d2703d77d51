"""台账通's web server: Streamlit's own (``streamlit run app.py``) with two small routes that keep a
sign-in across reloads in an HttpOnly cookie. The pages are ``ui.py`` and ``pages/``.

- ``POST /auth/session`` (body: the one-time ticket the sign-in made) sets the cookie with a fresh
  token; ``POST /auth/signout`` ends that session and clears the cookie.
- Both answer only same-origin requests carrying the ``X-Taizhang`` header (``COOKIE_HEADER``): a page on another site
  can't send that header without a CORS preflight this server never grants (no cross-site sign-in
  or sign-out). The cookie is HttpOnly (page scripts never see the token), SameSite=Lax (a bookmark
  or a link from a chat message still opens signed in) and Secure behind HTTPS.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sync.store.sessions import COOKIE, COOKIE_HEADER, end_session, redeem_ticket

UI = Path(__file__).with_name("ui.py")


@cache
def _engine(database: str):
    from sync.store.db import make_engine
    return make_engine(database)


def engine():
    from sync.config import load_config
    return _engine(load_config().database_url)


def _refused(request: Request) -> bool:
    fetch_site = request.headers.get("sec-fetch-site", "same-origin")
    return request.headers.get(COOKIE_HEADER) != "1" or fetch_site not in ("same-origin", "none")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


async def start(request: Request) -> Response:
    if _refused(request):
        return Response(status_code=403)
    granted = redeem_ticket(engine(), (await request.body()).decode("ascii", "replace").strip())
    if granted is None:
        return Response(status_code=403)
    token, max_age = granted
    response = Response(status_code=204)
    response.set_cookie(COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=_secure(request))
    return response


async def stop(request: Request) -> Response:
    if _refused(request):
        return Response(status_code=403)
    token = request.cookies.get(COOKIE)
    if token:
        end_session(engine(), token=token)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


app = st.App(str(UI), routes=[Route("/auth/session", start, methods=["POST"]),
                              Route("/auth/signout", stop, methods=["POST"])])
