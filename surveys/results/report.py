"""The summary as a PDF report (fpdf2, pure Python: no system fonts or programs needed).

The PDF carries what the printable HTML report shows: each question's weighted result with
its margin of error, hidden groups written as such, and the published quotes. It uses the
PDF core fonts, which cover Danish letters (Latin-1); anything outside is replaced.
"""

from __future__ import annotations

from flask_babel import format_date, format_number
from flask_babel import gettext as _
from fpdf import FPDF

from surveys.results.figures import figure, margin_statement
from surveys.results.summary import Summary


def _latin1(text: str) -> str:
    text = text.replace("–", "-").replace("—", "-").replace("’", "'").replace("“", '"')
    return text.replace("”", '"').encode("latin-1", "replace").decode("latin-1")


def report_pdf(
    summary: Summary, title: str, quotes: list[tuple[str, list[str]]], min_group: int
) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(title))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: int = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    line(title, 16, "B", 8)
    line(_("Results") + ": " + summary.wave.name, 12)
    line(_("Wave closed %(day)s.", day=format_date(summary.wave.closes_at)))
    line(_("%(n)s citizens answered.", n=format_number(summary.respondents)))
    line(summary.weighting_statement)
    line(margin_statement())
    hidden = _("fewer than %(n)d answers", n=min_group)
    for q in summary.questions:
        pdf.ln(3)
        line(q.text, 11, "B", 6)
        for table in q.overall:
            row = table.rows[0]
            if table.title:
                line(table.title, 10, "I")
            if row.hidden:
                line(hidden)
                continue
            for (_id, label), e in zip(table.columns, row.cells, strict=True):
                line(f"{label or _('Average')}: {figure(e, table.kind)}")
    for question, texts in quotes:
        pdf.ln(3)
        line(_("Quotes") + ": " + question, 11, "B", 6)
        for text in texts:
            line(f'"{text}"', 10, "I")
    return bytes(pdf.output())
