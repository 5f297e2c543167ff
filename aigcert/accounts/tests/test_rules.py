"""Identity rules: pure functions, no database."""

import pytest

from aigcert.accounts import rules


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800000001", "13800000001"),
        (" 138 0000 0001 ", "13800000001"),
        ("138-0000-0001", "13800000001"),
        ("+86 138 0000 0001", "13800000001"),
        ("008613800000001", "13800000001"),
        ("8613800000001", "13800000001"),
        ("12800000001", None),  # no mobile prefix 12
        ("1380000000", None),  # 10 digits
        ("138000000012", None),  # 12 digits
        ("1380000000a", None),
        ("", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert rules.normalize_phone(raw) == expected


def test_classify_identifier_tells_phone_from_email():
    assert rules.classify_identifier("13800000001") == ("phone", "13800000001")
    assert rules.classify_identifier(" Zhang.San@Example.COM ") == ("email", "zhang.san@example.com")
    assert rules.classify_identifier("zhang@") is None
    assert rules.classify_identifier("not a phone") is None


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),  # the GB 11643 example number
        ("11010519491231002x", True),  # lower-case check character
        ("110105194912310021", False),  # wrong check character
        ("11010519491331002X", False),  # month 13
        ("11010519490230002X", False),  # 30 February
        ("1101051949123100", False),  # too short
        ("A1010519491231002X", False),
    ],
)
def test_resident_id_checksum_and_birth_date(number, valid):
    assert rules.resident_id_is_valid(number) is valid


def test_id_number_rules_per_type():
    assert rules.id_number_is_valid(rules.ID_TYPE_PASSPORT, "E12345678")
    assert not rules.id_number_is_valid(rules.ID_TYPE_PASSPORT, "E1")
    assert rules.id_number_is_valid(rules.ID_TYPE_HK_MACAO, "H12345678")
    assert not rules.id_number_is_valid(rules.ID_TYPE_HK_MACAO, "X12345678")
    assert rules.id_number_is_valid(rules.ID_TYPE_TAIWAN, "12345678")


def test_masking_shows_only_the_ends():
    assert rules.mask_id_number("11010519491231002x") == "110***********002X"
    assert rules.mask_phone("13800000001") == "138****0001"
    assert rules.mask_email("zhangsan@example.com") == "z******n@example.com"
    assert rules.mask_id_number("") == ""
    assert rules.mask_middle("ab", 3, 4) == "a*"
