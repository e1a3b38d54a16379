"""The canvas layout engine: styles, wrapping, blocks and pages.

The page is drawn straight on a ReportLab canvas (issue 4, item 8): platypus
Paragraphs and Tables took nine tenths of a page's rendering time to lay
out a page whose layout never changes.  Each block of a page is laid out
once into a :class:`Block`: its height and what it draws, placed relative to
its top edge (the blocks themselves are made in
:mod:`mbp_billing.render.blocks`).  :class:`Pages` stacks the blocks down
the page with the space between them, moves a block that does not fit to a
new page and, when a block is taller than a whole page (only extreme texts
make one), cuts it between two lines of text.  Each page is then written as
its graphics (panels, rules, the QR code) followed by one text object with
all its text.  :func:`write_pdf` makes the canvas, in ReportLab's invariant
mode, and returns the file's bytes.

Every size, font and colour of the page is named here, in one place.
"""

from __future__ import annotations

import functools
import hashlib
import io
import time
from collections.abc import Callable, Iterable
from typing import Any, Final

import attrs
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import mm
from reportlab.lib.utils import TimeStamp
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from .formatting import clean, one_line
from .qr import pdf_operators

__all__ = [
    "ACCENT",
    "AMOUNT_COLUMN",
    "BODY",
    "BODY_BOLD",
    "BODY_SIZE",
    "CAPTION",
    "CELL_PADDING",
    "CENTRE",
    "COLUMN_GAP",
    "COMMUNICATION",
    "EMPHASIS_SIZE",
    "FONT",
    "FONT_BOLD",
    "FONT_ITALIC",
    "FOOTER_BASELINE",
    "FOOTER_RULE",
    "FOOTER_SIZE",
    "FOOTER_STYLE",
    "FRAME_WIDTH",
    "FUZZ",
    "GAP",
    "HEADER_CELL",
    "HEADER_PADDING",
    "HEADING",
    "INK",
    "LABEL",
    "LEFT",
    "LEFT_ALIGN",
    "LINE_CELL_PADDING",
    "MARGIN_BOTTOM",
    "MARGIN_TOP",
    "MARGIN_X",
    "META_LABEL_COLUMN",
    "MUTED",
    "NOTE",
    "NUMBER_SIZE",
    "PAGE_COMPRESSION",
    "PAGE_SIZE",
    "PAGE_TOP",
    "PANEL",
    "PANEL_PADDING",
    "PAYMENT_GUTTER",
    "PAYMENT_PADDING",
    "QR_COLUMN",
    "QR_SIZE",
    "RIGHT",
    "RIGHT_ALIGN",
    "ROW_PADDING",
    "RULE",
    "SELLER_NAME",
    "SELLER_NAME_SIZE",
    "SMALL_SIZE",
    "TITLE",
    "TITLE_NUMBER",
    "TITLE_SIZE",
    "TOTAL",
    "TOTALS_LABEL_COLUMN",
    "TOTALS_PADDING",
    "Block",
    "Box",
    "Footer",
    "Pages",
    "Para",
    "Rule",
    "Style",
    "Text",
    "text_width",
    "write_pdf",
]

# -- Every size, font and colour of the page, in one place. -----------------
PAGE_SIZE: Final = A4
MARGIN_X: Final = 18 * mm
MARGIN_TOP: Final = 16 * mm
MARGIN_BOTTOM: Final = 20 * mm
FRAME_WIDTH: Final = PAGE_SIZE[0] - 2 * MARGIN_X
FONT: Final = "Helvetica"  # Standard font, WinAnsi: Latin-1 accents and "€".
FONT_BOLD: Final = "Helvetica-Bold"
FONT_ITALIC: Final = "Helvetica-Oblique"
BODY_SIZE: Final = 9.5
SMALL_SIZE: Final = 8
TITLE_SIZE: Final = 22
INK: Final = colors.HexColor("#1A1A1A")
MUTED: Final = colors.HexColor("#5F6368")
ACCENT: Final = colors.HexColor("#1F3A5F")
RULE: Final = colors.HexColor("#B8BEC6")
PANEL: Final = colors.HexColor("#F2F4F7")
AMOUNT_COLUMN: Final = 38 * mm
TOTALS_LABEL_COLUMN: Final = 45 * mm
META_LABEL_COLUMN: Final = 26 * mm
QR_SIZE: Final = 34 * mm  # ~0.7 mm modules: scannable from paper and screen.
QR_COLUMN: Final = QR_SIZE + 6 * mm
GAP: Final = 7 * mm  # Between blocks.
PAYMENT_GUTTER: Final = 3 * mm  # Between payment text and QR code, and after it.
CELL_PADDING: Final = 2.5 * mm  # Inside the line and totals tables.
PANEL_PADDING: Final = 4 * mm  # Inside the shaded panels.
ROW_PADDING: Final = 0.7 * mm  # Between label/value rows.
SELLER_NAME_SIZE: Final = 12.5
NUMBER_SIZE: Final = 12
EMPHASIS_SIZE: Final = 11  # Total and structured communication.
FOOTER_SIZE: Final = 7.5

