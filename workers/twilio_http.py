"""The HTTP client under the ``twilio`` client: urllib3 directly, with kept-alive connections.

Why not twilio's own ``TwilioHttpClient``: it goes through ``requests``, whose per-request
preparation (hooks, cookies, settings merged from the environment, and in requests 2.34
``isinstance`` checks against typing protocols) cost about 250 µs of CPU a send here, a fifth
of a broadcast send's CPU (``bench.send_path``). ``twilio.http.HttpClient`` is the library's
documented extension point; everything above it (URLs, parameters, the auth header, the
User-Agent, error parsing into ``TwilioRestException``) is still the library's own code.

It also points ``*.twilio.com`` at ``TWILIO_API_BASE_URL`` (the fake API in tests and
benchmarks), so the only difference between a test and production is the base URL.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from contextlib import nullcontext
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3
from twilio.http import HttpClient
from twilio.http.response import Response

JSON_TYPES = frozenset({"application/json", "application/scim+json"})


def _proxy_for(base_url: str) -> str | None:
    """The proxy the environment names for this URL, read once (not on every send)."""
    parts = urlsplit(base_url)
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return urllib.request.getproxies().get(parts.scheme)


class Urllib3HttpClient(HttpClient):
    """Twilio's HTTP client contract over one urllib3 pool of ``pool_size`` connections.

    ``in_flight`` caps the requests this process has open at once (Twilio answers 429 past
    100 per account); it is held for the HTTP exchange only, not while the twilio client
    builds the request or parses the answer, so the cap counts what Twilio counts.

    Retries are off (``retries=False``): whether a failed send may be retried is the outbox's
    decision, which must know if the request could have reached Twilio, so urllib3's own
    exceptions reach ``workers.transport.classify`` unwrapped.
    """

    def __init__(self, base_url: str, timeout: float, pool_size: int,
                 in_flight: threading.BoundedSemaphore | None = None) -> None:
        super().__init__(logging.getLogger("twilio.http_client"), is_async=False, timeout=timeout)
        parts = urlsplit(base_url)
        self._scheme, self._netloc = parts.scheme, parts.netloc
        proxy = _proxy_for(base_url)
        options: dict[str, Any] = {"maxsize": pool_size, "block": False, "retries": False}
        self.pool: urllib3.PoolManager = (urllib3.ProxyManager(proxy, **options) if proxy
                                          else urllib3.PoolManager(**options))
        self._auth_headers: dict[tuple[str, str], str] = {}
        self.in_flight = in_flight

    def _rebased(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host == "twilio.com" or host.endswith(".twilio.com"):
            return urlunsplit((self._scheme, self._netloc, parts.path, parts.query, parts.fragment))
        return url

    def _authorization(self, auth: tuple[str, str]) -> str:
        if auth not in self._auth_headers:
            self._auth_headers[auth] = urllib3.make_headers(basic_auth=f"{auth[0]}:{auth[1]}")["authorization"]
        return self._auth_headers[auth]

    def request(self, method: str, uri: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        seconds = timeout or self.timeout
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = self._authorization(auth)
        base = url = self._rebased(uri)
        if params:
            url = f"{base}{'&' if '?' in base else '?'}{urlencode(params, doseq=True)}"
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
        with self.in_flight or nullcontext():
            answer = self.pool.request(
                method.upper(), url, body=body, headers=headers, redirect=allow_redirects,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
            )
        response = Response(answer.status, answer.data.decode("utf-8", "replace"), answer.headers)
        if logged:
            self.log_response(answer.status, response)  # type: ignore[arg-type]
        return response
