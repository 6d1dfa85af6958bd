"""Letters as one printable PDF batch (A4/Letter pages, one or more per letter), with fpdf2 (pure Python).

Names and addresses are printed as text, never interpreted. A Unicode font (DejaVu Sans) is used
when the system has it; otherwise the PDF core font, with characters outside Latin-1 reduced to
their closest plain letter (Łukasz -> Lukasz) rather than failing the whole batch.
"""

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from fpdf import FPDF

# fontTools logs every glyph it subsets at INFO; a batch of thousands of letters would flood the log.
logging.getLogger("fontTools").setLevel(logging.WARNING)

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class Letter:
    recipient: str
    address: tuple[str, ...]
    date: str
    reference: str
    subject: str
    body: str


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return kept.encode("latin-1", "replace").decode("latin-1")


class _Batch(FPDF):
    def __init__(self):
        super().__init__(format=getattr(settings, "DUNNING_LETTER_PAPER", "letter"))
        self.set_margins(22, 20, 22)
        self.set_auto_page_break(auto=True, margin=20)
        font = next((path for path in FONT_CANDIDATES if path.exists()), None)
        if font is not None:
            self.add_font("Body", "", str(font))
            bold = font.with_name("DejaVuSans-Bold.ttf")
            self.add_font("Body", "B", str(bold if bold.exists() else font))
            self.body_font, self.clean = "Body", str
        else:
            self.body_font, self.clean = "Helvetica", _plain
        self.sender = getattr(settings, "DUNNING_LETTER_SENDER", "Collections Department")

    def letter(self, letter: Letter) -> None:
        self.add_page()
        self.set_font(self.body_font, "B", 10)
        self.cell(0, 5, self.clean(self.sender), new_x="LMARGIN", new_y="NEXT")
        self.ln(12)
        self.set_font(self.body_font, "", 11)
        for line in (letter.recipient, *letter.address):
            self.cell(0, 5.5, self.clean(line), new_x="LMARGIN", new_y="NEXT")
        self.ln(10)
        self.cell(0, 5.5, self.clean(letter.date), new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 5.5, self.clean(f"Reference: {letter.reference}"), new_x="LMARGIN", new_y="NEXT")
        self.ln(6)
        if letter.subject:
            self.set_font(self.body_font, "B", 11)
            self.multi_cell(0, 6, self.clean(letter.subject), align="L", new_x="LMARGIN", new_y="NEXT")
            self.ln(2)
            self.set_font(self.body_font, "", 11)
        self.multi_cell(0, 5.5, self.clean(letter.body), align="L", new_x="LMARGIN", new_y="NEXT")


def letters_pdf(letters: list[Letter]) -> bytes:
    """One PDF with every letter starting on a new page; a batch of none says so on its one page."""
    pdf = _Batch()
    if not letters:
        pdf.add_page()
        pdf.set_font(pdf.body_font, "", 11)
        pdf.cell(0, 6, "No letters in this batch.")
    for letter in letters:
        pdf.letter(letter)
    return bytes(pdf.output())
