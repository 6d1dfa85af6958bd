"""The access matrix as data: what each principal gets from every route, and docs/ACCESS.md made from it.

tests/security/test_access_matrix.py requests every route as each principal and compares the answer
with this table; a route the resolver knows and this table does not (or the reverse) fails the test.
After editing, regenerate the page: `python -m tests.security.access_matrix > docs/ACCESS.md`.
"""

from dataclasses import dataclass

PRINCIPALS = ("anonymous", "collector", "other_collector", "manager", "other_manager", "admin")
HEADINGS = ("anonymous", "collector (team A)", "collector (team B)", "manager (team A)", "manager (team B)", "admin")
# Django's admin checks access itself (staff only); it is treated as one route.
ADMIN_GROUP = "admin/"

LEGEND = {
    "200": "allowed: the page or data (or, for an empty POST, the form again with its errors)",
    "201": "allowed: created",
    "302": "allowed: redirected to the next page (a form's result, or the page that does this for the role)",
    "login": "not signed in: redirected to the sign-in page",
    "400": "allowed, the body refused with a machine-readable error (the API's validation)",
    "401": "API, not signed in: authenticate first",
    "403": "refused: the role does not give access (decided before any object is looked up)",
    "404": "not found: outside the principal's scope, answered exactly like an object that does not exist",
    "405": "this method is not served here (checked after the role)",
    "422": "allowed, the form refused with its errors (an in-page action)",
}


@dataclass(frozen=True)
class Area:
    title: str
    intro: str
    # (route name, path, {method: "answers of the six principals, in PRINCIPALS order"})
    rows: list


A = "401 200 200 200 200 200"  # API: every signed-in role; lists are scoped (tests/api/test_scoping.py)
A_OBJ = "401 200 404 200 404 200"  # API: team A's object, 404 to the other team
NO = "401 405 405 405 405 405"  # API: method not served
WEB = "login 200 200 200 200 200"  # page: every signed-in role, scoped inside
WEB_OBJ = "login 200 404 200 404 200"  # page of team A's object
ADMIN_PAGE = "login 403 403 403 403 200"
MANAGER_PAGE = "login 403 403 200 200 200"

