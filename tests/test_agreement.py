"""The agreement, its file format, the parties and amendments (R1, R7, R9, Parties)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from factories import ISSUE_EXAMPLE_TOML

from mbp_billing.agreement import Agreement, Amendment, parse_date
from mbp_billing.errors import InvalidValue
from mbp_billing.parties import SELLER, SELLER_IBAN, Party, normalize_kbo

EXAMPLE = ISSUE_EXAMPLE_TOML + "\n[[amendments]]\nfrom_year = 2025\npopulation = 26000\n"

BASE = "signed_on = 2023-02-10\n"


def load(text: str) -> Agreement:
    """Parse agreement TOML (test helper)."""
    return Agreement.from_toml_text(text, name="a.toml")


def test_example_file_of_the_issue_parses() -> None:
    """The issue's example file gives every fact, the buyer and the amendment."""
    a = load(EXAMPLE)
    assert a.signed_on == date(2023, 2, 10)
    assert (a.population, a.population_year) == (32_000, 2023)
    assert a.go_live == date(2023, 7, 3)
    assert a.billing_start == date(2023, 7, 1)
    assert a.ends_on == date(2025, 12, 31)
    assert a.buyer is not None and a.buyer.kbo == "0207123407"
    assert a.buyer.reference == "MBP-APP"
    assert a.amendments == (Amendment(2025, population=26_000),)


def test_from_toml_reads_a_file(tmp_path: Path) -> None:
    """from_toml reads a UTF-8 file from disk."""
    path = tmp_path / "gemeente.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    assert Agreement.from_toml(path) == load(EXAMPLE)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    """A missing agreement file is an InvalidValue naming the path."""
    path = tmp_path / "nope.toml"
    with pytest.raises(InvalidValue) as info:
        Agreement.from_toml(path)
    assert str(path) in str(info.value)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    """A file that is not UTF-8 gives an InvalidValue, not a UnicodeDecodeError."""
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe\x00 signed_on")
    with pytest.raises(InvalidValue) as info:
        Agreement.from_toml(path)
    assert "UTF-8" in str(info.value)


def test_invalid_toml_is_refused() -> None:
    """Broken TOML names the file."""
    with pytest.raises(InvalidValue) as info:
        load("signed_on = = 2023")
    assert "a.toml" in str(info.value) and "not valid TOML" in str(info.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (BASE + "populaton = 5000\npopulation = 5000\n", "populaton"),
        (BASE + "population = 5000\nvat = 0\n", "vat"),
        (BASE + "population = 5000\n[[amendments]]\nfrom_year = 2025\nfee = '1.00'\n",
         "amendments.fee"),
        (BASE + "population = 5000\n[buyer]\nname='G'\nkbo='0207.123.407'\nstreet='s'\n"
         "postcode='1'\ncity='c'\nadres='x'\n", "buyer.adres"),
    ],
)
def test_unknown_keys_are_refused_by_name(text: str, named: str) -> None:
    """Unknown keys at top level, in [[amendments]] and in [buyer] are errors naming them."""
    with pytest.raises(InvalidValue) as info:
        load(text)
    assert named in info.value.field
    assert "unknown key" in str(info.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("population = 5000\n", "signed_on"),
        (BASE, "population"),
        (BASE + "population = 0\n", "population 0"),
        (BASE + "population = -5\n", "population -5"),
        (BASE + "population = 15000.0\n", "population 15000.0"),
        (BASE + "population = '15000'\n", "'15000'"),
        (BASE + "annual_fee = 7000.0\n", "'7000.00'"),
        (BASE + "annual_fee = '7000.005'\n", "more than two decimals"),
        (BASE + "population = 5000\nnotice_sent_on = 2023-02-09\n", "2023-02-09"),
        (BASE + "population = 5000\napp_store_live_on = '2023-02-30'\n", "2023-02-30"),
        (BASE + "population = 5000\napp_store_live_on = 2023-02-01T10:00:00\n",
         "without a time"),
        (BASE + "population = 5000\npopulation_year = 'x'\n", "population_year"),
        (BASE + "population = 5000\namendments = [1]\n", "amendments"),
        (BASE + "population = 5000\n[[amendments]]\npopulation = 6000\n", "from_year"),
        (BASE + "population = 5000\n[[amendments]]\nfrom_year = 2025\n", "amendments.population"),
        (BASE + "population = 5000\n[[amendments]]\nfrom_year = 2025\nannual_fee = 7.5\n",
         "'7.50'"),
        (BASE + "population = 5000\n[[amendments]]\nfrom_year = 2025\npopulation = 1\n"
         "[[amendments]]\nfrom_year = 2025\npopulation = 2\n", "same year"),
    ],
)
def test_bad_values_are_refused_by_name(text: str, words: str) -> None:
    """Every bad value in a file gives one InvalidValue that names the value."""
    with pytest.raises(InvalidValue) as info:
        load(text)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_population_and_fee_that_disagree_name_both() -> None:
    """A stated fee that is not the population's tier fee is an error naming both (R1)."""
    with pytest.raises(InvalidValue) as info:
        Agreement(signed_on=date(2023, 2, 10), population=32_000, annual_fee="5000.00")
    message = str(info.value)
    assert info.value.field == "annual_fee"
    assert "32000" in message and "5000.00" in message and "7000.00" in message


