"""Sign in (password, then the optional TOTP code), sign out, own account (password, TOTP)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from coach.portal import accounts, audit
from coach.portal.deps import current, get_db, render, settings_of
from coach.portal.enrolment import qr_data_uri
from coach.portal.passwords import password_problem, verify_password
from coach.portal.sessions import (
    COOKIE_NAME,
    Current,
    end_all_sessions,
    end_session,
    load_session,
    start_session,
)

router = APIRouter()
HOME = {"therapist": "/inbox", "admin": "/admin/duty", "caregiver": "/caregiver"}
LOGIN_MESSAGES = {
    "bad": "That e-mail and password do not match an account.",
    "locked": "Too many wrong passwords: this account is locked for a while. "
    "Try again later or ask the clinic admin to unlock it.",
    "throttled": "Too many failed sign-ins from this device. Please wait and try again.",
}


def home_of(role: str) -> str:
    """Where a role lands after signing in."""
    return HOME.get(role, "/")


def _safe_next(target: str | None) -> str | None:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure unless configured off."""
    settings = settings_of(request)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next) or "", "error": None})


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    settings = settings_of(request)
    client = request.client.host if request.client else None
    result = accounts.authenticate(db, email, password, client, settings)
    if result.outcome != "ok" or result.user is None:
        status = 429 if result.outcome == "throttled" else 401
        context = {"next": _safe_next(next) or "", "error": LOGIN_MESSAGES[result.outcome]}
        return render(request, "login.html", {**context, "email": email}, status_code=status)
    user = result.user
    end_session(db, request.cookies.get(COOKIE_NAME))
    token = start_session(db, user, settings, mfa_pending=bool(user.totp_secret))
    if user.totp_secret:
        target = "/login/code" + (f"?next={quote(next)}" if _safe_next(next) else "")
    else:
        audit.record(db, user, "signed_in")
        target = _safe_next(next) or home_of(user.role)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/login/code")
def code_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login_code.html", {"next": _safe_next(next) or "", "error": None})


@router.post("/login/code")
def code(
    request: Request,
    code: str = Form(""),
    next: str = Form(""),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    settings = settings_of(request)
    token = request.cookies.get(COOKIE_NAME)
    found = load_session(db, token, settings)
    if found is None or not found.session.mfa_pending:
        return RedirectResponse("/login", status_code=303)
    if not accounts.totp_ok(found.user.totp_secret, code):
        client = request.client.host if request.client else None
        result = accounts.record_failure(db, found.user.email, client, settings)
        if result.outcome == "locked":
            end_session(db, token)
        return render(
            request,
            "login_code.html",
            {
                "next": _safe_next(next) or "",
                "error": "That code is not right. Try the newest one.",
            },
            status_code=401,
        )
    end_session(db, token)
    fresh = start_session(db, found.user, settings)
    audit.record(db, found.user, "signed_in", detail_second_factor=True)
    response = RedirectResponse(_safe_next(next) or home_of(found.user.role), status_code=303)
    set_session_cookie(request, response, fresh)
    return response


@router.post("/logout")
def logout(request: Request, db: Session = Depends(get_db, scope="function")) -> Response:
    end_session(db, request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/login?msg=signed_out", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/account")
def account(request: Request, found: Current = Depends(current)) -> Response:
    return render(request, "account.html", _account_context(found, None))


def _totp_setup(secret: str, uri: str) -> dict[str, str]:
    """What the set-up step shows: the key, its otpauth link and that link as a QR code."""
    return {"totp_secret": secret, "totp_uri": uri, "totp_qr": qr_data_uri(uri)}


def _account_context(found: Current, error: str | None, **extra: object) -> dict[str, object]:
    return {"account": found.user, "error": error, "totp_secret": None, **extra}


@router.post("/account/password")
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    repeat_password: str = Form(""),
    found: Current = Depends(current),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    user = found.user
    error = None
    if not verify_password(user.password_hash, current_password):
        error = "Your current password is not right."
    elif new_password != repeat_password:
        error = "The two new passwords are different."
    else:
        error = password_problem(new_password)
    if error:
        return render(request, "account.html", _account_context(found, error), status_code=400)
    db.add(user)
    accounts.set_password(user, new_password)
    end_all_sessions(db, user.id)
    token = start_session(db, user, settings_of(request))
    audit.record(db, user, "password_changed", "portal_user", user.id)
    response = RedirectResponse("/account?msg=password_changed", status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.post("/account/totp/start")
def totp_start(request: Request, found: Current = Depends(current)) -> Response:
    secret = accounts.new_totp_secret()
    uri = accounts.totp_uri(secret, found.user.email)
    context = _account_context(found, None, **_totp_setup(secret, uri))
    return render(request, "account.html", context)


@router.post("/account/totp/confirm")
def totp_confirm(
    request: Request,
    secret: str = Form(""),
    code: str = Form(""),
    found: Current = Depends(current),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not accounts.totp_ok(secret, code):
        uri = accounts.totp_uri(secret, found.user.email)
        context = _account_context(
            found,
            "That code did not match. Check the phone's clock and try the newest code.",
            **_totp_setup(secret, uri),
        )
        return render(request, "account.html", context, status_code=400)
    found.user.totp_secret = secret
    audit.record(db, found.user, "totp_enabled", "portal_user", found.user.id)
    return RedirectResponse("/account?msg=totp_on", status_code=303)


@router.post("/account/totp/off")
def totp_off(
    request: Request,
    password: str = Form(""),
    found: Current = Depends(current),
    db: Session = Depends(get_db, scope="function"),
) -> Response:
    if not verify_password(found.user.password_hash, password):
        error = "Your password is not right."
        return render(request, "account.html", _account_context(found, error), status_code=400)
    found.user.totp_secret = None
    audit.record(db, found.user, "totp_disabled", "portal_user", found.user.id)
    return RedirectResponse("/account?msg=totp_off", status_code=303)
