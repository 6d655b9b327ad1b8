"""Resident ID numbers (GB 11643) and credit codes (GB 32100): each failure
has its own code and precise message; generated numbers validate; any
single-character change is caught."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import (
    PROVINCE_CODES,
    USCC_ALPHABET,
    generate_credit_code,
    generate_resident_id,
    parse_credit_code,
    parse_phone,
    parse_resident_id,
)

TODAY = dt.date(2026, 6, 1)
NO_DB = [lambda code: code[:2] in PROVINCE_CODES]  # pure: no Region table lookups


def ric(value, **kw):
    return parse_resident_id(value, today=TODAY, region_checks=NO_DB, **kw)


def fails(fn, value, **kw) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        fn(value, **kw)
    return info.value


# -- resident ID


def test_valid_id_parses_region_birth_and_sex():
    number = generate_resident_id("511602", dt.date(1990, 1, 1), 123)
    parsed = ric(number)
    assert parsed.region_code == "511602"
    assert parsed.birth_date == dt.date(1990, 1, 1)
    assert parsed.sex == "M"
    assert ric(generate_resident_id("511602", dt.date(1990, 1, 1), 124)).sex == "F"


def test_known_real_shape_with_x_is_normalised():
    # 11010519491231002X is the GB 11643 textbook example.
    assert ric("11010519491231002x").number == "11010519491231002X"
    assert ric(" 110105 19491231 002X ").number == "11010519491231002X"
    assert ric("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"  # full width


@pytest.mark.parametrize(
    "value, code, fragment",
    [
        ("", "id_number.required", "请填写身份证号码"),
        ("51160219900101123", "id_number.length", "应为18位"),
        ("5116021990010112345", "id_number.length", "实际为19位"),
        ("511602199001011A34", "id_number.characters", "第16位“A”"),
        ("X11602199001011234", "id_number.characters", "第1位“X”"),
    ],
)
def test_id_format_errors(value, code, fragment):
    err = fails(ric, value)
    assert err.code == code
    assert fragment in str(err.message)
    assert err.fields == {"id_number": [err.message]}


def test_impossible_birth_date_names_the_date():
    first17 = "51160220230230123"
    err = fails(ric, first17 + "0")
    assert err.code == "id_number.birth_date"
    assert str(err.message) == "出生日期 2023-02-30 不存在"


def test_future_birth_date():
    number = generate_resident_id("511602", dt.date(2026, 6, 2), 1)
    err = fails(ric, number)
    assert err.code == "id_number.birth_date_future"
    assert "2026-06-02" in str(err.message)


def test_birth_before_1900():
    err = fails(ric, generate_resident_id("511602", dt.date(1899, 12, 31), 1))
    assert err.code == "id_number.birth_date_too_early"


def test_wrong_check_digit_says_which():
    number = generate_resident_id("511602", dt.date(1990, 1, 1), 123)
    wrong = "X" if number[-1] != "X" else "0"
    err = fails(ric, number[:17] + wrong)
    assert err.code == "id_number.check_digit"
    assert f"校验码应为 {number[-1]}，实际为 {wrong}" in str(err.message)


def test_unknown_province_prefix():
    number = generate_resident_id("991602", dt.date(1990, 1, 1), 123)
    err = fails(ric, number)
    assert err.code == "id_number.region"
    assert "991602" in str(err.message)


def test_region_check_is_pluggable():
    number = generate_resident_id("511699", dt.date(1990, 1, 1), 123)
    assert ric(number).region_code == "511699"  # province known: conservative default
    strict = [lambda code: code == "511602"]
    with pytest.raises(ValidationFailed) as info:
        parse_resident_id(number, today=TODAY, region_checks=strict)
    assert info.value.code == "id_number.region"


@pytest.mark.django_db
def test_default_region_checks_use_the_region_table():
    # The province check runs even with a database; a county in the table is fine.
    assert parse_resident_id(generate_resident_id("511602", dt.date(1990, 1, 1), 5))
    with pytest.raises(ValidationFailed):
        parse_resident_id(generate_resident_id("001602", dt.date(1990, 1, 1), 5))


def test_field_name_is_configurable():
    err = fails(ric, "123", field="applicant_id")
    assert list(err.fields) == ["applicant_id"]


provinces = st.sampled_from(sorted(PROVINCE_CODES))
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
seqs = st.integers(min_value=0, max_value=999)


@settings(max_examples=200, deadline=None)
@given(province=provinces, rest=st.from_regex(r"\A\d{4}\Z"), born=births, seq=seqs)
def test_generated_ids_validate(province, rest, born, seq):
    number = generate_resident_id(province + rest, born, seq)
    parsed = ric(number)
    assert parsed.birth_date == born
    assert parsed.sex == ("M" if seq % 2 else "F")


@settings(max_examples=300, deadline=None)
@given(
    born=births,
    seq=seqs,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_character_change_fails(born, seq, position, replacement):
    number = generate_resident_id("511602", born, seq)
    if number[position] == replacement or (replacement == "X" and position < 17):
        replacement = str((int(number[position]) + 1) % 10) if number[position] != "X" else "0"
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    with pytest.raises(ValidationFailed):
        ric(changed)


# -- credit codes


def test_real_credit_code_validates():
    parsed = parse_credit_code("91110000600037341L")
    assert parsed.authority == "9" and parsed.entity_type == "1"
    assert parsed.region_code == "110000"
    assert parsed.organisation_code == "600037341"
    assert parse_credit_code("91110000600037341l").code == "91110000600037341L"


def test_letter_authorities_validate_where_stdnum_rejects():
    for prefix in ("N2", "Y1", "A1"):
        code = generate_credit_code(prefix + "511602MA62Q0A01")
        assert parse_credit_code(code).authority == prefix[0]
        assert not uscc.is_valid(code)  # the edge case python-stdnum misses


@pytest.mark.parametrize(
    "value, code, fragment",
    [
        ("", "credit_code.required", "请填写"),
        ("91110000600037341", "credit_code.length", "实际为17位"),
        ("91110000600O37341L", "credit_code.characters", "第12位“O”"),
        ("B1110000600037341L", "credit_code.authority", "第1位“B”"),
        ("98110000600037341L", "credit_code.entity_type", "第2位“8”"),
        ("9111A000600037341L", "credit_code.region", "11A000"),
        ("9199000060003734XL", "credit_code.region", "990000"),
    ],
)
def test_credit_code_errors(value, code, fragment):
    err = fails(parse_credit_code, value)
    assert err.code == code, err.message
    assert fragment in str(err.message)


def test_credit_code_wrong_check_char_says_which():
    err = fails(parse_credit_code, "91110000600037341M")
    assert err.code == "credit_code.check_char"
    assert "校验码应为 L，实际为 M" in str(err.message)


def test_generate_credit_code_from_parts():
    code = generate_credit_code(("9", "1", "511602", "MA62Q0A01"))
    assert code[:17] == "91511602MA62Q0A01"
    assert parse_credit_code(code).code == code
    assert generate_credit_code(
        {"authority": "5", "entity_type": "2", "region6": "511602", "org9": "123456789"}
    ).startswith("52511602123456789")


org_chars = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)
heads = st.sampled_from(["11", "12", "51", "52", "53", "91", "92", "93", "N1", "N2", "Y1"])


@settings(max_examples=200, deadline=None)
@given(head=heads, org=org_chars)
def test_generated_credit_codes_validate(head, org):
    code = generate_credit_code(f"{head}511602{org}")
    assert parse_credit_code(code).code == code


@settings(max_examples=300, deadline=None)
@given(
    head=heads,
    org=org_chars,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(USCC_ALPHABET),
)
def test_any_single_credit_code_change_fails(head, org, position, replacement):
    code = generate_credit_code(f"{head}511602{org}")
    if code[position] == replacement:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(ValidationFailed):
        parse_credit_code(changed)


# -- phones


def test_phones():
    assert parse_phone("138 1234 5678") == "13812345678"
    assert parse_phone("+86 138-1234-5678") == "13812345678"
    assert fails(parse_phone, "").code == "phone.required"
    assert fails(parse_phone, "12812345678").code == "phone.invalid"
    assert fails(parse_phone, "1381234567").code == "phone.invalid"