COLUMN_GAP: Final = 6.0  # After a label or value column (ReportLab's default cell padding).
HEADER_PADDING: Final = 3.0  # Above the letterhead and the number column.
LINE_CELL_PADDING: Final = 2 * mm  # Above and below the cells of the line table.
TOTALS_PADDING: Final = 1 * mm  # Above and below a totals row.
PAYMENT_PADDING: Final = 3.5 * mm  # Above and below the payment panel's content.
FOOTER_RULE: Final = 16 * mm  # Height of the footer's rule above the page's foot.
FOOTER_BASELINE: Final = 12 * mm
PAGE_TOP: Final = PAGE_SIZE[1] - MARGIN_TOP
LEFT: Final = MARGIN_X
RIGHT: Final = MARGIN_X + FRAME_WIDTH
FUZZ: Final = 1e-6
# Content streams are written as they are: ReportLab's compression runs the
# stream through zlib *and* a pure-Python ASCII85 encoder, which costs more
# than the page's layout (issue 4 item 8).
PAGE_COMPRESSION: Final = 0


@attrs.frozen
class Style:
    """Font, size, line height and colour of a kind of text."""

    font: str
    size: float
    leading: float
    color: colors.Color


BODY: Final = Style(FONT, BODY_SIZE, BODY_SIZE * 1.35, INK)
BODY_BOLD: Final = attrs.evolve(BODY, font=FONT_BOLD)
LABEL: Final = attrs.evolve(BODY, color=MUTED)
HEADER_CELL: Final = attrs.evolve(BODY_BOLD, color=colors.white)
SELLER_NAME: Final = Style(FONT_BOLD, SELLER_NAME_SIZE, SELLER_NAME_SIZE * 1.3, ACCENT)
TITLE: Final = Style(FONT_BOLD, TITLE_SIZE, TITLE_SIZE * 1.15, ACCENT)
TITLE_NUMBER: Final = Style(FONT, NUMBER_SIZE, NUMBER_SIZE * 1.25, MUTED)
HEADING: Final = Style(FONT_BOLD, SMALL_SIZE, SMALL_SIZE * 1.4, MUTED)
TOTAL: Final = Style(FONT_BOLD, EMPHASIS_SIZE, EMPHASIS_SIZE * 1.35, INK)
NOTE: Final = Style(FONT_ITALIC, SMALL_SIZE + 0.5, (SMALL_SIZE + 0.5) * 1.4, MUTED)
CAPTION: Final = Style(FONT, SMALL_SIZE, SMALL_SIZE * 1.3, MUTED)
COMMUNICATION: Final = Style(FONT_BOLD, EMPHASIS_SIZE, EMPHASIS_SIZE * 1.3, INK)
FOOTER_STYLE: Final = Style(FONT, FOOTER_SIZE, FOOTER_SIZE * 1.2, MUTED)

LEFT_ALIGN: Final = 0
RIGHT_ALIGN: Final = 1
CENTRE: Final = 2


@functools.cache
def _font(name: str) -> Any:
    return pdfmetrics.getFont(name)


def text_width(text: str, style: Style) -> float:
    """The width of ``text`` on one line in ``style``, in points."""
    return _string_width(text, style.font, style.size)


@functools.lru_cache(maxsize=4096)  # Labels, names and amounts come back page after page.
def _string_width(text: str, font: str, size: float) -> float:
    width: float = _font(font).stringWidth(text, size)
    return width


