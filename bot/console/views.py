"""The console's pages and JSON endpoints under ``/console``.

Every request passes ``guard`` first: CSRF on every POST (400 without a valid token), then
the sign-in (a redirect to the login page, or 401 for the JSON a page polls), then each
view's role (403). Every change of state is written to the audit log with the username.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

from bot import metrics
from bot.broadcasts import (
    CANCELLED,
    DONE,
    DRAFT,
    PAUSED,
    SCHEDULED,
    SENDING,
    Broadcast,
    BroadcastError,
    Broadcasts,
    Draft,
    Preview,
    preview,
)
from bot.console import dashboard as dashboard_data
from bot.console import queues as queue_data
from bot.console.auth import (
    CSRF_FIELD,
    LoginThrottle,
    Sessions,
    Signed,
    check_csrf,
    csrf_token,
    passive,
    public,
    requires,
)
from bot.quiet_hours import QuietHours
from bot.services import services
from bot.staff import ADMIN, BROADCASTER, MAX_PASSWORD_CHARS, VIEWER, StaffError, StaffStore, check_username
from messages.languages import LANGUAGES, RIGHT_TO_LEFT
from messages.topics import TOPICS

blueprint = Blueprint("console", __name__, url_prefix="/console")

# Only the console's own script and style; no inline code, no framing, forms post to itself.
PAGE_POLICY = "; ".join((
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
))
_BROADCAST_ID = re.compile(r"^\d{14}-[0-9a-f]{6}$")
ACTIONS = {"pause": (SENDING,), "resume": (PAUSED,), "cancel": (DRAFT, SCHEDULED, SENDING, PAUSED)}


# -- helpers ------------------------------------------------------------------------------------


def _broadcasts() -> Broadcasts:
    svc = services()
    return Broadcasts(svc.redis, svc.config)


def _sessions() -> Sessions:
    svc = services()
    return Sessions(svc.redis, svc.config.staff_idle_minutes * 60)


def _audit(action: str, target: str = "", detail: str = "", who: str | None = None) -> None:
    _broadcasts().audit(who or g.staff.username, action, target, detail)


def fmt_time(value: float | datetime | str | None) -> str:
    """Times are shown in UTC, named as such: staff and subscribers live in many zones."""
    if value in (None, "", 0):
        return "—"
    if isinstance(value, str):
        value = float(value)
    moment = value if isinstance(value, datetime) else datetime.fromtimestamp(value, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


def quiet_hours_text() -> str:
    window = QuietHours.parse(services().config.quiet_hours)
    if window.start == window.end:
        return "Quiet hours are off (QUIET_HOURS): messages go out at any hour."
    return (f"Quiet hours {window.start:%H:%M}–{window.end:%H:%M} (QUIET_HOURS) in each subscriber's "
            "own time zone: messages due then wait until the morning, so sending may take longer "
            "than estimated.")


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console: never another site (an open redirect)."""
    if not target or not target.startswith("/console") or target.startswith("//") or "\\" in target:
        return None
    if target.startswith(url_for(".login")):
        return None
    return target


def _broadcast_or_404(broadcast_id: str) -> Broadcast:
    found = _broadcasts().get(broadcast_id) if _BROADCAST_ID.match(broadcast_id) else None
    if found is None:
        abort(404, description=f"No broadcast {broadcast_id!r}.")
    return found


def draft_from_form(form: MultiDict[str, str]) -> tuple[Draft, list[str]]:
    """The compose form as a draft, and everything wrong with it (all at once)."""
    problems: list[str] = []
    texts = {}
    for language in LANGUAGES:
        text = form.get(f"text_{language}", "").replace("\r\n", "\n").replace("\r", "\n")
        if text.strip():
            texts[language] = text  # form posts turn line breaks into CR LF; SMS counts them
    topic = form.get("topic", "").strip() or None
    pace = None
    raw_pace = form.get("pace_per_hour", "").strip()
    if raw_pace:
        try:
            pace = int(raw_pace)
        except ValueError:
            problems.append("The pace must be a whole number of messages an hour.")
    scheduled = None
    raw_when = form.get("scheduled_for", "").strip()
    if raw_when:
        try:
            scheduled = datetime.strptime(raw_when, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC).timestamp()
        except ValueError:
            problems.append("The scheduled time must look like 2026-12-01T09:00 (UTC).")
    draft = Draft(texts=texts, topic=topic, pace_per_hour=pace, scheduled_for=scheduled)
    return draft, problems + draft.problems(time.time())


def previewable(draft: Draft) -> bool:
    """A preview needs the English text or a known topic (other languages fall back to them)."""
    return (draft.topic in TOPICS) if draft.topic else bool(draft.texts.get("en", "").strip())


