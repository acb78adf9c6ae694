"""Plate codes: 10 random Crockford base-32 characters and one check character.

The check character comes from a Damm-style scheme over the same 32 symbols:
a totally anti-symmetric quasigroup of order 32 built on GF(2^5) as
``x * y = 2·x ⊕ y``.  Running every character of a code through the
quasigroup from 0 ends at 0 exactly when the code is intact.  Because each
row and column of the table is a permutation, any single substitution changes
the end state; because ``(c*x)*y == (c*y)*x`` only when ``x == y``, any swap of
two adjacent different characters does too (tests prove both exhaustively).

Crockford's own mod-37 check symbols ``*~$=U`` are not used: four of them are
outside QR alphanumeric mode or unsafe in URLs.  Every symbol here is a digit
or an upper-case letter, so ``HTTPS://HOST/P/<CODE>`` stays QR-alphanumeric.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 10
CODE_LENGTH = BODY_LENGTH + 1
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford decoding: letters people confuse with digits read as those digits.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_POLY = 0b100101  # x^5 + x^2 + 1, primitive over GF(2)


def _times_two(x: int) -> int:
    x <<= 1
    if x & 0b100000:
        x ^= _POLY
    return x


TABLE: tuple[tuple[int, ...], ...] = tuple(
    tuple(_times_two(x) ^ y for y in range(32)) for x in range(32)
)


class CodeError(ValueError):
    """A string that cannot be a plate code (length or characters)."""


def _fold(values) -> int:
    state = 0
    for v in values:
        state = TABLE[state][v]
    return state


def check_char(body: str) -> str:
    """The check character that makes ``body + check`` fold to 0."""
    state = _fold(_INDEX[ch] for ch in body)
    # The unique c with TABLE[state][c] == 0 is c = 2·state (XOR is its own inverse).
    return ALPHABET[_times_two(state)]


def check_ok(code: str) -> bool:
    """True if the check character of ``code`` (any length) agrees."""
    if any(ch not in _INDEX for ch in code):
        return False
    return _fold(_INDEX[ch] for ch in code) == 0


def is_valid(code: str) -> bool:
    """True if ``code`` (already normalised) has the right form and check character."""
    return len(code) == CODE_LENGTH and check_ok(code)


def normalize(raw: str) -> str:
    """Upper-case, drop spaces and hyphens, read O as 0 and I/L as 1.

    Raises :class:`CodeError` when characters outside the alphabet remain
    (U is not a Crockford symbol either)."""
    text = "".join(raw.split()).replace("-", "").upper()
    text = "".join(_ALIASES.get(ch, ch) for ch in text)
    bad = sorted({ch for ch in text if ch not in _INDEX})
    if bad:
        raise CodeError(f"characters not used in plate codes: {''.join(bad)}")
    return text


def new_code(*, body_length: int = BODY_LENGTH) -> str:
    """A fresh random code (``secrets``: not guessable, not sequential)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(body_length))
    return body + check_char(body)


def corrections(code: str) -> list[str]:
    """Every valid code one typo away: a single substituted character or two
    swapped neighbours.  The caller keeps those that exist."""
    found: list[str] = []
    chars = list(code)
    for i, original in enumerate(chars):
        for ch in ALPHABET:
            if ch == original:
                continue
            chars[i] = ch
            candidate = "".join(chars)
            if is_valid(candidate):
                found.append(candidate)
        chars[i] = original
    for i in range(len(chars) - 1):
        if chars[i] == chars[i + 1]:
            continue
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
        candidate = "".join(chars)
        if is_valid(candidate):
            found.append(candidate)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    return sorted(set(found))


def pretty(code: str) -> str:
    """Grouped for reading aloud and printing: ``ABCD-EFGH-JKM``."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))