def test_population_and_fee_that_agree_are_accepted() -> None:
    """A stated fee equal to the tier fee is fine (R1)."""
    a = Agreement(signed_on=date(2023, 2, 10), population=15_000, annual_fee=3500)
    assert a.annual_fee_for(2023) == Decimal("3500.00")


def test_float_fee_is_refused_in_python_too() -> None:
    """Agreement(annual_fee=7000.0) is refused like the file form."""
    with pytest.raises(InvalidValue) as info:
        Agreement(signed_on=date(2023, 2, 10), annual_fee=7000.0)  # type: ignore[arg-type]
    assert info.value.field == "annual_fee"


def test_annual_fee_as_integer_in_toml() -> None:
    """annual_fee may be an integer in the file; it becomes a two-decimal Decimal."""
    a = load(BASE + "annual_fee = 7000\n")
    assert a.annual_fee == Decimal("7000.00")
    assert str(a.annual_fee_for(2030)) == "7000.00"


def test_stated_fee_wins_over_the_tariff() -> None:
    """A stated fee is used as is, with no tier (R1)."""
    a = load(BASE + "annual_fee = '4200.00'\n")
    assert a.annual_fee_for(2024) == Decimal("4200.00")
    assert a.tier_for(2024) is None


# -- R9 amendments --------------------------------------------------------------

def test_amendment_population_re_tiers_from_its_year() -> None:
    """A new population re-tiers by R1 from its year on, not before (R9)."""
    a = Agreement(signed_on=date(2023, 2, 10), population=32_000,
                  amendments=(Amendment(2025, population=60_000),))
    assert [a.annual_fee_for(y) for y in (2023, 2024, 2025, 2030)] == [
        Decimal("7000.00"), Decimal("7000.00"), Decimal("10000.00"), Decimal("10000.00")]
    tier = a.tier_for(2025)
    assert tier is not None and tier.number == 4


def test_amendment_fee_overrides_from_its_year() -> None:
    """A new annual fee applies from its year on; later amendments win (R9)."""
    a = Agreement(signed_on=date(2023, 2, 10), population=14_000,
                  amendments=(Amendment(2027, population=20_000),
                              Amendment(2025, annual_fee="3600.00")))
    assert [a.annual_fee_for(y) for y in (2024, 2025, 2026, 2027)] == [
        Decimal("3500.00"), Decimal("3600.00"), Decimal("3600.00"), Decimal("5000.00")]
    assert [x.from_year for x in a.amendments] == [2025, 2027]


def test_amendment_fee_given_as_string_is_a_decimal() -> None:
    """Amendment(annual_fee='7500.00') stores a Decimal, not the string."""
    amendment = Amendment(2025, annual_fee="7500.00")  # type: ignore[arg-type]
    assert amendment.annual_fee == Decimal("7500.00")
    assert isinstance(amendment.annual_fee, Decimal)


def test_amendment_with_disagreeing_population_and_fee_is_refused() -> None:
    """An amendment giving both a population and another fee is an error (R1, R9)."""
    with pytest.raises(InvalidValue) as info:
        Agreement(signed_on=date(2023, 2, 10), population=5_000,
                  amendments=(Amendment(2025, population=5_000, annual_fee=Decimal("9999.00")),))
    assert "9999.00" in str(info.value) and "5000" in str(info.value)


