"""Sealed numbers and pseudonyms (pure logic): what Redis holds reveals no number, opens only
with the right key, and numbers sealed by an earlier version still open."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.fernet import Fernet

from bot.crypto import AddressBook

KEY = "test-phone-hash-key-0123456789"
NUMBER = "whatsapp:+34612345678"


def test_a_sealed_number_opens_to_itself_and_shows_no_digits() -> None:
    book = AddressBook(KEY)
    sealed = book.seal(NUMBER)
    assert book.open(sealed) == NUMBER
    assert "612345678" not in sealed and "34612" not in sealed
    assert book.seal(NUMBER) != sealed  # a fresh nonce each time: equal numbers look unrelated


def test_a_number_sealed_with_fernet_before_still_opens() -> None:
    fernet_key = hmac.new(KEY.encode(), b"phone-encryption", hashlib.sha256).digest()
    earlier = Fernet(base64.urlsafe_b64encode(fernet_key)).encrypt(NUMBER.encode()).decode()
    assert AddressBook(KEY).open(earlier) == NUMBER


def test_another_key_or_a_changed_token_is_an_error_not_a_wrong_number() -> None:
    sealed = AddressBook(KEY).seal(NUMBER)
    with pytest.raises(ValueError, match="PHONE_HASH_KEY"):
        AddressBook("another-phone-hash-key-98765").open(sealed)
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(ValueError, match="PHONE_HASH_KEY"):
        AddressBook(KEY).open(flipped)
    with pytest.raises(ValueError, match="PHONE_HASH_KEY"):
        AddressBook(KEY).open("g1:not base64!")


def test_one_person_across_sms_and_whatsapp_and_no_one_else() -> None:
    book = AddressBook(KEY)
    assert book.pseudonym("+34612345678") == book.pseudonym("+34612345678")
    assert book.pseudonym("+34612345678") != book.pseudonym("+34612345679")
    assert book.pseudonym("+34612345678") != AddressBook("another-phone-hash-key-98765").pseudonym("+34612345678")