class Para:
    """A paragraph wrapped to a width: its lines with their widths."""

    __slots__ = ("height", "lines", "style", "width")

    def __init__(self, text: str, style: Style, width: float) -> None:
        self.style = style
        self.width = width
        self.lines = _wrap(clean(text), style, width)
        self.height = len(self.lines) * style.leading


def _wrap(text: str, style: Style, width: float) -> list[tuple[str, float]]:
    """Lines of ``text`` that fit ``width``: broken at spaces, and a word
    longer than a line at the last character that fits."""
    total = text_width(text, style)
    if total <= width:
        return [(text, total)]
    space = text_width(" ", style)
    lines: list[tuple[str, float]] = []
    words: list[str] = []
    used = 0.0
    for word in text.split(" "):
        size = text_width(word, style)
        if words and used + space + size <= width:
            words.append(word)
            used += space + size
            continue
        if words:
            lines.append((" ".join(words), used))
        while size > width:
            head, word = _cut(word, style, width)
            lines.append((head, text_width(head, style)))
            size = text_width(word, style)
        words, used = [word], size
    lines.append((" ".join(words), used))
    return lines


def _cut(word: str, style: Style, width: float) -> tuple[str, str]:
    """``word`` cut after its longest head (one character at least) that fits."""
    low, high = 1, len(word) - 1  # The head that fits is at least low long.
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(word[:middle], style) <= width:
            low = middle
        else:
            high = middle - 1
    return word[:low], word[low:]


@attrs.frozen
class Box:
    """A filled (and maybe stroked) rectangle: ``top`` and ``height`` down the block."""

    top: float
    height: float
    x: float
    width: float
    fill: colors.Color
    stroke: colors.Color | None = None
    line_width: float = 0.0


@attrs.frozen
class Rule:
    """A horizontal line ``offset`` below the block's top edge."""

    offset: float
    x0: float
    x1: float
    line_width: float
    color: colors.Color


# A line of text: top of its line box below the block's top, line height,
# left x on the page, style and text.
Text = tuple[float, float, float, Style, str]


class Block:
    """Part of a page, laid out relative to its top edge."""

    __slots__ = ("boxes", "height", "keep_together", "qr", "rules", "texts")

    def __init__(self, *, keep_together: bool = False) -> None:
        self.height = 0.0
        self.texts: list[Text] = []
        self.boxes: list[Box] = []
        self.rules: list[Rule] = []
        self.qr: tuple[float, float, list[list[bool]]] | None = None  # top, x, modules
        self.keep_together = keep_together

    def put(self, para: Para, x: float, top: float, align: int = LEFT_ALIGN) -> float:
        """Draw ``para`` in its column, at ``x``, from ``top`` down; its height."""
        style = para.style
        leading = style.leading
        for text, text_width in para.lines:
            if align == RIGHT_ALIGN:
                left = x + para.width - text_width
            elif align == CENTRE:
                left = x + (para.width - text_width) / 2
            else:
                left = x
            self.texts.append((top, leading, left, style, text))
            top += leading
        return para.height

    def text(self, text: str, style: Style, x: float, width: float, top: float,
             align: int = LEFT_ALIGN) -> float:
        """Wrap ``text`` and draw it like :meth:`put`; its height."""
        return self.put(Para(text, style, width), x, top, align)

    def split(self, available: float) -> tuple[Block, Block] | None:
        """The block cut in two, the first part at most ``available`` high,
        between lines of text; None if no line fits."""
        cut = available
        moved = True
        while moved:  # Raise the cut above every line it would go through.
            moved = False
            for top, leading, *_ in self.texts:
                if top < cut - FUZZ and top + leading > cut + FUZZ:
                    cut, moved = top, True
        if self.qr is not None and self.qr[0] < cut < self.qr[0] + QR_SIZE:
            cut = self.qr[0]
        if cut <= FUZZ:
            return None
        head, tail = Block(), Block()
        head.height, tail.height = cut, self.height - cut
        for item in self.texts:
            if item[0] < cut - FUZZ:
                head.texts.append(item)
            else:
                tail.texts.append((item[0] - cut, *item[1:]))
        for box in self.boxes:
            if box.top < cut:
                head.boxes.append(attrs.evolve(box, height=min(box.height, cut - box.top)))
            if box.top + box.height > cut:
                top = max(box.top - cut, 0.0)
                tail.boxes.append(attrs.evolve(box, top=top,
                                               height=box.top + box.height - cut - top))
        for rule in self.rules:
            if rule.offset <= cut:
                head.rules.append(rule)
            else:
                tail.rules.append(attrs.evolve(rule, offset=rule.offset - cut))
        if self.qr is not None:
            if self.qr[0] < cut:
                head.qr = self.qr
            else:
                tail.qr = (self.qr[0] - cut, *self.qr[1:])
        return head, tail