AREAS = [
    Area(
        "Operations, API documentation, Django admin",
        "Public by design: the health check, the OpenAPI schema and its docs, and the API's 404 for unknown "
        "paths. The Django admin checks access itself (staff, i.e. the admin role, only); one representative "
        "request stands for all its pages.",
        [
            ("healthz", "/healthz", {"GET": "200 200 200 200 200 200"}),
            ("api-schema", "/api/schema/", {"GET": "200 200 200 200 200 200"}),
            ("api-docs", "/api/docs/", {"GET": "200 200 200 200 200 200"}),
            ("api/<catch-all>", "/api/…", {"GET": "404 404 404 404 404 404", "POST": "404 404 404 404 404 404"}),
            (ADMIN_GROUP, "/admin/…", {"GET": "login login login login login 200"}),
        ],
    ),
    Area(
        "Sign-in and start page",
        "Each role lands on its own start page; signing out is a POST.",
        [
            ("home", "/", {"GET": WEB}),
            ("login", "/login/", {"GET": "200 302 302 302 302 302", "POST": "200 302 302 302 302 302"}),
            ("logout", "/logout/", {"GET": "405 405 405 405 405 405", "POST": "login login login login login login"}),
            ("password_change", "/password/", {"GET": WEB, "POST": WEB}),
            ("password_change_done", "/password/done/", {"GET": WEB}),
        ],
    ),
    Area(
        "Accounts, the workspace and the queue",
        "A collector sees the accounts assigned to them, a manager those of their teams (and unassigned "
        "ones), an admin all (`collections_app.selectors.accounts_visible_to`). Another team's account is "
        "a 404 for the page, its action forms and their POSTs alike. My queue is for collectors; Next "
        "account sends anyone else to the account list.",
        [
            ("account_list", "/accounts/", {"GET": WEB, "GET ?q=Quintessa": WEB}),
            ("account_detail", "/accounts/<pk>/", {"GET": WEB_OBJ}),
            ("arrangement_preview", "/accounts/<pk>/act/arrangement/preview/", {"GET": WEB_OBJ}),
            (
                "account_action",
                "/accounts/<pk>/act/<name>/",
                {"GET": "login 302 404 302 404 302", "POST": "login 422 404 422 404 422"},
            ),
            ("queue", "/queue/", {"GET": "login 200 200 403 403 403"}),
            ("queue_next", "/queue/next/", {"GET": "login 302 302 302 302 302", "POST": "login 302 302 302 302 302"}),
        ],
    ),
    Area(
        "Personal data of a debtor (export and erasure)",
        "Admins only: the page, the export and the erasure with the ledger kept.",
        [
            ("debtor_privacy", "/debtors/<pk>/privacy/", {"GET": ADMIN_PAGE}),
            ("debtor_export", "/debtors/<pk>/privacy/export/", {"POST": ADMIN_PAGE}),
            ("debtor_erase", "/debtors/<pk>/privacy/erase/", {"GET": ADMIN_PAGE, "POST": "login 403 403 403 403 422"}),
        ],
    ),
    Area(
        "The manager's desk",
        "Managers and admins. A manager's desk shows only the teams they lead: another team "
        "(`?desk_team=`) or another team's collector is a 404.",
        [
            ("desk:home", "/desk/", {"GET": MANAGER_PAGE, "GET ?desk_team=$team": "login 403 403 200 404 200"}),
            (
                "desk:limits",
                "/desk/collectors/<pk>/limits/",
                {"GET": "login 403 403 200 404 200", "POST": "login 403 403 302 404 302"},
            ),
            (
                "desk:reassign",
                "/desk/reassign/",
                {
                    "GET": MANAGER_PAGE,
                    "GET ?desk_team=$team": "login 403 403 200 404 200",
                    "POST": MANAGER_PAGE,
                    "POST desk_team=$team": "login 403 403 200 404 200",
                },
            ),
            (
                "desk:strategy",
                "/desk/strategy/",
                {"GET": MANAGER_PAGE, "POST": MANAGER_PAGE, "POST desk_team=$team": "login 403 403 200 404 200"},
            ),
        ],
    ),
    Area(
        "KPIs and compliance",
        "KPI pages are open to every role, each seeing the cells of its own scope (`kpis.dashboard.scope_for`: "
        "a collector their own figures; another team chosen in the filters shows nothing of it). The compliance pages are for managers and admins; an account's audit "
        "trail outside the manager's teams is a 404.",
        [
            ("kpis:overview", "/kpis/", {"GET": WEB, "GET ?team=$team&collector=$collector": WEB}),
            ("kpis:collectors", "/kpis/collectors/", {"GET": WEB, "GET ?team=$team": WEB}),
            ("compliance:overview", "/compliance/", {"GET": MANAGER_PAGE}),
            (
                "compliance:account_audit",
                "/compliance/audit/",
                {"GET": MANAGER_PAGE, "GET ?account=A-ACCESS": "login 403 403 200 404 200"},
            ),
        ],
    ),
    Area(
        "Portfolio imports",
        "Admins only. The rejections report is a 404 until the import has written one.",
        [
            ("import_list", "/imports/", {"GET": ADMIN_PAGE}),
            ("import_new", "/imports/new/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("import_detail", "/imports/<pk>/", {"GET": ADMIN_PAGE}),
            ("import_progress", "/imports/<pk>/progress/", {"GET": ADMIN_PAGE}),
            ("import_report", "/imports/<pk>/rejections.csv", {"GET": "login 403 403 403 403 404"}),
        ],
    ),
    Area(
        "Dunning configuration and runs",
        "Admins only. A POST that saves or deletes answers with a redirect; an invalid form is the page again.",
        [
            ("dunning:home", "/dunning/", {"GET": ADMIN_PAGE}),
            ("dunning:tonight", "/dunning/tonight/", {"GET": ADMIN_PAGE, "POST": "login 403 403 403 403 302"}),
            ("dunning:policy_new", "/dunning/policies/new/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:policy", "/dunning/policies/<pk>/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:policy_delete", "/dunning/policies/<pk>/delete/", {"POST": "login 403 403 403 403 302"}),
            ("dunning:stage_new", "/dunning/policies/<policy_pk>/stages/new/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:stage", "/dunning/stages/<pk>/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:stage_delete", "/dunning/stages/<pk>/delete/", {"POST": "login 403 403 403 403 302"}),
            ("dunning:templates", "/dunning/templates/", {"GET": ADMIN_PAGE}),
            ("dunning:template_new", "/dunning/templates/new/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:template", "/dunning/templates/<pk>/", {"GET": ADMIN_PAGE, "POST": ADMIN_PAGE}),
            ("dunning:template_delete", "/dunning/templates/<pk>/delete/", {"POST": "login 403 403 403 403 302"}),
            (
                "dunning:run_start",
                "/dunning/runs/new/",
                {"GET": "login 403 403 403 403 405", "POST": "login 403 403 403 403 302"},
            ),
            ("dunning:run", "/dunning/runs/<pk>/", {"GET": ADMIN_PAGE}),
            ("dunning:letters", "/dunning/letters/<day>/", {"GET": ADMIN_PAGE}),
        ],
    ),
    Area(
        "API: parties, accounts and invoices",
        "Without credentials the API answers 401. Roles are checked before any object is looked up (403); "
        "objects outside the caller's scope are 404. Creating debtors, creditors, accounts and invoices is "
        "for admins; a number or address may be added by anyone who sees the debtor. Nothing is updated "
        "or deleted through the API.",
        [
            ("api-debtor-list", "/api/debtors/", {"GET": A, "POST": "401 403 403 403 403 400"}),
            ("api-debtor-detail", "/api/debtors/<pk>/", {"GET": A_OBJ}),
            (
                "api-contact-point-list",
                "/api/contact-points/",
                {
                    "GET": A,
                    "POST": "401 400 400 400 400 400",
                    'POST {"debtor": $debtor, "kind": "email", "value": "new@example.com"}': "401 201 400 201 400 201",
                },
            ),
            ("api-contact-point-detail", "/api/contact-points/<pk>/", {"GET": A_OBJ}),
            ("api-contact-point-opt-out", "/api/contact-points/<pk>/opt-out/", {"GET": NO, "POST": A_OBJ}),
            ("api-creditor-list", "/api/creditors/", {"GET": A, "POST": "401 403 403 403 403 400"}),
            ("api-creditor-detail", "/api/creditors/<pk>/", {"GET": A_OBJ}),
            (
                "api-account-list",
                "/api/accounts/",
                {"GET": A, "GET ?q=Quintessa": A, "POST": "401 403 403 403 403 400"},
            ),
            ("api-account-detail", "/api/accounts/<pk>/", {"GET": A_OBJ, "PATCH": NO, "DELETE": NO}),
            ("api-invoice-list", "/api/invoices/", {"GET": A, "POST": "401 403 403 403 403 400"}),
            ("api-invoice-detail", "/api/invoices/<pk>/", {"GET": A_OBJ}),
        ],
    ),
    Area(
        "API: payments, promises and arrangements",
        "Anyone who sees the account records a payment, a promise or an arrangement; reversing a payment "
        "is for managers and admins. A body naming another team's account is refused like a missing one.",
        [
            (
                "api-payment-list",
                "/api/payments/",
                {
                    "GET": A,
                    "POST": "401 400 400 400 400 400",
                    'POST {"account": $account, "amount": "1.00", "received_on": "$today"}': "401 201 400 201 400 201",
                },
            ),
            ("api-payment-detail", "/api/payments/<pk>/", {"GET": A_OBJ, "DELETE": NO}),
            ("api-payment-reverse", "/api/payments/<pk>/reverse/", {"GET": NO, "POST": "401 403 403 400 404 400"}),
            ("api-promise-list", "/api/promises/", {"GET": A, "POST": "401 400 400 400 400 400"}),
            ("api-promise-detail", "/api/promises/<pk>/", {"GET": A_OBJ}),
            ("api-arrangement-list", "/api/arrangements/", {"GET": A, "POST": "401 400 400 400 400 400"}),
            ("api-arrangement-preview", "/api/arrangements/preview/", {"GET": NO, "POST": "401 400 400 400 400 400"}),
            ("api-arrangement-detail", "/api/arrangements/<pk>/", {"GET": A_OBJ}),
            ("api-arrangement-cancel", "/api/arrangements/<pk>/cancel/", {"GET": NO, "POST": A_OBJ}),
        ],
    ),
    Area(
        "API: contact log, disputes, holds, assignments and the contact gate",
        "Anyone who sees the account logs a contact, opens a dispute or places a hold; resolving a dispute, "
        "releasing a hold and assigning accounts are for managers and admins. The gate answers one question "
        "and needs its parameters (400 without them).",
        [
            (
                "api-activity-list",
                "/api/activities/",
                {
                    "GET": A,
                    "POST": "401 400 400 400 400 400",
                    'POST {"account": $account, "channel": "inbound_call", "outcome": "right_party_contact"}': (
                        "401 201 400 201 400 201"
                    ),
                },
            ),
            ("api-activity-detail", "/api/activities/<pk>/", {"GET": A_OBJ}),
            (
                "api-dispute-list",
                "/api/disputes/",
                {
                    "GET": A,
                    "POST": "401 400 400 400 400 400",
                    'POST {"account": $account, "reason": "Not mine"}': "401 201 400 201 400 201",
                },
            ),
            ("api-dispute-detail", "/api/disputes/<pk>/", {"GET": A_OBJ}),
            ("api-dispute-resolve", "/api/disputes/<pk>/resolve/", {"GET": NO, "POST": "401 403 403 400 404 400"}),
            (
                "api-hold-list",
                "/api/holds/",
                {
                    "GET": A,
                    "POST": "401 400 400 400 400 400",
                    'POST {"account": $account, "reason": "other"}': "401 201 400 201 400 201",
                },
            ),
            ("api-hold-detail", "/api/holds/<pk>/", {"GET": A_OBJ}),
            ("api-hold-release", "/api/holds/<pk>/release/", {"GET": NO, "POST": "401 403 403 200 404 200"}),
            (
                "api-assignment-list",
                "/api/assignments/",
                {
                    "GET": A,
                    "POST": "401 403 403 400 400 400",
                    'POST {"account": $account, "collector": null}': "401 403 403 200 400 200",
                },
            ),
            ("api-assignment-bulk", "/api/assignments/bulk/", {"GET": NO, "POST": "401 403 403 400 400 400"}),
            ("api-assignment-detail", "/api/assignments/<pk>/", {"GET": A_OBJ}),
            ("api-gate-list", "/api/gate/", {"GET": "401 400 400 400 400 400"}),
        ],
    ),
    Area(
        "API: dunning, KPIs and tokens",
        "Dunning policies are read by managers and admins; reminders by anyone who sees their account. KPIs "
        "need their parameters (400 without them) and are scoped like the dashboards. Tokens are for admins.",
        [
            ("api-dunning-policy-list", "/api/dunning-policies/", {"GET": "401 403 403 200 200 200"}),
            ("api-dunning-policy-detail", "/api/dunning-policies/<pk>/", {"GET": "401 403 403 200 200 200"}),
            ("api-dunning-reminder-list", "/api/dunning-reminders/", {"GET": A}),
            ("api-dunning-reminder-detail", "/api/dunning-reminders/<pk>/", {"GET": A_OBJ}),
            (
                "api-kpi-list",
                "/api/kpis/",
                {"GET": "401 400 400 400 400 400", "GET ?start=$today&end=$today&by=collector": A},
            ),
            ("api-token-list", "/api/tokens/", {"GET": "401 403 403 403 403 200", "POST": "401 403 403 403 403 400"}),
            ("api-token-detail", "/api/tokens/<pk>/", {"GET": "401 403 403 403 403 200"}),
            (
                "api-token-revoke",
                "/api/tokens/<pk>/revoke/",
                {"GET": "401 403 403 403 403 405", "POST": "401 403 403 403 403 200"},
            ),
        ],
    ),
]

ROUTES = {name: path for area in AREAS for name, path, _methods in area.rows}
MATRIX = {
    (name, method): tuple(answers.split())
    for area in AREAS
    for name, _path, methods in area.rows
    for method, answers in methods.items()
}
assert all(len(answers) == len(PRINCIPALS) for answers in MATRIX.values()), "six answers per method"
assert all(a in LEGEND for answers in MATRIX.values() for a in answers), "every answer is in the legend"


def markdown() -> str:
    """docs/ACCESS.md: the legend, then a table per area."""
    lines = [
        "# Access matrix",
        "",
        "What each principal gets from every web route and API endpoint. Team A owns the objects",
        "requested (an account assigned to team A's collector, and everything on it); *team B* is",
        "another team. Generated from `tests/security/access_matrix.py` by",
        "`python -m tests.security.access_matrix > docs/ACCESS.md`; `tests/security/test_access_matrix.py`",
        "requests every route as each principal and fails on any other answer, on a route missing here,",
        "or on a route listed here that no longer exists. POST, PUT, PATCH and DELETE are sent with an",
        "empty body unless the request shows one (`$account` stands for team A's account's id, and so on):",
        "an empty body shows the access decision; a body naming team A's object shows that another team",
        "cannot act on it. Every request is rolled back, so none changes what the next one sees.",
        "",
        "Each route is listed with the methods it is meant for (a delete button: POST only); an API route",
        "with every method its viewset serves (checked), and a few with the 405 that says nothing is",
        "updated or deleted through the API. Beyond the status, whatever a team B principal is shown with a",
        "`200` is searched for team A's account number, debtor name, phone number and collector: none",
        "may appear. Unassigned accounts are visible to every manager (they are the pool managers assign",
        "from), so the objects tested here are on an assigned account. The bench's floor page",
        "(`/bench/floor/`, in `bench/floor_urls.py`, served only under `bench/settings.py`) is not a product",
        "route: it needs a sign-in and lists only the signed-in user's own accounts.",
        "",
        "## Legend",
        "",
        "| answer | meaning |",
        "|---|---|",
        *[f"| `{code}` | {meaning} |" for code, meaning in LEGEND.items()],
    ]
    for area in AREAS:
        lines += ["", f"## {area.title}", "", area.intro, ""]
        lines += ["| route | request | " + " | ".join(HEADINGS) + " |", "|---|---|" + "---|" * len(HEADINGS)]
        for name, path, methods in area.rows:
            for method, answers in methods.items():
                cells = " | ".join(answers.split())
                lines.append(f"| `{path}` ({name}) | `{method}` | {cells} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
