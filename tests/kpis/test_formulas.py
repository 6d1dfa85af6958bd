"""The KPI formulas against KPIS.md's definitions and its published worked examples."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis import formulas as f


def test_dso_standard_published_example():
    assert f.dso_standard(ending_ar=D(200000), credit_sales=D(2000000), days=365) == D("36.5")


def test_dso_countback_published_example_partial_month():
    value = f.dso_countback(ending_ar=D(212000), monthly_sales=[(D(100000), 30), (D(80000), 30), (D(70000), 30)])
    assert f.round2(value) == 73.71  # 60 + 32/70 × 30


def test_dso_countback_published_example_uneven_months():
    value = f.dso_countback(
        ending_ar=D(2000), monthly_sales=[(D(200), 31), (D(400), 31), (D(600), 30), (D(700), 31), (D(500), 30)]
    )
    # 200+400+600 = 1200 over 92 days; 800 left of 700 covers month 4 (31 days); 100/500 × 30 = 6.
    assert value == D(129)


@pytest.mark.parametrize(
    "ar, current, sales, expected",
    [(15000, 4000, 10000, (45, 12, 33)), (25000, 6000, 15000, (50, 12, 38))],
)
def test_dso_best_possible_and_add_published_examples(ar, current, sales, expected):
    dso = f.dso_standard(ending_ar=D(ar), credit_sales=D(sales), days=30)
    best = f.best_possible_dso(current_ar=D(current), credit_sales=D(sales), days=30)
    add = f.average_days_delinquent(dso=dso, best_dso=best)
    assert (dso, best, add) == tuple(D(x) for x in expected)


def test_cei_one_month_published_example():
    value = f.cei(beginning_ar=D(1000000), credit_sales=D(1500000), ending_ar=D(1200000), ending_current_ar=D(400000))
    assert f.round2(value) == 61.90


def test_cei_crf_variant_and_period_total_published_examples():
    args = {"beginning_ar": D(6200), "credit_sales": D(10890), "ending_ar": D(6340), "ending_current_ar": D(3590)}
    assert f.round2(f.cei(**args, months=3)) == 55.93
    assert f.round2(f.cei(**args)) == 79.63


def test_roll_rate_published_example():
    assert f.rate(D(40), D(100)) == D(40)


def test_division_by_zero_gives_no_figure():
    assert f.dso_standard(ending_ar=D(5), credit_sales=D(0), days=30) is None
    assert f.best_possible_dso(current_ar=D(5), credit_sales=D(0), days=30) is None
    assert f.average_days_delinquent(dso=None, best_dso=D(1)) is None
    assert f.cei(beginning_ar=D(0), credit_sales=D(0), ending_ar=D(0), ending_current_ar=D(0)) is None
    assert f.collection_rate(payments=D(0), beginning_ar=D(0), credit_sales=D(0)) is None
    assert f.rate(0, 0) is None
    assert f.median([]) is None
    assert f.round2(None) is None


def test_countback_with_no_sales_month_and_ar_left_gives_no_figure():
    assert f.dso_countback(ending_ar=D(100), monthly_sales=[(D(0), 30)]) is None
    assert f.dso_countback(ending_ar=D(0), monthly_sales=[(D(0), 30)]) == 0


def test_median():
    assert f.median([3, 1, 2]) == 2
    assert f.median([4, 1, 2, 3]) == D("2.5")


@given(
    beginning=st.integers(0, 10**7),
    sales=st.integers(1, 10**7),
    collected_share=st.floats(0, 1),
    current_share=st.floats(0, 1),
)
def test_cei_never_exceeds_100_percent(beginning, sales, collected_share, current_share):
    """Ending AR is what remains of beginning + sales; current AR is part of it: CEI ≤ 100."""
    collectible = D(beginning + sales)
    ending = (collectible * D(str(1 - collected_share))).quantize(D("0.01"))
    current = (ending * D(str(current_share))).quantize(D("0.01"))
    value = f.cei(beginning_ar=D(beginning), credit_sales=D(sales), ending_ar=ending, ending_current_ar=current)
    assert value is None or D(0) <= value <= D(100)


def test_round2_rounds_half_up():
    assert f.round2(D("97.425")) == 97.43
    assert f.round2(D("-0.005")) == -0.01