#: What a page's footer draws: for a page number, its texts (offsets below
#: the page's foot) and rules (heights above it).
Footer = Callable[[int], tuple[list[Text], list[Rule]]]


class Pages:
    """Blocks stacked down the pages of a canvas, each page with its footer."""

    def __init__(self, canvas: Canvas,
                 footer: Footer) -> None:
        self.canvas = canvas
        self.footer = footer
        self.page = 0
        self._new_page()

    def _new_page(self) -> None:
        self.page += 1
        self.y = PAGE_TOP
        self.at_top = True
        self.texts: list[tuple[float, float, Style, str]] = []  # x, baseline, style, text
        footer_texts, footer_rules = self.footer(self.page)
        self.boxes: list[Box] = []
        self.rules = footer_rules
        self.qrs: list[tuple[float, float, list[list[bool]]]] = []
        self._place_texts(footer_texts, 0.0)  # relative to the page's foot

    def add(self, block: Block, space_before: float) -> None:
        """Place ``block`` under the previous one, ``space_before`` between them."""
        if not self.at_top:
            self.y -= space_before
        while True:
            available = self.y - MARGIN_BOTTOM
            if block.height <= available + FUZZ:
                self._place(block)
                return
            full_page = PAGE_TOP - MARGIN_BOTTOM
            if not self.at_top and (block.keep_together or block.height <= full_page):
                self.next_page()
                continue
            parts = block.split(available)
            if parts is None:
                if self.at_top:  # Nothing fits even on a whole page: cut through.
                    parts = block.split(block.height) or (block, Block())
                    self._place(parts[0])
                    return
                self.next_page()
                continue
            self._place(parts[0])
            self.next_page()
            block = parts[1]

    def _place(self, block: Block) -> None:
        top = self.y
        self._place_texts(block.texts, top)
        for box in block.boxes:
            self.boxes.append(attrs.evolve(box, top=top - box.top))  # now the box's top y
        for rule in block.rules:
            self.rules.append(attrs.evolve(rule, offset=top - rule.offset))  # now its y
        if block.qr is not None:
            qr_top, x, modules = block.qr
            self.qrs.append((x, top - qr_top - QR_SIZE, modules))
        self.y -= block.height
        self.at_top = False

    def _place_texts(self, texts: list[Text], top: float) -> None:
        for line_top, _, x, style, text in texts:
            self.texts.append((x, top - line_top - style.size, style, text))

    def next_page(self) -> None:
        self._draw()
        self.canvas.showPage()
        self._new_page()

    def finish(self) -> None:
        self._draw()
        self.canvas.showPage()

    def _draw(self) -> None:
        canvas = self.canvas
        for box in self.boxes:  # Panels first, then rules and the QR code over them.
            canvas.setFillColor(box.fill)
            if box.stroke is not None:
                canvas.setStrokeColor(box.stroke)
                canvas.setLineWidth(box.line_width)
            canvas.rect(box.x, box.top - box.height, box.width, box.height,
                        stroke=int(box.stroke is not None), fill=1)
        for rule in self.rules:
            canvas.setStrokeColor(rule.color)
            canvas.setLineWidth(rule.line_width)
            canvas.line(rule.x0, rule.offset, rule.x1, rule.offset)
        for x, y, modules in self.qrs:
            canvas.addLiteral(pdf_operators(modules, x, y, QR_SIZE))
        # All the text in one text object, written here rather than through
        # PDFTextObject (a third of the page's time): the font and the colour
        # are set when they change, each line is placed with Tm.
        code = ["BT"]
        font: tuple[str, float] | None = None
        color: colors.Color | None = None
        for x, y, style, line in self.texts:
            if (style.font, style.size) != font:
                font = style.font, style.size
                code.append(f"{self._font_name(style.font)} {fp_str(style.size)} Tf")
            if style.color is not color:
                color = style.color
                code.append(_fill_operator(color.red, color.green, color.blue))
            code.append(f"1 0 0 1 {x:.3f} {y:.3f} Tm {self._show(line, style)}")
        code.append("ET")
        canvas.addLiteral("\n".join(code))

    def _font_name(self, font: str) -> str:
        """The font's resource name on the page (``/F1``), registered on first use."""
        name: str = self.canvas._doc.getInternalFontName(font)  # type: ignore[attr-defined]
        return name

    def _show(self, line: str, style: Style) -> str:
        """The operators showing ``line`` in ``style``'s font."""
        font = _font(style.font)
        try:
            return f"({_pdf_string(line.encode(font.encName))}) Tj"
        except UnicodeEncodeError:
            pass
        # Characters outside the font's encoding: ReportLab's way, from the
        # Symbol and ZapfDingbats fonts or as its "not defined" character.
        size = fp_str(style.size)
        shown = [f"{self._font_name(used.fontName)} {size} Tf ({_pdf_string(raw)}) Tj"
                 for used, raw in pdfmetrics.unicode2T1(line, [font, *font.substitutionFonts])]
        shown.append(f"{self._font_name(style.font)} {size} Tf")
        return " ".join(shown)