@pytest.mark.parametrize(
    "kwargs",
    [{"from_year": 1800, "population": 1}, {"from_year": "2025", "population": 1},
     {"from_year": 2025}, {"from_year": 2025, "population": 0},
     {"from_year": 2025, "annual_fee": 1.5}],
)
def test_bad_amendments_are_refused(kwargs: dict[str, object]) -> None:
    """An amendment needs a calendar year and a valid population or fee (R9)."""
    with pytest.raises(InvalidValue):
        Amendment(**kwargs)  # type: ignore[arg-type]


def test_agreement_is_frozen_and_evolvable() -> None:
    """Agreements are immutable values; attrs.evolve re-validates the copy."""
    a = load(BASE + "population = 5000\n")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.population = 6000  # type: ignore[misc]
    with pytest.raises(InvalidValue):
        attrs.evolve(a, notice_sent_on=date(2020, 1, 1))


def test_dissolution_is_an_explicit_end() -> None:
    """dissolved_on ends the agreement, and the earlier of it and the notice wins (R7)."""
    a = load(BASE + "population = 5000\nnotice_sent_on = 2025-10-01\ndissolved_on = 2024-06-30\n")
    assert a.ends_on == date(2024, 6, 30)
    assert a.in_force_on(date(2024, 6, 30)) and not a.in_force_on(date(2024, 7, 1))


def test_parse_date_accepts_iso_and_dates() -> None:
    """parse_date takes ISO strings and dates, and refuses impossible dates."""
    assert parse_date("2024-02-29", "x") == date(2024, 2, 29)
    assert parse_date(date(2023, 12, 31), "x") == date(2023, 12, 31)
    with pytest.raises(InvalidValue, match="2023-02-29"):
        parse_date("2023-02-29", "x")
    with pytest.raises(InvalidValue, match="YYYY-MM-DD"):
        parse_date(20230101, "x")


# -- Parties ----------------------------------------------------------------------

def test_seller_is_ev_dv() -> None:
    """The invoicing party is EV DV, KBO 0643.634.986, Havenlaan 88, 1000 Brussel."""
    assert SELLER.name == "Eigen Vermogen Digitaal Vlaanderen"
    assert SELLER.enterprise_number_display == "0643.634.986"
    assert (SELLER.street, SELLER.postcode, SELLER.city) == ("Havenlaan 88", "1000", "Brussel")
    assert SELLER_IBAN == "BE86375111750850"


@pytest.mark.parametrize("form", ["0207.123.407", "BE0207123407", "0207 123 407", "207123407"])
def test_kbo_forms_normalise_to_ten_digits(form: str) -> None:
    """Enterprise numbers in any usual form become ten digits."""
    assert normalize_kbo(form) == "0207123407"


@pytest.mark.parametrize("bad", ["0643.634.987", "12345", "abc", 643634986])
def test_bad_kbo_is_refused(bad: object) -> None:
    """A wrong check digit, length or type is refused with an example of the form."""
    with pytest.raises(InvalidValue) as info:
        normalize_kbo(bad, "buyer.kbo")
    assert info.value.field == "buyer.kbo"
    assert "0207.123.407" in str(info.value)


def test_bad_kbo_in_the_buyer_table() -> None:
    """A bad KBO in [buyer] names buyer.kbo and the value."""
    text = (BASE + "population = 5000\n[buyer]\nname='G'\nkbo='0207.123.408'\nstreet='s'\n"
            "postcode='1'\ncity='c'\n")
    with pytest.raises(InvalidValue) as info:
        load(text)
    assert "buyer.kbo" in info.value.field and "0207.123.408" in str(info.value)


def test_missing_buyer_key_is_named() -> None:
    """A [buyer] without a city names buyer.city."""
    text = BASE + "population = 5000\n[buyer]\nname='G'\nkbo='0207.123.407'\nstreet='s'\npostcode='1'\n"
    with pytest.raises(InvalidValue) as info:
        load(text)
    assert "buyer.city" in info.value.field


def test_buyer_requires_non_empty_text() -> None:
    """A blank buyer name is refused."""
    with pytest.raises(InvalidValue) as info:
        Party(name="  ", kbo="0207.123.407", street="s", postcode="1", city="c")
    assert info.value.field == "buyer.name"
