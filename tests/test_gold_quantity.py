"""QUANTITY normalisation: digits, separators, number words from the schema, approximators."""

from __future__ import annotations

import dataclasses

import pytest

from arastance.gold.quantity import normalize_digits, parse_number, parse_quantity


@pytest.mark.parametrize(
    ("before", "span", "expected"),
    [
        ("وتنشر واشنطن نحو ", "900 جندي", (900, "جندي", True)),
        ("", "151 هجوماً", (151, "هجوماً", False)),
        ("", "عشرات الاستهدافات", (10, "الاستهدافات", True)),
        ("", "مئات الجنود", (100, "الجنود", True)),
        ("أكثر من ", "١٠٠ مقاتل", (100, "مقاتل", True)),
        ("بحوالي ", "۲۴ قاعدة", (24, "قاعدة", True)),
        ("وبحوالي ", "24 قاعدة", (24, "قاعدة", True)),  # a proclitic on the approximator
        ("ما يقارب ", "3 دورات", (3, "دورات", True)),
        ("", "ثلاثة آلاف جندي", (3000, "جندي", False)),
        ("", "5 آلاف مقاتل", (5000, "مقاتل", False)),  # آلاف after a number is exact
        ("", "ألف مقاتل", (1000, "مقاتل", False)),
        ("", "الف مقاتل", (1000, "مقاتل", False)),  # hamza variant
        ("", "ثلاثة عشر جندياً", (13, "جندياً", False)),
        ("", "1,500 عنصر", (1500, "عنصر", False)),
        ("", "١٬٥٠٠ عنصر", (1500, "عنصر", False)),
        ("", "1.500.000 نسمة", (1500000, "نسمة", False)),
        ("", "2.5 مليون", (2.5, "مليون", False)),
        ("", "٣٫٥ ألف جندي", (3500, "جندي", False)),
        ("", "151هجوماً", (151, "هجوماً", False)),  # digits glued to the noun
        ("", "وعشرات القتلى", (10, "القتلى", True)),  # proclitic on a vague word
        ("", "لعشرات المرات", (10, "المرات", True)),
        ("", "3-4 جنود", (3, "جنود", True)),  # a range: lower bound, approximate
        ("", "نحو 900 جندي", (900, "جندي", True)),  # an approximator inside a predicted span
        ("", "جنود", (None, "جنود", False)),
        ("انسحبت من سوريا ", "مرة واحدة", (1, "مرة", False)),  # the cardinal after the noun
        ("", "جنديان اثنان", (2, "جنديان", False)),
        ("", "24 قاعدة عسكرية", (24, "قاعدة عسكرية", False)),
    ],
)
def test_parse_quantity(schema, before, span, expected):
    assert parse_quantity(before, span, schema) == expected


def test_value_types_are_json_friendly(schema):
    value, _, _ = parse_quantity("", "900 جندي", schema)
    assert type(value) is int
    value, _, _ = parse_quantity("", "1.1 ألف جندي", schema)
    assert value == 1100 and type(value) is int  # no 1100.0000000000002


def test_an_approximator_must_end_the_context(schema):
    # "نحو" earlier in the sentence, not right before the span, does not make it approximate.
    assert parse_quantity("نحو المدينة أرسلت ", "900 جندي", schema)[2] is False
    # a word that merely ends like an approximator is not one
    assert parse_quantity("المنحو ", "900 جندي", schema)[2] is False


def test_number_words_come_from_the_schema(schema):
    # A schema without "خمسة" does not know it: the file is the single source of truth.
    smaller = dataclasses.replace(schema, number_words={k: v for k, v in schema.number_words.items() if k != "خمسة"})
    assert parse_quantity("", "خمسة جنود", schema)[0] == 5
    assert parse_quantity("", "خمسة جنود", smaller)[0] is None
    extended = dataclasses.replace(schema, vague_numbers={**schema.vague_numbers, "عشرات": 20})
    assert parse_quantity("", "عشرات الجنود", extended)[0] == 20


def test_normalize_digits_keeps_length():
    written = "٢٠٢٤ و۱۴۰۲"
    assert normalize_digits(written) == "2024 و1402"
    assert len(normalize_digits(written)) == len(written)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("12", 12),
        ("1,000", 1000),
        ("1,5", 1.5),
        ("1.000.000", 1000000),
        ("1,500.25", 1500.25),
        ("1.500,25", 1500.25),
        ("1.2.3", None),
    ],
)
def test_parse_number(written, value):
    assert parse_number(written) == value