#: PDF string escapes, as ReportLab's escapePDF: backslash, parentheses,
#: and octal for bytes outside printable ASCII.
_PDF_ESCAPES: Final = {
    **{c: f"\\{c:03o}" for c in (*range(32), *range(127, 256))},
    **{ord(c): "\\" + c for c in "\\()"},
}


def _pdf_string(raw: bytes) -> str:
    """The inside of a PDF literal string of ``raw``."""
    return raw.decode("latin-1").translate(_PDF_ESCAPES)


@functools.cache
def _fill_operator(red: float, green: float, blue: float) -> str:
    return f"{fp_str(red, green, blue)} rg"


def write_pdf(blocks: Iterable[tuple[Block, float]], footer: Footer, *, title: str,
              author: str, subject: str, lang: str) -> bytes:
    """The PDF of ``blocks`` stacked down A4 pages, each page with ``footer``.

    Args:
        blocks: each block with the space above it (none at a page's top).
        footer: what each page's footer draws, from its page number.
        title: the document's title in the PDF's metadata.
        author: the seller's name, put on one line.
        subject: the subject in the PDF's metadata.
        lang: the document's language as a BCP 47 tag (``nl-BE``).

    Returns:
        The PDF file: equal arguments give byte-identical files.
    """
    buffer = io.BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=PAGE_SIZE,
        # Invariant mode fixes the creation date (2000-01-01) and the document
        # ID, so the bytes depend on the arguments alone: re-rendering an
        # issued document writes an identical file.
        invariant=1,
        pageCompression=PAGE_COMPRESSION,
        lang=lang,
    )
    _pin_timestamp(canvas)
    canvas.setTitle(title)
    canvas.setAuthor(one_line(author))
    canvas.setSubject(subject)
    canvas.setCreator("mbp_billing")
    pages = Pages(canvas, footer)
    for block, space_before in blocks:
        pages.add(block, space_before)
    pages.finish()
    canvas.save()
    return buffer.getvalue()


#: ReportLab's invariant creation date (2000-01-01T00:00:00Z), as epoch seconds.
_INVARIANT_EPOCH: Final = 946684800.0


def _pin_timestamp(canvas: Canvas) -> None:
    """Fix the creation date and document ID whatever the environment says.

    ReportLab's invariant mode still honours ``SOURCE_DATE_EPOCH`` when the
    variable is set, which would make the bytes depend on the environment.
    This puts back the invariant timestamp and the ID signature derived from
    it (ReportLab internals: ``PDFDocument._timeStamp`` and ``.signature``,
    checked against ReportLab 5.1 by ``tests/test_render.py``).
    """
    doc = canvas._doc  # type: ignore[attr-defined]
    stamp = TimeStamp.__new__(TimeStamp)
    stamp.t = _INVARIANT_EPOCH
    stamp.lt = time.gmtime(_INVARIANT_EPOCH)
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"
    doc._timeStamp = stamp
    signature = hashlib.md5(usedforsecurity=False)
    signature.update(b"a reportlab document")
    signature.update(ascii(_INVARIANT_EPOCH).encode())
    doc.signature = signature

