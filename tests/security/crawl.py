"""Walk the pages a signed-in user can reach by following links, and read their forms."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# Not pages of ours to crawl: sign-out ends the walk, downloads and the API are not HTML pages, the
# Django admin is Django's own (CSRF-protected the same way).
SKIP = re.compile(r"^/(logout|static|api|admin|healthz)|export|download|report|\.csv|\.pdf")


@dataclass
class Form:
    method: str
    action: str
    has_token: bool = False


@dataclass
class PageParser(HTMLParser):
    links: list = field(default_factory=list)
    forms: list = field(default_factory=list)

    def __post_init__(self):
        super().__init__()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("href", "hx-get"):
            if attrs.get(name, "").startswith("/"):
                self.links.append(attrs[name])
        if tag == "form":
            self.forms.append(Form((attrs.get("method") or "get").lower(), attrs.get("action") or ""))
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken" and self.forms:
            self.forms[-1].has_token = True


def shape(url: str) -> str:
    """Pages that differ only by ids or query are one page to the walk."""
    return re.sub(r"\d+", "N", url.split("?")[0].split("#")[0])


def crawl(client, start: str = "/", limit: int = 80) -> dict[str, PageParser]:
    """Every page reachable from `start` (one per URL shape), parsed, by URL."""
    seen, pages, todo = set(), {}, [start]
    while todo and len(pages) < limit:
        url = todo.pop(0)
        if shape(url) in seen or SKIP.search(url):
            continue
        seen.add(shape(url))
        # In-page actions (htmx) answer with the form fragment itself.
        response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if "/act/" in url else {}))
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = PageParser()
        parser.feed(response.content.decode())
        pages[url] = parser
        todo.extend(link for link in parser.links if shape(link) not in seen)
    return pages
