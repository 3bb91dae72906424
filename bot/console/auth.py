"""Console sign-in: server-side sessions, CSRF tokens, sign-in throttling and role checks.

Flask's signed cookie holds only a random session id and the CSRF token; the session itself
lives in Redis, so signing out, an idle time-out or removing an account ends it for real (a
copied cookie is worthless afterwards). The role is read from the account on every request,
so a changed or removed account takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, request, session
from redis import Redis

from bot.keys import login_failures, login_failures_from, staff_session
from bot.staff import StaffAccount, StaffStore, as_text

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_SESSION_SECONDS = 12 * 3600  # even an active session signs in again after a working day
LOGIN_WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20  # higher: colleagues behind one office address share it

View = TypeVar("View", bound=Callable[..., Any])


def csrf_token() -> str:
    """The session's CSRF token, made on first use (also before sign-in: the login form has one)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def check_csrf() -> None:
    """400 unless the form field or the fetch() header carries this session's token."""
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(
            expected.encode(), given.encode()):
        abort(400, description="The form had expired or did not come from the console. "
                               "Go back, reload the page and try again.")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class Signed:
    """Who is signed in, or why nobody is (``reason``: "idle", "expired", "removed", "")."""

    account: StaffAccount | None
    reason: str = ""


class Sessions:
    """Server-side sessions keyed by the digest of their id (Redis holds no usable id)."""

    def __init__(self, redis: Redis, idle_seconds: int) -> None:
        self.redis = redis
        self.idle_seconds = idle_seconds

    def start(self, username: str) -> str:
        sid = secrets.token_urlsafe(32)
        now = f"{time.time():.3f}"
        key = staff_session(_digest(sid))
        with self.redis.pipeline() as pipe:
            pipe.hset(key, mapping={"username": username, "created_at": now, "last_seen": now})
            pipe.expire(key, self.idle_seconds)
            pipe.execute()
        return sid

    def load(self, sid: str, touch: bool) -> Signed:
        """The session's account; ``touch`` (a person acting, not a page polling) keeps it alive."""
        key = staff_session(_digest(sid))
        raw = {as_text(k): as_text(v) for k, v in self.redis.hgetall(key).items()}
        if "username" not in raw:
            return Signed(None, "expired")
        now = time.time()
        if now - float(raw.get("last_seen") or 0) > self.idle_seconds:
            self.redis.delete(key)
            return Signed(None, "idle")
        if now - float(raw.get("created_at") or 0) > MAX_SESSION_SECONDS:
            self.redis.delete(key)
            return Signed(None, "expired")
        account = StaffStore(self.redis).get(raw["username"])
        if account is None:
            self.redis.delete(key)
            return Signed(None, "removed")
        if touch:
            with self.redis.pipeline() as pipe:
                pipe.hset(key, "last_seen", f"{now:.3f}")
                pipe.expire(key, self.idle_seconds)
                pipe.execute()
        return Signed(account)

    def end(self, sid: str) -> None:
        self.redis.delete(staff_session(_digest(sid)))


class LoginThrottle:
    """At most N failed sign-ins per username and per client address in a 15-minute window."""

    def __init__(self, redis: Redis, secret: str) -> None:
        self.redis = redis
        self.secret = secret

    def _keys(self, username: str | None, address: str) -> list[tuple[str, int]]:
        # The address is keyed by an HMAC: Redis keeps no staff member's IP address.
        digest = hmac.new(self.secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
        keys = [(login_failures_from(digest), MAX_FAILURES_PER_ADDRESS)]
        if username:
            keys.append((login_failures(username), MAX_FAILURES_PER_USER))
        return keys

    def blocked_for(self, username: str | None, address: str) -> int:
        """Seconds until another try is allowed (0: allowed now)."""
        keys = self._keys(username, address)
        with self.redis.pipeline() as pipe:
            for key, _ in keys:
                pipe.get(key)
                pipe.ttl(key)
            answers = pipe.execute()
        wait = 0
        for index, (_, limit) in enumerate(keys):
            count, ttl = answers[2 * index], answers[2 * index + 1]
            if count is not None and int(count) >= limit:
                wait = max(wait, ttl if ttl > 0 else LOGIN_WINDOW_SECONDS)
        return wait

    def failed(self, username: str | None, address: str) -> None:
        with self.redis.pipeline() as pipe:
            for key, _ in self._keys(username, address):
                pipe.set(key, 0, ex=LOGIN_WINDOW_SECONDS, nx=True)  # the window starts at the first
                pipe.incr(key)
            pipe.execute()

    def succeeded(self, username: str) -> None:
        self.redis.delete(login_failures(username))


def requires(role: str) -> Callable[[View], View]:
    """403 unless the signed-in account's role is at least ``role``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            account: StaffAccount | None = g.get("staff")
            if account is None or not account.can(role):
                abort(403, description=f"This needs the {role} role; you are signed in as "
                                       f"{account.role if account else 'nobody'}.")
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def passive(view: View) -> View:
    """A JSON endpoint a page polls: answers 401 instead of redirecting, and is not activity,
    so a broadcast page left open does not keep a session alive past the idle time-out."""
    view.passive = True  # type: ignore[attr-defined]
    return view


def public(view: View) -> View:
    """Reachable without signing in (the sign-in page)."""
    view.public = True  # type: ignore[attr-defined]
    return view
