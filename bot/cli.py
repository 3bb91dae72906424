"""``flask`` commands for editors and operators (content report, segment budget table)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask

from bot import broadcast_cli, chat, privacy, staff
from messages import budget
from messages.report import report


def register(app: Flask) -> None:
    chat.register(app)  # flask chat --from +34600000001: the simulator in a terminal
    broadcast_cli.register(app)  # flask broadcast create/preview/send/status/pause/resume/cancel
    privacy.register(app)  # flask privacy forget NUMBER
    staff.register(app)  # flask staff create NAME --role ROLE / list / remove

    @app.cli.group("content")
    def content() -> None:
        """Review the bot's content."""

    @content.command("report")
    @click.option("--language", default="en", help="language of the pages to measure")
    @click.option("--today", default=None, help="YYYY-MM-DD, to check review dates")
    def content_report(language: str, today: str | None) -> None:
        """Every topic, page by page: length, SMS segments, encoding, and each sentence's evidence."""
        click.echo(report(language, date.fromisoformat(today) if today else None))

    @content.command("budget")
    @click.argument("languages", nargs=-1)
    def content_budget(languages: tuple[str, ...]) -> None:
        """The SMS segment table of every reply, per language."""
        raise SystemExit(budget.main(list(languages)))