def preview_dict(result: Preview) -> dict[str, Any]:
    return {
        "languages": [asdict(row) for row in result.languages],
        "recipients": result.recipients,
        "total_segments": result.total_segments,
        "estimated_cost": result.estimated_cost,
        "estimated_cost_text": f"${result.estimated_cost:,.2f}",
        "estimated_seconds": result.estimated_seconds,
        "estimated_time": fmt_duration(result.estimated_seconds),
        "rate_per_second": result.rate_per_second,
    }


# -- the guard, headers and errors ----------------------------------------------------------------


@blueprint.before_request
def guard() -> Any:
    """CSRF, then who is signed in; views check their role themselves (``requires``)."""
    g.staff = None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf()
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "public", False):
        return None
    is_passive = getattr(view, "passive", False)
    sid = session.get("sid")
    signed = _sessions().load(sid, touch=not is_passive) if isinstance(sid, str) else Signed(None)
    if signed.account is not None:
        g.staff = signed.account
        return None
    session.pop("sid", None)
    if signed.reason == "idle":
        minutes = services().config.staff_idle_minutes
        flash(f"You were signed out after {minutes} minutes without activity.", "info")
    elif signed.reason == "removed":
        flash("Your account was removed.", "error")
    if _wants_json():
        return jsonify({"error": "signed out", "login": url_for(".login")}), 401
    return redirect(url_for(".login", next=request.full_path.rstrip("?") if request.method == "GET" else None))


@blueprint.after_request
def secure_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # staff pages must not sit in a shared cache
    return response


def _wants_json() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return (getattr(view, "passive", False) or request.endpoint == "console.compose_preview"
            or request.accept_mimetypes.best == "application/json")


@blueprint.errorhandler(HTTPException)
def console_error(error: HTTPException) -> Any:
    """Console errors as console pages, or JSON for the pages' scripts."""
    if _wants_json():
        return jsonify({"error": error.description}), error.code
    return render_template("console/error.html", error=error), error.code


@blueprint.context_processor
def page_helpers() -> dict[str, Any]:
    return {"staff": g.get("staff"), "csrf_token": csrf_token, "csrf_field": CSRF_FIELD,
            "fmt_time": fmt_time, "fmt_duration": fmt_duration, "VIEWER": VIEWER,
            "BROADCASTER": BROADCASTER, "ADMIN": ADMIN, "languages": LANGUAGES,
            "right_to_left": RIGHT_TO_LEFT}


