"""Small builders of agreements and buyers shared by the invoice tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from mbp_billing.agreement import Agreement
from mbp_billing.parties import Party


def kbo(n: int) -> str:
    """The n-th made-up enterprise number with valid check digits (n >= 0)."""
    base = 2_070_000 + n  # 0207xxxxx: the range of many Flemish municipalities
    return f"0{base:07d}{97 - (base % 97):02d}"


def buyer(name: str = "Gemeente Voorbeeld", kbo: str = "0207.123.407", **extra: Any) -> Party:
    """A valid buyer; override any field."""
    fields = {"street": "Marktplein 1", "postcode": "9999", "city": "Voorbeeld"}
    fields.update(extra)
    return Party(name=name, kbo=kbo, **fields)


def agreement(**overrides: Any) -> Agreement:
    """The README's example agreement with a buyer; override any field."""
    fields: dict[str, Any] = {
        "signed_on": date(2023, 2, 10),
        "population": 32000,
        "app_store_live_on": date(2023, 6, 20),
        "play_store_live_on": date(2023, 7, 3),
        "buyer": buyer(),
    }
    fields.update(overrides)
    return Agreement(**fields)


#: The issue's example agreement file, with a termination notice (R7).
ISSUE_EXAMPLE_TOML = """\
signed_on = 2023-02-10
population = 32000
population_year = 2023
app_store_live_on = 2023-06-20
play_store_live_on = 2023-07-03
notice_sent_on = 2025-10-01

[buyer]
name = "Gemeente Voorbeeld"
kbo = "0207.123.407"
street = "Marktplein 1"
postcode = "9999"
city = "Voorbeeld"
reference = "MBP-APP"
"""
