"""``flask --app bot chat --from +34600000001``: talk to the bot in a terminal.

Each line read from standard input goes through the same pipeline as the web simulator
(the intake's router and state under the simulated ``msb:sim:`` keys, outbox records sent
to the local outbox), and the replies are printed with their SMS segments and encoding, the
topic or intent they were routed to, and their language.

No worker is needed: the chat delivers its own records at once with the same ``Deliverer``
the worker's job uses. When a worker is running too, both may try; the outbox's atomic claim
lets only one of them send, and the chat prints what was delivered either way. Lines that
start with ``/`` are the chat's own commands: ``/reset``, ``/sms``, ``/whatsapp``, ``/quit``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import click
from flask import Flask

from bot.intake import Accepted
from bot.keys import delivered
from bot.services import services
from bot.simulator import forget, take
from bot.twilio_wire import BadInbound, parse_address
from messages.model import Channel
from workers.context import build_deliverer
from workers.delivery import Deliverer, RetryLater
from workers.outbox import FINAL, SENT

WAIT_SECONDS = 10.0  # for a record a running worker claimed first
COMMANDS = "/reset forgets this conversation, /sms and /whatsapp switch channel, /quit ends"


def _lines(stream: TextIO, prompt: bool) -> Iterator[str]:
    while True:
        if prompt:
            click.echo("you> ", nl=False)
        line = stream.readline()
        if not line:
            if prompt:
                click.echo()
            return
        yield line.rstrip("\r\n")


def _indent(text: str, prefix: str = "     ") -> str:
    return ("\n" + prefix).join(text.split("\n"))


class Chat:
    """One terminal conversation: a number, a channel, and a way to deliver inline."""

    def __init__(self, number: str, channel: str, deliverer: Deliverer) -> None:
        self.number = number
        self.channel = channel
        self.deliverer = deliverer
        self.redis = services().redis

    def deliver(self, record_id: str) -> dict[str, Any] | str:
        """Send the record now unless a worker did or does; the delivered entry, or why not."""
        try:
            self.deliverer.deliver(record_id)
        except RetryLater as error:  # cannot happen with the local outbox, but be plain
            return f"not sent yet: {error}"
        record = self.deliverer.outbox.get(record_id)
        if record is not None and record.status in FINAL and record.status != SENT:
            return f"{record.status}: {record.get('reason')}"
        item = self.redis.blpop([delivered(record_id)], timeout=WAIT_SECONDS)
        if item is None:
            return "no delivery in time"
        return dict(json.loads(item[1]))

    def say(self, body: str) -> list[str]:
        """Take one message and return the lines to print for its replies."""
        accepted: Accepted = take(self.number, self.channel, body)
        decision = accepted.decision
        lines = []
        for record_id in accepted.record_ids:
            outcome = self.deliver(record_id)
            if isinstance(outcome, str):
                lines.append(f"bot> ({outcome})")
                continue
            lines.append("bot> " + _indent(str(outcome["body"])))
            if outcome.get("channel", self.channel) == Channel.SMS:
                segments = int(outcome["segments"])
                lines.append(f"     [{segments} segment{'' if segments == 1 else 's'}, {outcome['encoding']}]")
        if not accepted.record_ids:
            lines.append("bot> (no reply" + (f": held back, {decision.held_back}" if decision.held_back else "") + ")")
        route = decision.topic or decision.intent
        intent = f" | intent: {decision.intent}" if decision.intent != route else ""
        lines.append(f"---- topic: {route}{intent} | language: {decision.language}")
        return lines

    def run(self, lines: Iterable[str], echo: bool = False) -> None:
        """Answer each line; ``echo`` repeats what was read (for a transcript of piped input)."""
        for line in lines:
            text = line.strip()
            if not text:
                continue
            if echo:
                click.echo("you> " + _indent(line))
            command = text.lower()
            if command in {"/quit", "/exit"}:
                return
            if command == "/reset":
                forget(self.number)
                click.echo("---- conversation reset")
                continue
            if command in {"/sms", "/whatsapp"}:
                self.channel = command[1:]
                click.echo(f"---- channel: {self.channel}")
                continue
            if command in {"/help", "/?"}:
                click.echo(f"---- {COMMANDS}")
                continue
            if len(line) > services().config.max_body_chars:
                click.echo(f"---- too long: at most {services().config.max_body_chars} characters", err=True)
                continue
            for output in self.say(line):
                click.echo(output)


def register(app: Flask) -> None:
    @app.cli.command("chat")
    @click.option("--from", "sender", required=True, metavar="NUMBER",
                  help="the person's number in E.164, e.g. +34600000001 (or whatsapp:+34...)")
    @click.option("--channel", type=click.Choice(Channel.ALL), default=None,
                  help="sms (default) or whatsapp")
    def chat(sender: str, channel: str | None) -> None:
        """Chat with the bot in the terminal: one message a line, replies printed as they arrive.

        Uses the simulator's pipeline (simulated conversations, local outbox): nothing is
        ever sent to Twilio, and no worker is needed.
        """
        try:
            address_channel, number = parse_address(sender)
        except BadInbound as error:
            raise click.BadParameter(str(error), param_hint="--from") from error
        config = services().config
        if config.log_level != "DEBUG":  # a log line per send would break up the conversation
            logging.getLogger("workers.delivery").setLevel(logging.WARNING)
        conversation = Chat(number, channel or address_channel, build_deliverer(config, services().redis))
        interactive = sys.stdin.isatty()
        if interactive:
            click.echo(f"---- chatting as {number} on {conversation.channel}; {COMMANDS}")
        conversation.run(_lines(sys.stdin, prompt=interactive), echo=not interactive)
