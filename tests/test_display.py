"""Numbers shown to people round half up to one decimal; the JSON keeps every digit."""

from kaxl.reports.display import number, percent


def test_half_up_from_the_decimal_form() -> None:
    assert percent(0.3345) == "33.5%"  # 100 × 0.3345 is 33.449999… in binary: still 33.5
    assert percent(0.3344) == "33.4%" and percent(1.0) == "100.0%" and percent(None) == "—"
    assert number(89.25) == "89.3" and number(89.24) == "89.2" and number(90.0) == "90"
    assert number(12345.65) == "12,345.7" and number(None) == "—"
