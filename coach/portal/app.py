"""The portal's FastAPI application: routers, error pages, security headers, static files.

Another part of the coach adds its pages with one line in `ROUTERS` (or
`app.include_router(router)` on the app `create_app()` returns).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from coach.config import get_settings
from coach.portal import csrf
from coach.portal.deps import (
    LoginRequired,
    PasswordChangeRequired,
    SecondFactorRequired,
    render,
)
from coach.portal.routes import (
    ack,
    admin,
    api,
    auth,
    caregiver,
    enrolment,
    exports,
    inbox,
    media,
    patients,
    plan,
)
from coach.portal.settings import PortalSettings, portal_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
ROUTERS = (
    auth.router,
    inbox.router,
    patients.router,
    plan.router,
    exports.router,
    media.router,
    admin.router,
    caregiver.router,
    enrolment.router,
    api.router,
    ack.router,
)
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
ERROR_TEXT = {
    403: (
        "Not allowed",
        "This form has expired or was not sent from this portal. Go back, "
        "reload the page and try again.",
    ),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    400: ("Please check", "Something in the request was not right."),
    429: ("Slow down", "Too many attempts. Please wait a little and try again."),
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(database_url: str | None = None, settings: PortalSettings | None = None) -> FastAPI:
    """The portal app on `database_url` (default: DATABASE_URL)."""
    app = FastAPI(
        title="Synkinesis coach portal",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf.csrf_protect)],
    )
    app.state.database_url = database_url or get_settings().database_url
    app.state.portal_settings = settings or portal_settings()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/")
    def root() -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.exception_handler(LoginRequired)
    def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        expired = "&msg=session_expired" if request.cookies.get(auth.COOKIE_NAME) else ""
        response = RedirectResponse(f"/login?next={quote(target)}{expired}", status_code=303)
        response.delete_cookie(auth.COOKIE_NAME, path="/")
        return response

    @app.exception_handler(SecondFactorRequired)
    def second_factor(request: Request, _exc: SecondFactorRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Sign in first."}, status_code=401)
        return RedirectResponse("/login/code", status_code=303)

    @app.exception_handler(PasswordChangeRequired)
    def change_password(_request: Request, _exc: PasswordChangeRequired) -> Response:
        return RedirectResponse("/account", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        title, text = ERROR_TEXT.get(exc.status_code, ("Error", "Something went wrong."))
        if exc.status_code in (400, 403) and isinstance(exc.detail, str) and exc.detail:
            text = exc.detail if exc.status_code == 400 else text
        context = {"title": title, "message": text}
        return render(request, "message.html", context, status_code=exc.status_code)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        new_anon = getattr(request.state, "new_anon_id", None)
        if new_anon and not request.cookies.get(csrf.ANON_COOKIE):
            response.set_cookie(
                csrf.ANON_COOKIE,
                new_anon,
                httponly=True,
                secure=app.state.portal_settings.cookie_secure,
                samesite="lax",
                path="/",
            )
        return response

    return app


__all__ = ["create_app"]
