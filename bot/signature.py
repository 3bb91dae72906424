"""Twilio's ``X-Twilio-Signature``, checked in microseconds and exactly as twilio's own validator.

Twilio signs every webhook: HMAC-SHA1, keyed with the Auth Token, over the URL it called
followed by each parameter name (sorted) with each of its distinct values (sorted), no
separators; the digest is sent base64-encoded. ``twilio.request_validator.RequestValidator``
checks that, but builds the URL variants and the string again for every request and compares
in a Python loop. This module gives the same answers (``tests/test_signature.py`` proves it on
Twilio's published example and on generated URLs and forms) at a fraction of the cost:

* the two URL spellings Twilio may have signed (with and without the scheme's default port)
  depend only on the URL, so they are worked out once per URL and cached;
* the HMAC is one call into OpenSSL (``hmac.digest``); the second spelling is hashed only
  when the first does not match;
* the comparison is ``hmac.compare_digest`` (constant time).

JSON webhooks are signed over the URL alone, whose ``bodySHA256`` query parameter carries the
SHA-256 of the raw body; pass the body as a ``str`` for those.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import ParseResult, parse_qs, urlparse

from werkzeug.datastructures import MultiDict

HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_DIGESTS = {HMAC_SHA1: "sha1", HMAC_SHA256: "sha256"}
_DEFAULT_PORTS = {"https": 443}  # twilio's rule: 443 for https, 80 for everything else


class SignedUrl(NamedTuple):
    """What a URL contributes to the check: its two spellings and any ``bodySHA256``."""

    without_port: str
    with_port: str
    body_sha256: str | None


def _netloc_without_port(parsed: ParseResult) -> str:
    # Twilio's SDK keeps everything before the first colon; keep to it so answers agree.
    return parsed.netloc.split(":")[0]


@lru_cache(maxsize=512)
def signed_url(url: str) -> SignedUrl | None:
    """The spellings of ``url`` Twilio may have signed; None for a URL with an invalid port.

    Cached: a webhook is called on a handful of URLs, and parsing is most of the cost.
    """
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:  # a malformed IPv6 host or a port that is not a number in range
        return None
    if port:
        with_port = parsed.geturl()
        without_port = parsed._replace(netloc=_netloc_without_port(parsed)).geturl()
    else:
        without_port = parsed.geturl()
        default = _DEFAULT_PORTS.get(parsed.scheme, 80)
        with_port = parsed._replace(netloc=f"{parsed.netloc}:{default}").geturl()
    body_hashes = parse_qs(parsed.query).get("bodySHA256")
    return SignedUrl(without_port, with_port, body_hashes[0] if body_hashes else None)


def _pairs(params: object) -> Iterable[tuple[str, Sequence[str]]]:
    """(name, values) for a werkzeug/Django MultiDict, a webob/aiohttp MultiDict or a dict."""
    if isinstance(params, MultiDict):
        # werkzeug keeps each name's values as a list in the underlying dict; reading it
        # directly is four times cheaper than .lists(), which copies every list.
        return dict.items(params)
    lists = getattr(params, "lists", None)
    if callable(lists):  # Django's QueryDict: every value of a repeated name
        return lists()  # type: ignore[no-any-return]
    getall = getattr(params, "getall", None)
    if callable(getall):
        return [(name, getall(name)) for name in set(params)]  # type: ignore[call-overload]
    if not isinstance(params, Mapping):
        raise TypeError(f"cannot sign parameters given as {type(params).__name__}")
    return [(name, (value,)) for name, value in params.items()]


def payload(url: str, params: object) -> str:
    """The string Twilio signs: URL, then name+value for each sorted name and distinct value."""
    parts = [url]
    # Names are unique, so sorting the pairs compares names only, never the value lists.
    for name, values in sorted(_pairs(params)):
        if len(values) == 1:  # the usual case: no set, no sort
            parts.append(name)
            parts.append(values[0])
            continue
        for value in sorted(set(values)):
            parts.append(name)
            parts.append(value)
    return "".join(parts)


class SignatureValidator:
    """Checks ``X-Twilio-Signature`` for one Auth Token; build once, use for every request."""

    def __init__(self, auth_token: str, algorithm: str = HMAC_SHA1) -> None:
        if not auth_token:
            raise ValueError("a signature cannot be checked without the Auth Token")
        digest = _DIGESTS.get(algorithm.upper())
        if digest is None:
            raise ValueError(f"unsupported webhook signature algorithm: {algorithm}")
        self._key = auth_token.encode("utf-8")
        self._digest = digest

    def compute(self, url: str, params: object = None) -> str:
        """The signature Twilio would send for exactly this URL and these parameters."""
        message = payload(url, params) if params else url
        mac = hmac.digest(self._key, message.encode("utf-8"), self._digest)
        return base64.b64encode(mac).decode("ascii")

    def validate(self, url: str, params: object, signature: str | None) -> bool:
        """True when ``signature`` is Twilio's for ``url`` (either port spelling) and ``params``.

        ``params`` is the form (a MultiDict, so repeated names keep all their values) or, for
        a JSON webhook, the raw body as ``str``. Never raises on hostile input: a URL with a
        bad port, a body that is not text, or a form with a non-text value is simply invalid.
        """
        if not signature or not signature.isascii():
            return False
        variants = signed_url(url)
        if variants is None:
            return False
        expected = signature.encode("ascii")
        try:
            if isinstance(params, str):
                if variants.body_sha256 is not None:
                    actual = hashlib.sha256(params.encode("utf-8")).hexdigest()
                    if not hmac.compare_digest(actual.encode(), variants.body_sha256.encode("utf-8")):
                        return False
                    params = None
                elif params:
                    return False  # a raw body without bodySHA256: nothing Twilio signs
            signed_params = payload("", params) if params else ""
            for spelling in (variants.without_port, variants.with_port):
                message = (spelling + signed_params).encode("utf-8")
                mac = base64.b64encode(hmac.digest(self._key, message, self._digest))
                if hmac.compare_digest(mac, expected):
                    return True
        except (TypeError, UnicodeEncodeError):
            return False
        return False


@lru_cache(maxsize=8)
def validator_for(auth_token: str) -> SignatureValidator:
    """One validator per Auth Token (a process normally has one)."""
    return SignatureValidator(auth_token)


def signature_is_valid(auth_token: str, url: str, params: object, signature: str | None) -> bool:
    """``X-Twilio-Signature`` check for the webhook; False without a token or a signature."""
    if not auth_token or not signature:
        return False
    return validator_for(auth_token).validate(url, params, signature)
