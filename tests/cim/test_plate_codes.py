"""Plate codes: alphabet, check character (exhaustive error detection), QR payload."""

from __future__ import annotations

import itertools
import random
import string

import pytest
import segno

from cim.plates import codes, qr

QR_ALNUM = set(string.digits + string.ascii_uppercase + " $%*+-./:")
URL_UNRESERVED = set(string.ascii_letters + string.digits + "-._~")


def test_alphabet_is_crockford_and_safe():
    assert len(codes.ALPHABET) == 32 == len(set(codes.ALPHABET))
    assert set(codes.ALPHABET) <= QR_ALNUM and set(codes.ALPHABET) <= URL_UNRESERVED
    assert not set("ILOU") & set(codes.ALPHABET)


def test_table_is_a_quasigroup():
    """Every row and every column is a permutation: changing any one input
    changes the output, whatever the state."""
    for row in codes.TABLE:
        assert sorted(row) == list(range(32))
    for col in range(32):
        assert sorted(codes.TABLE[r][col] for r in range(32)) == list(range(32))


def test_table_is_weakly_totally_antisymmetric():
    """(c*x)*y == (c*y)*x only when x == y, for all 32³ triples: every swap of
    two adjacent different characters changes the final state."""
    t = codes.TABLE
    for c, x, y in itertools.product(range(32), repeat=3):
        if x != y:
            assert t[t[c][x]][y] != t[t[c][y]][x], (c, x, y)


def test_every_single_error_and_swap_detected_exhaustively_on_short_codes():
    """All 32³ codes of body length 3: every substitution (4 positions × 31)
    and every adjacent swap is caught."""
    for body in itertools.product(codes.ALPHABET, repeat=3):
        code = "".join(body) + codes.check_char("".join(body))
        assert codes.check_ok(code)
        chars = list(code)
        for i, original in enumerate(chars):
            for ch in codes.ALPHABET:
                if ch != original:
                    chars[i] = ch
                    assert not codes.check_ok("".join(chars))
            chars[i] = original
        for i in range(len(chars) - 1):
            if chars[i] != chars[i + 1]:
                swapped = chars[:i] + [chars[i + 1], chars[i]] + chars[i + 2:]
                assert not codes.check_ok("".join(swapped))


def test_every_single_error_and_swap_detected_on_full_length_codes():
    rng = random.Random(20261127)
    for _ in range(300):
        body = "".join(rng.choice(codes.ALPHABET) for _ in range(codes.BODY_LENGTH))
        code = body + codes.check_char(body)
        for i in range(codes.CODE_LENGTH):
            for ch in codes.ALPHABET:
                if ch != code[i]:
                    assert not codes.is_valid(code[:i] + ch + code[i + 1:])
        for i in range(codes.CODE_LENGTH - 1):
            if code[i] != code[i + 1]:
                assert not codes.is_valid(code[:i] + code[i + 1] + code[i] + code[i + 2:])


def test_new_codes_are_random_valid_and_unique():
    made = [codes.new_code() for _ in range(2000)]
    assert len(set(made)) == 2000
    assert all(len(c) == 11 and codes.is_valid(c) for c in made)
    # not sequential: first characters spread over the alphabet
    assert len({c[0] for c in made}) == 32


@pytest.mark.parametrize("typed", ["{c}", "{c_lower}", " {c_pretty} ", "{c_pretty_lower}"])
def test_normalize_accepts_how_people_type(typed):
    code = "0123456789A"[:10] + codes.check_char("0123456789"[:10])
    text = typed.format(c=code, c_lower=code.lower(), c_pretty=codes.pretty(code),
                        c_pretty_lower=codes.pretty(code).lower())
    assert codes.normalize(text) == code


def test_normalize_reads_confusable_letters_as_digits():
    assert codes.normalize("oil") == "011"
    with pytest.raises(codes.CodeError, match="U"):
        codes.normalize("ABCU")
    with pytest.raises(codes.CodeError):
        codes.normalize("ABC/..")


def test_corrections_find_the_original_after_one_typo():
    rng = random.Random(7)
    for _ in range(50):
        code = codes.new_code()
        i = rng.randrange(codes.CODE_LENGTH)
        typo = code[:i] + rng.choice([c for c in codes.ALPHABET if c != code[i]]) + code[i + 1:]
        assert code in codes.corrections(typo)
        j = rng.randrange(codes.CODE_LENGTH - 1)
        swapped = code[:j] + code[j + 1] + code[j] + code[j + 2:]
        if swapped != code:
            assert code in codes.corrections(swapped)


@pytest.mark.parametrize("host", ["ts.gov.cn", "TS.GOV.CN", "https://mp.tianshui.gov.cn/",
                                  "PLATES.TIANSHUI.GANSU.GOV.CN"])
def test_qr_url_is_uppercase_alphanumeric_version_3_or_4_at_level_q(host):
    code = codes.new_code()
    url = qr.plate_url(code, host)
    assert url.startswith("HTTPS://") and url.endswith(f"/P/{code}") and url == url.upper()
    m = qr.qr_matrix(url)
    assert m.error == "Q" and 3 <= m.version <= 4
    assert segno.make(url, error="q", boost_error=False).mode == "alphanumeric"
    assert m.size == 17 + 4 * m.version
