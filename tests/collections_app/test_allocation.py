"""allocate(): the pure spreading of a payment over open invoices (KPIS.md, "allocation")."""

import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.allocation import OpenInvoice, allocate, allocation_order

D = Decimal
BASE = datetime.date(2024, 1, 1)


def inv(id_, due, issued, open_amount):
    return OpenInvoice(
        id=id_,
        due_on=BASE + datetime.timedelta(days=due),
        issued_on=BASE + datetime.timedelta(days=issued),
        open_amount=D(open_amount),
    )


def test_oldest_due_first_then_issue_date_then_id():
    invoices = [
        inv(1, due=30, issued=0, open_amount="10.00"),
        inv(2, due=10, issued=5, open_amount="10.00"),
        inv(3, due=10, issued=2, open_amount="10.00"),
        inv(4, due=10, issued=2, open_amount="10.00"),
        inv(5, due=5, issued=5, open_amount="10.00"),
    ]
    result = allocate(D("45.00"), invoices)
    assert result == [(5, D("10.00")), (3, D("10.00")), (4, D("10.00")), (2, D("10.00")), (1, D("5.00"))]
    assert {i.id: i.open_amount for i in invoices} == {
        1: D("5.00"),
        2: D("0.00"),
        3: D("0.00"),
        4: D("0.00"),
        5: D("0.00"),
    }


def test_id_breaks_ties_regardless_of_list_order():
    invoices = [inv(9, 0, 0, "5.00"), inv(3, 0, 0, "5.00"), inv(7, 0, 0, "5.00")]
    assert allocate(D("7.00"), invoices) == [(3, D("5.00")), (7, D("2.00"))]


def test_named_invoice_first_then_oldest():
    invoices = [inv(1, 0, 0, "10.00"), inv(2, 5, 0, "10.00"), inv(3, 20, 0, "10.00")]
    assert allocate(D("25.00"), invoices, named_invoice_id=3) == [(3, D("10.00")), (1, D("10.00")), (2, D("5.00"))]


def test_named_invoice_smaller_than_payment_overflow_goes_oldest_first():
    invoices = [inv(1, 0, 0, "10.00"), inv(2, 5, 0, "4.00")]
    assert allocate(D("6.00"), invoices, named_invoice_id=2) == [(2, D("4.00")), (1, D("2.00"))]


def test_named_invoice_already_paid_is_skipped():
    invoices = [inv(1, 0, 0, "10.00"), inv(2, 5, 0, "0.00")]
    assert allocate(D("3.00"), invoices, named_invoice_id=2) == [(1, D("3.00"))]


def test_overpayment_leaves_remainder_unallocated_and_empty_list():
    invoices = [inv(1, 0, 0, "10.00")]
    assert allocate(D("12.50"), invoices) == [(1, D("10.00"))]
    assert invoices[0].open_amount == D("0.00")
    assert allocate(D("5.00"), []) == []
    assert allocate(D("5.00"), invoices) == []


def test_successive_payments_against_the_same_list():
    invoices = [inv(1, 0, 0, "10.00"), inv(2, 1, 0, "10.00")]
    assert allocate(D("6.00"), invoices) == [(1, D("6.00"))]
    assert allocate(D("6.00"), invoices) == [(1, D("4.00")), (2, D("2.00"))]
    assert [i.open_amount for i in invoices] == [D("0.00"), D("8.00")]


cents = st.integers(min_value=0, max_value=500_000).map(lambda c: D(c).scaleb(-2))
invoice_rows = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 60), cents),
    min_size=0,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    amount=st.integers(min_value=1, max_value=3_000_000).map(lambda c: D(c).scaleb(-2)),
    rows=invoice_rows,
    named=st.one_of(st.none(), st.integers(0, 13)),
    data=st.data(),
)
def test_allocate_properties(amount, rows, named, data):
    ids = data.draw(st.permutations(list(range(1, len(rows) + 1))))
    invoices = [
        OpenInvoice(
            id=i,
            due_on=BASE + datetime.timedelta(days=due),
            issued_on=BASE + datetime.timedelta(days=issued),
            open_amount=open_,
        )
        for i, (issued, due, open_) in zip(ids, rows, strict=True)
    ]
    before = {i.id: i.open_amount for i in invoices}
    total_open = sum(before.values(), D("0"))
    result = allocate(amount, invoices, named_invoice_id=named)

    # Never over-allocates an invoice, never allocates more than the amount; totals are exact.
    allocated: dict[int, Decimal] = {}
    for invoice_id, applied in result:
        assert applied > 0
        allocated[invoice_id] = allocated.get(invoice_id, D("0")) + applied
    assert len(allocated) == len(result)  # each invoice appears at most once
    for invoice_id, applied in allocated.items():
        assert applied <= before[invoice_id]
    assert sum(allocated.values(), D("0")) == min(amount, total_open)
    # The list is left with the new open amounts.
    for invoice in invoices:
        assert invoice.open_amount == before[invoice.id] - allocated.get(invoice.id, D("0"))
        assert invoice.open_amount >= 0

    # Order: the named invoice first, then oldest due, issue date, id.
    by_id = {i.id: i for i in invoices}
    order = [invoice_id for invoice_id, _ in result]
    if named is not None and named in before and before[named] > 0:
        assert order[0] == named
        rest = order[1:]
    else:
        rest = order
    keys = [allocation_order(by_id[i]) for i in rest]
    assert keys == sorted(keys)
    # Every invoice but the last one touched is paid off; an invoice skipped has nothing open.
    for invoice_id in order[:-1]:
        assert by_id[invoice_id].open_amount == 0
    if rest:
        last_key = allocation_order(by_id[rest[-1]])
        for invoice in invoices:
            if invoice.id not in allocated and invoice.id != named and allocation_order(invoice) < last_key:
                assert before[invoice.id] == 0
