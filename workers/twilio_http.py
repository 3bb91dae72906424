"""The HTTP client under the ``twilio`` client: aiohttp on the worker's event loop.

Why aiohttp: many sends must be in flight at once (Twilio takes about 150 ms to answer a
request and allows 100 at a time per account), and on one event loop they cost no thread
each (``workers.event_loop`` says why that matters). It is the library twilio's own async
client uses; ``twilio.http.AsyncHttpClient`` is the library's documented extension point, and
everything above it (URLs, parameters, the auth header, the User-Agent, error parsing into
``TwilioRestException``) is still the library's own code. Twilio's ``AsyncTwilioHttpClient``
is not used as it stands: it would wrap retries around a create (which must never be retried
blindly: see ``workers.delivery``) and it has no cap on requests in flight.

It also points ``*.twilio.com`` at ``TWILIO_API_BASE_URL`` (the fake API in tests and
benchmarks), so the only difference between a test and production is the base URL.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.request
from urllib.parse import urlencode, urlsplit, urlunsplit

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

JSON_TYPES = frozenset({"application/json", "application/scim+json"})


def _proxy_for(base_url: str) -> str | None:
    """The proxy the environment names for this URL, read once (not on every send)."""
    parts = urlsplit(base_url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


class AiohttpClient(AsyncHttpClient):
    """Twilio's async HTTP client contract over one aiohttp session of ``pool_size``
    kept-alive connections, with at most ``pool_size`` requests in flight.

    The cap is held for the HTTP exchange only, not while the twilio client builds the
    request or parses the answer, so it counts what Twilio counts (Twilio answers 429 past
    100 per account). No retries: whether a failed send may be retried is the outbox's
    decision, which must know if the request could have reached Twilio, so aiohttp's own
    exceptions reach ``workers.transport.classify`` unwrapped.
    """

    def __init__(self, base_url: str, timeout: float, pool_size: int) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), is_async=True, timeout=timeout)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._proxy = _proxy_for(base_url)
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None  # made on the loop, at the first request
        self._in_flight = asyncio.Semaphore(pool_size)
        self._auth_headers: dict[tuple[str, str], str] = {}

    def _rebased(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == "twilio.com" or host.endswith(".twilio.com"):
            return urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return url

    def _authorization(self, auth: tuple[str, str]) -> str:
        if auth not in self._auth_headers:
            self._auth_headers[auth] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return self._auth_headers[auth]

    def _session_now(self) -> aiohttp.ClientSession:
        if self._session is None:
            # Pool waits are the in-flight cap's job; the connect timeout is the socket's alone.
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.pool_size))
        return self._session

    async def request(self, method: str, url: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        seconds = timeout or self.timeout
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = self._authorization(auth)
        base = target = self._rebased(url)
        if params:
            target = f"{base}{'&' if '?' in base else '?'}{urlencode(params, doseq=True)}"
        body: str | None = None
        if data is not None:
            if headers.get("Content-Type") in JSON_TYPES:
                body = json.dumps(data)
            else:
                body = urlencode(data, doseq=True)
                headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        logged = self.logger.isEnabledFor(logging.INFO)  # as twilio's own client logs (numbers and all)
        if logged:
            self.log_request({"method": method.upper(), "url": base, "params": params, "headers": headers})
        limits = aiohttp.ClientTimeout(sock_connect=seconds, sock_read=seconds)
        async with self._in_flight, self._session_now().request(
                method.upper(), target, data=body, headers=headers, allow_redirects=allow_redirects,
                timeout=limits, proxy=self._proxy) as answer:
            content = (await answer.read()).decode("utf-8", "replace")
        response = Response(answer.status, content, answer.headers)
        if logged:
            self.log_response(answer.status, response)  # type: ignore[arg-type]
        return response

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
