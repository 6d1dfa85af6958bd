"""Writes a realistic, seeded portfolio bundle (FORMATS.md) of N accounts, fast enough for 1M accounts.

Usage::

    python -m bench.generate_portfolio --accounts 100000 --out /tmp/bundle \
        [--seed 1] [--as-of 2025-06-30] [--creditors 6] [--collectors alice,bob] [--months 18] [--no-future-due]

The same seed and as-of date always give byte-identical files. Everything is built from small
built-in tables (names, states with their real area codes and IANA zones, creditors) and one
``random.Random``; money is integer cents, dates are day ordinals turned into strings through a
precomputed table, so the hot loop does no object construction beyond the row tuples themselves.

Dates of events (opened, placed, issued, received, posted) are never after the as-of date. A due
date may be (up to 30 days): the latest invoice of a live account is not yet due, which is what
fills the ``current`` aging bucket; ``--no-future-due`` caps due dates at the as-of date instead.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

# Exact column order of FORMATS.md; the importer and the tests key on these names.
HEADERS: dict[str, list[str]] = {
    "debtors": [
        "external_id",
        "kind",
        "name",
        "email",
        "phone",
        "address_line1",
        "city",
        "region",
        "postal_code",
        "country",
        "timezone",
        "language",
    ],
    "accounts": [
        "external_id",
        "debtor_external_id",
        "creditor",
        "currency",
        "opened_on",
        "placed_on",
        "product",
        "segment",
        "collector",
    ],
    "invoices": ["external_id", "account_external_id", "issued_on", "due_on", "amount", "description"],
    "payments": ["external_id", "account_external_id", "received_on", "amount", "method", "invoice_external_id"],
    "adjustments": ["external_id", "account_external_id", "posted_on", "amount", "kind", "invoice_external_id"],
}


def _words(text: str) -> tuple[str, ...]:
    """Name lists are kept as prose so the tables stay readable; split once at import."""
    return tuple(text.split())


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Sharon "
    "Jeffrey Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda "
    "Stephen Pamela Larry Emma Justin Nicole Scott Helen Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jose Carmen "
    "Luis Rosa Carlos Ana Juan Sofia Miguel Lucia Wei Mei Hiroshi Yuki Anh Minh Priya Raj Aisha Omar "
    "Tyrone Keisha DeShawn Latoya Malik Imani Connor Madison Tyler Olivia Ethan Ava Logan Chloe"
)

LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster "
    "Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher "
    "Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno "
    "West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall "
    "Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb "
    "Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason "
    "Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren "
    "Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne "
    "O'Brien Kowalski Nakamura Okafor Schultz Lindqvist"
)

TRADES = (
    "Plumbing",
    "Landscaping",
    "Dental",
    "Logistics",
    "Bakery",
    "Construction",
    "Auto Repair",
    "Consulting",
    "Printing",
    "Electric",
    "Roofing",
    "Catering",
    "Hardware",
    "Flooring",
    "Trucking",
    "Marketing",
    "Cleaning Services",
    "Veterinary Clinic",
    "Supply",
    "Fitness",
)
PLACE_WORDS = (
    "Blue Ridge",
    "Lakeshore",
    "Summit",
    "Riverbend",
    "Pinecrest",
    "Golden Gate",
    "Harborview",
    "Prairie",
    "Redrock",
    "Evergreen",
    "Iron Horse",
    "Maple Grove",
    "Sunbelt",
    "Northstar",
    "Cascade",
    "Bayou",
    "Mesa",
    "Granite",
    "Coastal",
)
BUSINESS_SUFFIXES = ("LLC", "Inc.", "Co.", "Corp.", "& Sons", "Group", "LLP", "Ltd.")

STREETS = _words(
    "Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Walnut Sunset Lincoln Jackson Franklin "
    "Highland Church Spring Ridge Meadow River Chestnut Willow Madison Jefferson Forest Adams Center "
    "Mill Prospect Union Valley Cherry Birch Grant Summit Broadway Liberty Harbor Orchard"
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl", "Ter")
EMAIL_DOMAINS = (
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "yahoo.com",
    "outlook.com",
    "hotmail.com",
    "icloud.com",
    "aol.com",
    "comcast.net",
)

# (state, IANA zone, population weight, real area codes, ((city, first three ZIP digits), ...)).
# Cities are chosen inside the state's main zone so the given zone is right for the address; the
# area codes of FL (850) and OR (541) straddle two zones, which is what real data looks like.
STATES: tuple[tuple[str, str, int, tuple[str, ...], tuple[tuple[str, str], ...]], ...] = (
    (
        "MA",
        "America/New_York",
        3,
        ("617", "508", "781", "978", "413", "774", "857", "339", "351"),
        (
            ("Boston", "021"),
            ("Worcester", "016"),
            ("Springfield", "011"),
            ("Cambridge", "021"),
            ("Lowell", "018"),
            ("New Bedford", "027"),
            ("Quincy", "021"),
        ),
    ),
    (
        "NY",
        "America/New_York",
        8,
        ("212", "718", "917", "646", "347", "516", "631", "914", "585", "716", "315", "518"),
        (
            ("New York", "100"),
            ("Brooklyn", "112"),
            ("Buffalo", "142"),
            ("Rochester", "146"),
            ("Albany", "122"),
            ("Syracuse", "132"),
            ("Yonkers", "107"),
        ),
    ),
    (
        "FL",
        "America/New_York",
        8,
        ("305", "786", "954", "561", "407", "813", "727", "904", "352", "239", "850"),
        (
            ("Miami", "331"),
            ("Orlando", "328"),
            ("Tampa", "336"),
            ("Jacksonville", "322"),
            ("Fort Lauderdale", "333"),
            ("Tallahassee", "323"),
        ),
    ),
    (
        "GA",
        "America/New_York",
        4,
        ("404", "470", "678", "770", "706", "912"),
        (("Atlanta", "303"), ("Savannah", "314"), ("Augusta", "309"), ("Macon", "312")),
    ),
    (
        "PA",
        "America/New_York",
        5,
        ("215", "267", "412", "610", "717", "814"),
        (("Philadelphia", "191"), ("Pittsburgh", "152"), ("Allentown", "181"), ("Harrisburg", "171"), ("Erie", "165")),
    ),
    (
        "OH",
        "America/New_York",
        5,
        ("216", "614", "513", "330", "419", "937"),
        (
            ("Columbus", "432"),
            ("Cleveland", "441"),
            ("Cincinnati", "452"),
            ("Toledo", "436"),
            ("Akron", "443"),
            ("Dayton", "454"),
        ),
    ),
    (
        "NC",
        "America/New_York",
        4,
        ("704", "919", "336", "910", "828"),
        (("Charlotte", "282"), ("Raleigh", "276"), ("Greensboro", "274"), ("Durham", "277"), ("Asheville", "288")),
    ),
    (
        "MI",
        "America/Detroit",
        4,
        ("313", "248", "586", "616", "734", "517"),
        (("Detroit", "482"), ("Grand Rapids", "495"), ("Lansing", "489"), ("Ann Arbor", "481")),
    ),
    (
        "IL",
        "America/Chicago",
        5,
        ("312", "773", "872", "630", "847", "708", "815", "217", "309"),
        (
            ("Chicago", "606"),
            ("Aurora", "605"),
            ("Naperville", "605"),
            ("Rockford", "611"),
            ("Peoria", "616"),
            ("Springfield", "627"),
        ),
    ),
    (
        "TX",
        "America/Chicago",
        9,
        ("214", "469", "972", "713", "281", "832", "512", "210", "817", "682", "737"),
        (
            ("Houston", "770"),
            ("Dallas", "752"),
            ("Austin", "787"),
            ("San Antonio", "782"),
            ("Fort Worth", "761"),
            ("Plano", "750"),
        ),
    ),
    (
        "MN",
        "America/Chicago",
        2,
        ("612", "651", "763", "952", "507"),
        (("Minneapolis", "554"), ("Saint Paul", "551"), ("Rochester", "559"), ("Duluth", "558")),
    ),
    (
        "CO",
        "America/Denver",
        2,
        ("303", "720", "719", "970"),
        (
            ("Denver", "802"),
            ("Colorado Springs", "809"),
            ("Aurora", "800"),
            ("Fort Collins", "805"),
            ("Boulder", "803"),
        ),
    ),
    (
        "AZ",
        "America/Phoenix",
        3,
        ("602", "480", "623", "520", "928"),
        (("Phoenix", "850"), ("Tucson", "857"), ("Mesa", "852"), ("Scottsdale", "852"), ("Flagstaff", "860")),
    ),
    (
        "NV",
        "America/Los_Angeles",
        1,
        ("702", "725", "775"),
        (("Las Vegas", "891"), ("Henderson", "890"), ("Reno", "895")),
    ),
    (
        "CA",
        "America/Los_Angeles",
        12,
        ("213", "310", "323", "415", "510", "619", "714", "818", "916", "408", "949", "626", "909", "858"),
        (
            ("Los Angeles", "900"),
            ("San Diego", "921"),
            ("San Jose", "951"),
            ("San Francisco", "941"),
            ("Sacramento", "958"),
            ("Fresno", "937"),
            ("Oakland", "946"),
        ),
    ),
    (
        "WA",
        "America/Los_Angeles",
        3,
        ("206", "253", "425", "360", "509"),
        (("Seattle", "981"), ("Spokane", "992"), ("Tacoma", "984"), ("Vancouver", "986"), ("Bellevue", "980")),
    ),
    (
        "OR",
        "America/Los_Angeles",
        1,
        ("503", "971", "541"),
        (("Portland", "972"), ("Salem", "973"), ("Eugene", "974")),
    ),
    ("HI", "Pacific/Honolulu", 1, ("808",), (("Honolulu", "968"), ("Hilo", "967"))),
    ("AK", "America/Anchorage", 1, ("907",), (("Anchorage", "995"), ("Fairbanks", "997"))),
)
SPANISH_HEAVY_STATES = frozenset({"TX", "CA", "FL", "AZ", "NM", "NV"})

# (name, products it places). The order matters: --creditors K takes the first K, and the first
# five cover every product so even a small bundle has the full mix.
CREDITORS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Northwind Utilities", ("utility",)),
    ("Summit Bank", ("credit card", "auto loan")),
    ("Cedar Health", ("medical",)),
    ("Bluebird Telecom", ("telecom",)),
    ("Redwood Auto Finance", ("auto loan",)),
    ("Harbor Credit Union", ("credit card", "auto loan")),
    ("Lakeside Medical Group", ("medical",)),
    ("Pioneer Gas & Electric", ("utility",)),
    ("Crestline Wireless", ("telecom",)),
    ("Granite Card Services", ("credit card",)),
)
BUSINESS_PRODUCTS = frozenset({"utility", "telecom", "credit card", "auto loan"})

# product -> (median invoice in cents, log-sd across accounts, payment terms in days)
PRODUCT_TERMS = {
    "credit card": (18000, 0.6, 25),
    "utility": (14000, 0.45, 21),
    "telecom": (8500, 0.35, 21),
    "auto loan": (42000, 0.3, 15),
    "medical": (60000, 0.9, 30),
}
# Heating and cooling months cost more; index 0 is January.
UTILITY_SEASON = (1.35, 1.3, 1.1, 0.9, 0.85, 1.05, 1.25, 1.3, 1.0, 0.85, 0.95, 1.2)

# Payment behaviour profiles, weighted per segment (percent). "stopped" accounts paid for a while
# and then went silent, which is what fills the 61-90 .. 121+ buckets; "paid_off" ones were settled
# and closed before the as-of date (the `paid` bucket).
PROFILE_WEIGHTS = {
    "prime": {"prompt": 30, "late": 40, "partial": 8, "stopped": 10, "paid_off": 10, "never": 2},
    "subprime": {"prompt": 8, "late": 38, "partial": 17, "stopped": 26, "paid_off": 5, "never": 6},
    "commercial": {"prompt": 18, "late": 48, "partial": 8, "stopped": 12, "paid_off": 10, "never": 4},
}
PERSON_METHODS = ("card",) * 30 + ("ach",) * 28 + ("portal",) * 22 + ("check",) * 14 + ("cash",) * 6
BUSINESS_METHODS = ("ach",) * 55 + ("check",) * 30 + ("card",) * 10 + ("portal",) * 5
LATE_FEES = (1500, 2500, 2900, 3500, 3900)

DEFAULT_CREDITORS = 6
WINDOW_MONTHS = 18
FLUSH_EVERY = 5000  # accounts buffered per writerows call: big enough to amortise, small in memory


def _weighted(table: dict[str, int]) -> tuple[str, ...]:
    return tuple(name for name, weight in table.items() for _ in range(weight))


def _cents(value: int) -> str:
    """Integer cents as a two-decimal string; exact, unlike formatting a float."""
    if value < 0:
        return f"-{-value // 100}.{-value % 100:02d}"
    return f"{value // 100}.{value % 100:02d}"


def _month_starts(as_of: date, months: int) -> list[date]:
    """First day of each of the `months` calendar months ending with the as-of month, oldest first."""
    starts = []
    year, month = as_of.year, as_of.month
    for _ in range(months):
        starts.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return starts[::-1]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _parse_date(text: str) -> date:
    return date.fromisoformat(text)


def write_bundle(
    out_dir: str | os.PathLike,
    *,
    accounts: int,
    seed: int = 1,
    as_of: date | None = None,
    creditors: int = DEFAULT_CREDITORS,
    collectors: list[str] | tuple[str, ...] | None = None,
    months: int = WINDOW_MONTHS,
    future_due: bool = True,
) -> dict[str, int]:
    """Write debtors/accounts/invoices/payments/adjustments.csv into out_dir; return row counts.

    future_due=False caps due dates at the as-of date, for an importer that refuses any future date
    (the `current` aging bucket then holds only invoices due on the as-of date itself).
    """
    if accounts < 0:
        raise ValueError("accounts must be >= 0")
    if creditors < 1:
        raise ValueError("creditors must be >= 1")
    if months < 2:
        raise ValueError("months must be >= 2")
    # Yesterday by default: the nightly rollup defaults to yesterday, so its first run sees it all.
    as_of = as_of or (date.today() - timedelta(days=1))
    collectors = [c for c in (collectors or []) if c]
    rng = random.Random(seed)
    rand = rng.random  # bound method: the hot loop calls it ~30 times per account
    log = math.log

    creditor_table = [
        CREDITORS[i] if i < len(CREDITORS) else (f"Creditor {i + 1}", ("credit card",)) for i in range(creditors)
    ]
    state_pool = tuple(s for s in STATES for _ in range(s[2]))
    profile_pools = {seg: _weighted(w) for seg, w in PROFILE_WEIGHTS.items()}

    as_of_ord = as_of.toordinal()
    month_starts = _month_starts(as_of, months)
    month_ords = [d.toordinal() for d in month_starts]
    month_labels = [f"{d.year}-{d.month:02d}" for d in month_starts]
    month_index = [d.month - 1 for d in month_starts]
    # Every date the bundle can mention, as a string, indexed by ordinal - base: opened_on reaches
    # back ~12 years before the window, due dates up to ~2 months past the as-of date.
    base_ord = month_ords[0] - 12 * 366
    iso = [date.fromordinal(o).isoformat() for o in range(base_ord, as_of_ord + 70)]

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Written under a .partial name and renamed when complete, so an interrupted run never leaves
    # a bundle that looks finished (bench/run.py reuses a bundle whose payments.csv exists).
    files = {
        name: open(out / f"{name}.csv.partial", "w", newline="", encoding="utf-8", buffering=1 << 20)  # noqa: SIM115
        for name in HEADERS
    }
    writers = {name: csv.writer(fh, lineterminator="\n") for name, fh in files.items()}
    for name, writer in writers.items():
        writer.writerow(HEADERS[name])
    counts = dict.fromkeys(HEADERS, 0)
    buf_d: list[tuple] = []
    buf_a: list[tuple] = []
    buf_i: list[tuple] = []
    buf_p: list[tuple] = []
    buf_j: list[tuple] = []

    def flush() -> None:
        for name, buf in (
            ("debtors", buf_d),
            ("accounts", buf_a),
            ("invoices", buf_i),
            ("payments", buf_p),
            ("adjustments", buf_j),
        ):
            writers[name].writerows(buf)
            counts[name] += len(buf)
            buf.clear()

    n_states = len(STATES)
    debtor_seq = 0
    last_debtor: tuple[str, str] | None = None  # (external id, kind) for the odd repeat customer

    try:
        for n in range(1, accounts + 1):
            aid = f"A{n:08d}"
            creditor, products = creditor_table[int(rand() * creditors)]
            product = products[int(rand() * len(products))]
            business_ok = product in BUSINESS_PRODUCTS

            # ---- debtor: ~8% of accounts belong to someone who already has one (another creditor)
            if last_debtor is not None and rand() < 0.08 and (business_ok or last_debtor[1] == "person"):
                did, kind = last_debtor
            else:
                debtor_seq += 1
                did = f"D{debtor_seq:08d}"
                kind = "business" if business_ok and rand() < 0.17 else "person"
                state = state_pool[int(rand() * len(state_pool))]
                code, tz, _, area_codes, cities = state
                city, zip3 = cities[int(rand() * len(cities))]
                if kind == "person":
                    first = FIRST_NAMES[int(rand() * len(FIRST_NAMES))]
                    last = LAST_NAMES[int(rand() * len(LAST_NAMES))]
                    u = rand()
                    if u < 0.18:
                        name = f"{first} {chr(65 + int(rand() * 26))}. {last}"
                    elif u < 0.21:
                        name = f"{first} {last} Jr."
                    else:
                        name = f"{first} {last}"
                    email = (
                        f"{_slug(first)}.{_slug(last)}{int(rand() * 100)}@"
                        f"{EMAIL_DOMAINS[int(rand() * len(EMAIL_DOMAINS))]}"
                        if rand() < 0.8
                        else ""
                    )
                else:
                    if rand() < 0.6:
                        name = f"{LAST_NAMES[int(rand() * len(LAST_NAMES))]} {TRADES[int(rand() * len(TRADES))]}"
                    else:
                        name = f"{PLACE_WORDS[int(rand() * len(PLACE_WORDS))]} {TRADES[int(rand() * len(TRADES))]}"
                    name = f"{name} {BUSINESS_SUFFIXES[int(rand() * len(BUSINESS_SUFFIXES))]}"
                    email = (
                        f"{('billing', 'ap', 'accounts', 'office')[int(rand() * 4)]}@"
                        f"{_slug(name.rsplit(' ', 1)[0])[:24]}.com"
                        if rand() < 0.9
                        else ""
                    )
                if rand() < 0.92:
                    # A mobile kept after a move carries the old state's area code: the phone's zone
                    # then disagrees with the address, which the importer must cope with.
                    phone_codes = STATES[int(rand() * n_states)][3] if rand() < 0.08 else area_codes
                    exchange = 200 + int(rand() * 800)
                    if exchange % 100 == 11 or exchange == 555:  # N11 and 555 are not assignable
                        exchange += 1
                    phone = f"+1{phone_codes[int(rand() * len(phone_codes))]}{exchange}{int(rand() * 10000):04d}"
                else:
                    phone = ""
                address = (
                    f"{1 + int(rand() * 9899)} {STREETS[int(rand() * len(STREETS))]} "
                    f"{STREET_SUFFIXES[int(rand() * len(STREET_SUFFIXES))]}"
                )
                if kind == "person" and rand() < 0.2:
                    address += f" Apt {1 + int(rand() * 40)}{'ABCD'[int(rand() * 4)]}"
                elif kind == "business" and rand() < 0.3:
                    address += f" Suite {100 + int(rand() * 400)}"
                u = rand()
                es_share = 0.16 if code in SPANISH_HEAVY_STATES else 0.04
                language = "" if u < 0.05 else ("es" if u < 0.05 + es_share else "en")
                buf_d.append(
                    (
                        did,
                        kind,
                        name,
                        email,
                        phone,
                        address,
                        city,
                        code,
                        f"{zip3}{1 + int(rand() * 98):02d}",
                        "US",
                        tz if rand() < 0.8 else "",  # the rest make the importer derive the zone
                        language,
                    )
                )
                last_debtor = (did, kind)

            # ---- account shape
            u = rand()
            currency = "USD" if u < 0.97 else ("CAD" if u < 0.99 else "EUR")
            segment = "commercial" if kind == "business" else ("prime" if rand() < 0.55 else "subprime")
            pool = profile_pools[segment]
            profile = pool[int(rand() * len(pool))]
            median, sigma, terms = PRODUCT_TERMS[product]
            if kind == "business":
                median *= 4
                terms = 30
            base = max(1000, int(median * math.exp(rng.gauss(0.0, sigma))))

            # Months of billing history: skewed short (mean ~7), capped by the window.
            if product == "medical":
                length = 1 + (rand() < 0.35) + (rand() < 0.15)
            else:
                length = 1 + int(-log(1.0 - rand()) * 7.0)
            # Exclusive end month: stopped and paid-off accounts stopped being billed before as-of.
            end = 1 + int(rand() * (months - 1)) if profile in ("stopped", "paid_off") else months
            start = max(0, end - length)
            bill_day = 1 + int(rand() * 28)
            if product == "auto loan":
                loan_term = (36, 48, 60, 72)[int(rand() * 4)]
                first_instalment = 1 + int(rand() * max(1, loan_term - (end - start)))

            # ---- invoices: (ordinal issued, ordinal due, cents, id)
            inv: list[tuple[int, int, int, str]] = []
            for k, m in enumerate(range(start, end)):
                issued = month_ords[m] + bill_day - 1
                if product == "medical":
                    issued = month_ords[m] + int(rand() * 28)
                if issued > as_of_ord:
                    if inv:
                        break
                    # A brand-new account billed for the first time this month, before its usual day.
                    issued = month_ords[m] + int(rand() * (as_of_ord - month_ords[m] + 1))
                if product == "credit card":
                    amount = int(base * (0.5 + rand()))
                    description = f"Statement {month_labels[m]}"
                elif product == "utility":
                    amount = int(base * UTILITY_SEASON[month_index[m]] * (0.85 + 0.3 * rand()))
                    description = f"Service {month_labels[m]}"
                elif product == "telecom":
                    amount = base + (int(500 + rand() * 3500) if rand() < 0.12 else 0)
                    description = f"Monthly plan {month_labels[m]}"
                elif product == "auto loan":
                    amount = base
                    description = f"Instalment {first_instalment + k} of {loan_term}"
                else:
                    amount = int(base * (0.4 + 1.2 * rand()))
                    description = f"Patient statement {iso[issued - base_ord]}"
                iid = f"{aid}-I{k + 1:02d}"
                due = issued + terms
                if due > as_of_ord and not future_due:
                    due = as_of_ord
                inv.append((issued, due, amount, iid))
                buf_i.append((iid, aid, iso[issued - base_ord], iso[due - base_ord], _cents(amount), description))

            first_issued = inv[0][0]
            if product == "medical":
                opened = first_issued - int(rand() * 30)
            elif product == "auto loan":
                opened = first_issued - 30 * first_instalment
            else:
                opened = first_issued - int(rand() * 10 * 365)
            opened = max(opened, base_ord)
            placed = (
                "" if rand() < 0.05 else iso[first_issued + int(rand() * (as_of_ord - first_issued + 1)) - base_ord]
            )
            buf_a.append(
                (
                    aid,
                    did,
                    creditor,
                    currency,
                    iso[opened - base_ord],
                    placed,
                    product,
                    segment,
                    collectors[(n - 1) % len(collectors)] if collectors else "",
                )
            )

            # ---- credits first: a payment later covers the invoice net of its credit
            credit_for: dict[int, int] = {}
            adj_seq = 0
            for idx, (issued, _due, amount, iid) in enumerate(inv):
                if rand() < 0.02:
                    posted = issued + 1 + int(rand() * terms)
                    if posted <= as_of_ord:
                        credit = max(100, int(amount * (0.05 + 0.45 * rand())))
                        credit_for[idx] = credit
                        adj_seq += 1
                        buf_j.append(
                            (f"{aid}-J{adj_seq:02d}", aid, iso[posted - base_ord], _cents(-credit), "credit", iid)
                        )

            # ---- payments
            methods = BUSINESS_METHODS if kind == "business" else PERSON_METHODS
            preferred = methods[int(rand() * len(methods))]
            mean_late = 3 + 50 * rand() ** 2  # most customers a little late, a few very late
            fraction = 0.3 + 0.6 * rand()
            if profile == "never":
                paying = 0
            elif profile == "stopped":
                paying = int(rand() * len(inv))
            else:
                paying = len(inv)
            named_ok = profile != "partial"  # partial payers' money spills oldest-first, so never named
            prev = 0
            paid_on = [0] * len(inv)  # day each invoice's payment completed; 0 = not paid
            pay_seq = 0
            paid_total = 0
            overpaid = False  # at most once per account, so the credit it leaves stays small
            last_event = inv[-1][0]
            for idx in range(paying):
                issued, due, amount, iid = inv[idx]
                if profile in ("prompt", "paid_off"):
                    late = -int(rand() * terms * 0.6) if rand() < 0.7 else int(-log(1.0 - rand()) * 4)
                else:
                    late = int(-log(1.0 - rand()) * mean_late)
                    if rand() < 0.07:
                        late += 20 + int(rand() * 60)
                if profile == "partial":
                    if rand() < 0.15:
                        continue  # skipped a month entirely
                    owed = min(int(amount * fraction), amount - credit_for.get(idx, 0))
                else:
                    owed = amount - credit_for.get(idx, 0)
                if owed <= 0:
                    continue
                # Customers pay their bills in order, which also keeps oldest-first allocation and
                # named invoices consistent with each other.
                day = max(due + late, issued, prev)
                if day > as_of_ord:
                    break
                name_it = named_ok and rand() < 0.2
                method = preferred if rand() < 0.8 else methods[int(rand() * len(methods))]
                if rand() < 0.07 and owed >= 2000:
                    parts = [int(owed * (0.4 + 0.2 * rand()))]
                    parts.append(owed - parts[0])
                else:
                    parts = [owed]
                for part_no, part in enumerate(parts):
                    if part_no:
                        day += 7 + int(rand() * 14)
                        if day > as_of_ord:
                            break
                    if not name_it and not overpaid and rand() < 0.004:
                        part += 1 + int(rand() * 500)  # the odd rounding-up payer: small overpayment
                        overpaid = True
                    pay_seq += 1
                    buf_p.append(
                        (
                            f"{aid}-P{pay_seq:02d}",
                            aid,
                            iso[day - base_ord],
                            _cents(part),
                            method if rand() < 0.95 else "",
                            iid if name_it else "",
                        )
                    )
                    paid_total += part
                    prev = day
                if day > as_of_ord:
                    break
                paid_on[idx] = day
            last_event = max(last_event, prev)

            # ---- late fees and interest on what stays unpaid, write-offs of dead accounts
            if profile in ("late", "partial", "stopped", "never"):
                charged = 0
                for idx, (_issued, due, _amount, iid) in enumerate(inv):
                    if rand() < 0.06:
                        posted = due + 30 + int(rand() * 5)
                        # Only an invoice still unpaid 30 days after its due date earns a late fee.
                        if posted <= as_of_ord and not 0 < paid_on[idx] <= posted:
                            fee = LATE_FEES[int(rand() * len(LATE_FEES))]
                            charged += fee
                            adj_seq += 1
                            buf_j.append(
                                (
                                    f"{aid}-J{adj_seq:02d}",
                                    aid,
                                    iso[posted - base_ord],
                                    _cents(fee),
                                    "fee",
                                    iid if rand() < 0.5 else "",
                                )
                            )
                            last_event = max(last_event, posted)
                if profile in ("stopped", "never") and rand() < 0.15:
                    unpaid = sum(a for _, _, a, _ in inv[paying:])
                    posted = inv[-1][1] + 30
                    for _ in range(1 + int(rand() * 3)):
                        if posted > as_of_ord or unpaid <= 0:
                            break
                        interest = max(1, unpaid * 15 // 1000)  # 1.5% a month, in cents
                        charged += interest
                        adj_seq += 1
                        buf_j.append(
                            (f"{aid}-J{adj_seq:02d}", aid, iso[posted - base_ord], _cents(interest), "interest", "")
                        )
                        last_event = max(last_event, posted)
                        posted += 30
                if profile == "stopped" and rand() < 0.3:
                    earliest = max(inv[-1][1] + 150, last_event + 1)
                    balance = sum(a for _, _, a, _ in inv) + charged - paid_total - sum(credit_for.values())
                    if earliest <= as_of_ord and balance > 0:
                        posted = earliest + int(rand() * (as_of_ord - earliest + 1))
                        adj_seq += 1
                        buf_j.append(
                            (f"{aid}-J{adj_seq:02d}", aid, iso[posted - base_ord], _cents(-balance), "write_off", "")
                        )

            if n % FLUSH_EVERY == 0:
                flush()
        flush()
    finally:
        for fh in files.values():
            fh.close()
    for name in HEADERS:
        (out / f"{name}.csv.partial").replace(out / f"{name}.csv")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, required=True, help="number of accounts to generate")
    parser.add_argument("--out", required=True, help="folder to write the five CSV files into")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=_parse_date, default=None, help="YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--creditors", type=int, default=DEFAULT_CREDITORS)
    parser.add_argument("--collectors", default="", help="comma-separated usernames, assigned round-robin")
    parser.add_argument("--months", type=int, default=WINDOW_MONTHS, help="months of billing history")
    parser.add_argument(
        "--no-future-due", action="store_true", help="cap due dates at the as-of date (no not-yet-due invoices)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = write_bundle(
        args.out,
        accounts=args.accounts,
        seed=args.seed,
        as_of=args.as_of,
        creditors=args.creditors,
        collectors=[c.strip() for c in args.collectors.split(",") if c.strip()],
        months=args.months,
        future_due=not args.no_future_due,
    )
    elapsed = time.perf_counter() - started
    total = sum(counts.values())
    for name, count in counts.items():
        print(f"{name:12} {count:>12,}")
    print(f"{'total':12} {total:>12,} rows in {elapsed:.1f} s ({total / max(elapsed, 1e-9):,.0f} rows/s) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
