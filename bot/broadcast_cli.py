"""``flask broadcast ...``: everything the console does with broadcasts, from a terminal.

The same ``bot.broadcasts.Broadcasts`` does the work, so the audit log names the operator
(``--as``, default the login name) whichever way a broadcast was sent.
"""

from __future__ import annotations

import getpass
import json
from datetime import datetime

import click
from flask import Flask

from bot.broadcasts import BroadcastError, Broadcasts, Draft, preview
from bot.services import services
from messages.languages import LANGUAGES


def _broadcasts() -> Broadcasts:
    svc = services()
    return Broadcasts(svc.redis, svc.config)


def _when(text: str | None) -> float | None:
    """ISO date-time (with a zone, or UTC when none) -> epoch seconds."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _fail(error: BroadcastError) -> None:
    raise click.ClickException(str(error))


def register(app: Flask) -> None:
    @app.cli.group("broadcast")
    def broadcast() -> None:
        """Create, preview, send, follow and stop staff broadcasts."""

    operator = click.option("--as", "who", default=None, help="who is acting (for the audit log)")

    @broadcast.command("create")
    @click.option("--text", "texts", multiple=True, metavar="LANG=TEXT",
                  help="the update in one language (repeat per language; en is required)")
    @click.option("--topic", default=None, help="send a topic's first page instead of a text")
    @click.option("--pace", type=int, default=None, help="at most this many messages an hour")
    @click.option("--at", "at", default=None, help="schedule, e.g. 2026-12-01T09:00+01:00")
    @operator
    def create(texts: tuple[str, ...], topic: str | None, pace: int | None, at: str | None,
               who: str | None) -> None:
        """Write a draft; nothing is sent until `broadcast send`."""
        parsed: dict[str, str] = {}
        for item in texts:
            language, sep, text = item.partition("=")
            if not sep or language not in LANGUAGES:
                raise click.BadParameter(f"expected LANG=TEXT with LANG one of {', '.join(LANGUAGES)}")
            parsed[language] = text
        try:
            made = _broadcasts().create(Draft(parsed, topic, pace, _when(at)), who or getpass.getuser())
        except BroadcastError as error:
            _fail(error)
        click.echo(made.id)

    @broadcast.command("preview")
    @click.argument("broadcast_id")
    def show_preview(broadcast_id: str) -> None:
        """What each language would receive: segments, encoding, recipients, time and cost."""
        found = _broadcasts().get(broadcast_id)
        if found is None:
            raise click.ClickException(f"no broadcast {broadcast_id!r}")
        svc = services()
        seen = preview(found.draft, svc.redis, svc.config)
        for row in seen.languages:
            note = "" if row.own_text else " (English text)"
            click.echo(f"{row.language}  {row.segments} seg {row.encoding:<6} sms {row.sms_recipients:>6}  "
                       f"whatsapp {row.whatsapp_recipients:>6}{note}")
        click.echo(f"recipients {seen.recipients}, SMS segments {seen.total_segments}, "
                   f"about {seen.estimated_seconds:.0f} s at {seen.rate_per_second:g}/s, "
                   f"estimated cost {seen.estimated_cost:.2f}")

    @broadcast.command("send")
    @click.argument("broadcast_id")
    @click.option("--at", "at", default=None, help="schedule instead of sending now")
    @operator
    def send(broadcast_id: str, at: str | None, who: str | None) -> None:
        """Confirm a draft: send it now (or at --at)."""
        try:
            done = _broadcasts().send(broadcast_id, who or getpass.getuser(), _when(at))
        except BroadcastError as error:
            _fail(error)
        click.echo(done.status)

    @broadcast.command("status")
    @click.argument("broadcast_id")
    def status(broadcast_id: str) -> None:
        """Status, counts and progress, as JSON."""
        found = _broadcasts().get(broadcast_id)
        if found is None:
            raise click.ClickException(f"no broadcast {broadcast_id!r}")
        click.echo(json.dumps(found.to_dict(), indent=2, sort_keys=True))

    for name, doc in (("pause", "Hold the rest of a sending broadcast."),
                      ("resume", "Carry on with a paused broadcast."),
                      ("cancel", "Stop a broadcast for good (sent messages cannot be recalled).")):

        def action(broadcast_id: str, who: str | None, _name: str = name) -> None:
            try:
                done = getattr(_broadcasts(), _name)(broadcast_id, who or getpass.getuser())
            except BroadcastError as error:
                _fail(error)
            click.echo(done.status)

        action.__doc__ = doc
        broadcast.command(name)(operator(click.argument("broadcast_id")(action)))