# -- signing in and out ---------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    svc = services()
    if request.method == "GET":
        return render_template("console/login.html", next=_safe_next(request.args.get("next")), error=None)
    username = request.form.get("username", "").strip().lower()[:64]
    password = request.form.get("password", "")[:MAX_PASSWORD_CHARS + 1]
    target = _safe_next(request.form.get("next"))
    try:
        name: str | None = check_username(username)
    except StaffError:
        name = None  # counted against the address only
    throttle = LoginThrottle(svc.redis, svc.config.secret_key)
    address = request.remote_addr or "unknown"
    store = StaffStore(svc.redis)
    known = name if name and store.get(name) else "(unknown)"
    wait = throttle.blocked_for(name, address)
    if wait:
        _audit("login-blocked", who=known)
        minutes = max(1, -(-wait // 60))
        page = render_template("console/login.html", next=target, username=username,
                               error=f"Too many failed sign-ins. Try again in {minutes} minutes.")
        return page, 429, {"Retry-After": str(wait)}
    account = store.verify(username, password)
    if account is None:
        throttle.failed(name, address)
        _audit("login-failed", who=known)
        page = render_template("console/login.html", next=target, username=username,
                               error="Wrong username or password.")
        return page, 401
    throttle.succeeded(account.username)
    old = session.get("sid")
    if isinstance(old, str):
        _sessions().end(old)
    session.clear()  # a new session id and a new CSRF token: nothing from before sign-in survives
    session["sid"] = _sessions().start(account.username)
    csrf_token()
    _audit("login", who=account.username)
    return redirect(target or url_for(".dashboard"))


@blueprint.post("/logout")
@requires(VIEWER)
def logout() -> Any:
    sid = session.get("sid")
    if isinstance(sid, str):
        _sessions().end(sid)
    _audit("logout")
    session.clear()
    flash("Signed out.", "info")
    return redirect(url_for(".login"))


# -- pages ------------------------------------------------------------------------------------------


@blueprint.get("/")
@requires(VIEWER)
def dashboard() -> Any:
    data = dashboard_data.build(services().redis, datetime.now(UTC).date())
    return render_template("console/dashboard.html", data=data,
                           recent=_broadcasts().recent(limit=5))


@blueprint.get("/broadcasts")
@requires(VIEWER)
def broadcast_list() -> Any:
    return render_template("console/broadcasts.html", broadcasts=_broadcasts().recent(limit=100))


def _compose_page(form: MultiDict[str, str], problems: list[str], status: int = 200) -> Any:
    config = services().config
    page = render_template(
        "console/compose.html", form=form, problems=problems, topics=TOPICS,
        quiet_hours=quiet_hours_text(), rate=config.send_rate_per_second,
        price=config.sms_price_per_segment, now_utc=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"))
    return page, status


@blueprint.get("/broadcasts/new")
@requires(BROADCASTER)
def compose() -> Any:
    return _compose_page(MultiDict(), [])


@blueprint.post("/broadcasts/preview")
@requires(BROADCASTER)
def compose_preview() -> Any:
    """What the compose page shows as the staff member types (its script posts the form)."""
    draft, problems = draft_from_form(request.form)
    if not previewable(draft):
        return jsonify({"ready": False, "problems": problems})
    result = preview(draft, services().redis, services().config)
    return jsonify({"ready": True, "problems": problems, **preview_dict(result)})


@blueprint.post("/broadcasts")
@requires(BROADCASTER)
def create() -> Any:
    draft, problems = draft_from_form(request.form)
    if problems:
        return _compose_page(request.form, problems, 422)
    try:
        created = _broadcasts().create(draft, g.staff.username)
    except BroadcastError as error:
        return _compose_page(request.form, [str(error)], 422)
    return redirect(url_for(".broadcast_page", broadcast_id=created.id))


@blueprint.get("/broadcasts/<broadcast_id>")
@requires(VIEWER)
def broadcast_page(broadcast_id: str) -> Any:
    found = _broadcast_or_404(broadcast_id)
    config = services().config
    if found.status == DRAFT:
        result = preview(found.draft, services().redis, config) if previewable(found.draft) else None
        return render_template("console/review.html", broadcast=found, preview=result,
                               quiet_hours=quiet_hours_text(), price=config.sms_price_per_segment)
    return render_template("console/broadcast.html", broadcast=found, actions=ACTIONS,
                           quiet_hours=quiet_hours_text())


@blueprint.get("/broadcasts/<broadcast_id>/status")
@passive
@requires(VIEWER)
def broadcast_status(broadcast_id: str) -> Any:
    """Polled every second by the broadcast page for its progress bar and counts."""
    found = _broadcast_or_404(broadcast_id)
    return jsonify({**found.to_dict(), "finished": found.status in (DONE, CANCELLED),
                    "started_at_text": fmt_time(found.fields.get("started_at")),
                    "finished_at_text": fmt_time(found.fields.get("finished_at"))})


@blueprint.post("/broadcasts/<broadcast_id>/send")
@requires(BROADCASTER)
def send(broadcast_id: str) -> Any:
    found = _broadcast_or_404(broadcast_id)
    at = None if request.form.get("when") == "scheduled" and found.draft.scheduled_for else time.time()
    try:
        done = _broadcasts().send(broadcast_id, g.staff.username, at=at)
    except BroadcastError as error:
        flash(str(error), "error")
    else:
        flash("Scheduled." if done.status == SCHEDULED else "Sending started.", "info")
    return redirect(url_for(".broadcast_page", broadcast_id=broadcast_id))


@blueprint.post("/broadcasts/<broadcast_id>/<action>")
@requires(BROADCASTER)
def act(broadcast_id: str, action: str) -> Any:
    """Pause, resume or cancel (the audit entry is written by ``Broadcasts``)."""
    if action not in ACTIONS:
        abort(404)
    _broadcast_or_404(broadcast_id)
    broadcasts = _broadcasts()
    method = {"pause": broadcasts.pause, "resume": broadcasts.resume, "cancel": broadcasts.cancel}[action]
    try:
        method(broadcast_id, g.staff.username)
    except BroadcastError as error:
        flash(str(error), "error")
    else:
        flash({"pause": "Paused.", "resume": "Resumed.", "cancel": "Cancelled."}[action], "info")
    if action == "cancel" and request.form.get("from") == "review":
        return redirect(url_for(".broadcast_list"))
    return redirect(url_for(".broadcast_page", broadcast_id=broadcast_id))


@blueprint.get("/audit")
@requires(ADMIN)
def audit() -> Any:
    return render_template("console/audit.html", entries=_broadcasts().audit_log(limit=500))


@blueprint.get("/queues")
@requires(ADMIN)
def queues() -> Any:
    redis = services().redis
    rows, failed = queue_data.overview(redis)
    return render_template("console/queues.html", rows=rows, failed=failed,
                           workers=metrics.alive_workers(redis))


@blueprint.post("/queues/<queue>/failed/<job_id>/retry")
@requires(ADMIN)
def retry_job(queue: str, job_id: str) -> Any:
    try:
        queue_data.retry(services().redis, queue, job_id)
    except LookupError:
        flash(f"Job {job_id} is not in the failed jobs of {queue!r} (any more).", "error")
    else:
        _audit("retry-job", job_id, f"queue {queue}")
        flash(f"Job {job_id} is back on the {queue} queue.", "info")
    return redirect(url_for(".queues"))
