"""Staff accounts for the console: who may sign in, with which role, and ``flask staff``.

Accounts live in Redis (``msb:staff:<username>``: password hash, role, creation time) and are
made only from a terminal, so the web console never needs a sign-up page an attacker could
find. Passwords are hashed with scrypt (memory-hard, so a stolen copy of Redis is slow to
crack); roles are ordered: a broadcaster can do all a viewer can, an admin all of both.
"""

from __future__ import annotations

import getpass
import re
import secrets
import sys
import time
from dataclasses import dataclass
from functools import lru_cache

import click
from flask import Flask
from redis import Redis
from werkzeug.security import check_password_hash, generate_password_hash

from bot.keys import STAFF_ACCOUNTS, staff

VIEWER, BROADCASTER, ADMIN = "viewer", "broadcaster", "admin"
ROLES = (VIEWER, BROADCASTER, ADMIN)  # in increasing order of power
RANK = {role: rank for rank, role in enumerate(ROLES)}
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 1024  # scrypt hashes any length; this only stops absurd inputs
HASH_METHOD = "scrypt"  # werkzeug's scrypt: N=32768, r=8, p=1, a 16-character salt
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class StaffError(ValueError):
    """A request about an account that cannot be done, said in words fit for the operator."""


@dataclass(frozen=True)
class StaffAccount:
    username: str
    role: str
    created_at: float

    def can(self, role: str) -> bool:
        """True when this account's role is at least ``role``."""
        return RANK.get(self.role, -1) >= RANK[role]


def check_username(username: str) -> str:
    """Lower-case letters, digits, dot, dash, underscore: safe in keys, logs and URLs."""
    if not _USERNAME.match(username):
        raise StaffError("A username is 2 to 32 lower-case letters, digits, '.', '-' or '_', "
                         "starting with a letter or digit.")
    return username


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"The password must be at least {MIN_PASSWORD_CHARS} characters.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise StaffError(f"The password must be at most {MAX_PASSWORD_CHARS} characters.")
    return password


def as_text(raw: bytes | str) -> str:
    """Redis answers bytes; keys and hashes here are always UTF-8 text."""
    return raw.decode() if isinstance(raw, bytes) else raw


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash of nothing anyone knows: checked for unknown users so both cases take as long."""
    return generate_password_hash(secrets.token_urlsafe(24), method=HASH_METHOD)


class StaffStore:
    """The accounts in Redis; every method is safe to call from web and CLI alike."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def create(self, username: str, password: str, role: str) -> StaffAccount:
        check_username(username)
        check_password(password)
        if role not in ROLES:
            raise StaffError(f"The role must be one of {', '.join(ROLES)}.")
        now = time.time()
        hashed = generate_password_hash(password, method=HASH_METHOD)
        # HSETNX on the hash field first: two operators creating the same name cannot both win.
        if not self.redis.hsetnx(staff(username), "password", hashed):
            raise StaffError(f"There is already an account named {username!r}.")
        with self.redis.pipeline() as pipe:
            pipe.hset(staff(username), mapping={"password": hashed, "role": role, "created_at": f"{now:.3f}"})
            pipe.sadd(STAFF_ACCOUNTS, username)
            pipe.execute()
        return StaffAccount(username, role, now)

    def get(self, username: str) -> StaffAccount | None:
        if not _USERNAME.match(username):
            return None
        raw = self.redis.hmget(staff(username), "role", "created_at")
        if raw[0] is None:
            return None
        return StaffAccount(username, as_text(raw[0]), float(raw[1] or 0))

    def verify(self, username: str, password: str) -> StaffAccount | None:
        """The account when the password is right; as slow for unknown users as for known ones."""
        stored = self.redis.hget(staff(username), "password") if _USERNAME.match(username) else None
        if stored is None:
            check_password_hash(_decoy_hash(), password)
            return None
        if not check_password_hash(as_text(stored), password):
            return None
        return self.get(username)

    def all(self) -> list[StaffAccount]:
        names = sorted(as_text(raw) for raw in self.redis.smembers(STAFF_ACCOUNTS))
        return [account for account in (self.get(name) for name in names) if account is not None]

    def remove(self, username: str) -> bool:
        """Delete the account; its open console sessions end at their next request."""
        with self.redis.pipeline() as pipe:
            pipe.delete(staff(username))
            pipe.srem(STAFF_ACCOUNTS, username)
            deleted, _ = pipe.execute()
        return bool(deleted)


def _operator() -> str:
    """Who ran the command, for the audit log (a terminal has no console login)."""
    try:
        return f"{getpass.getuser()} (cli)"
    except Exception:  # no login name in some containers
        return "cli"


def register(app: Flask) -> None:
    """``flask staff create|list|remove``."""
    from bot.broadcasts import Broadcasts
    from bot.services import services

    def store_and_audit() -> tuple[StaffStore, Broadcasts]:
        svc = services()
        return StaffStore(svc.redis), Broadcasts(svc.redis, svc.config)

    @app.cli.group("staff")
    def staff_group() -> None:
        """Console accounts: create, list, remove."""

    @staff_group.command("create")
    @click.argument("username")
    @click.option("--role", type=click.Choice(ROLES), default=VIEWER, show_default=True)
    @click.option("--password-stdin", is_flag=True,
                  help="read the password from standard input instead of a hidden prompt")
    def create(username: str, role: str, password_stdin: bool) -> None:
        """Create a console account (the password is asked for, never an argument)."""
        try:
            check_username(username)
            if password_stdin:
                password = sys.stdin.readline().rstrip("\r\n")
            else:
                password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
            store, log = store_and_audit()
            account = store.create(username, password, role)
        except StaffError as error:
            raise click.ClickException(str(error)) from None
        log.audit(_operator(), "staff-create", account.username, f"role {account.role}")
        click.echo(f"created {account.username} ({account.role})")

    @staff_group.command("list")
    def list_accounts() -> None:
        """Every account with its role and creation date."""
        store, _ = store_and_audit()
        accounts = store.all()
        if not accounts:
            click.echo("no staff accounts: create one with `flask staff create NAME --role admin`")
        for account in accounts:
            created = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(account.created_at))
            click.echo(f"{account.username:<32} {account.role:<12} created {created}")

    @staff_group.command("remove")
    @click.argument("username")
    def remove(username: str) -> None:
        """Delete an account; its console sessions end at once."""
        store, log = store_and_audit()
        if not store.remove(username):
            raise click.ClickException(f"no account named {username!r}")
        log.audit(_operator(), "staff-remove", username)
        click.echo(f"removed {username}")
