"""PDF debrief through Qt's own PDF writer (QPdfWriter + QTextDocument); no browser needed.

Qt is allowed here because this module is not part of ``trainer.core``; the HTML it
prints is built in core (:func:`trainer.core.scoring.html.debrief_html`).  Works
headless (``QT_QPA_PLATFORM=offscreen`` is set when no platform is chosen).
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from trainer.core.errors import ParameterError
from trainer.core.safe_write import atomic_file

__all__ = ["write_pdf", "write_pdf_safely"]


def _app():
    """The running Qt application, or a new one.  A QApplication (not just a QGuiApplication),
    so that widgets created later in the same process (the GUI, pytest-qt) still work."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(["vptrainer-report"])
    return app


_DATA_URI = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def _with_image_resources(doc, html: str) -> str:
    """Register the HTML's embedded PNGs as QImage resources and point the HTML at them.

    QTextDocument would otherwise decode data URIs into QPixmaps, which are only safe in
    the GUI thread; QImage resources let the PDF be written from a worker thread.
    """
    from PySide6.QtCore import QByteArray, QUrl
    from PySide6.QtGui import QImage, QTextDocument

    count = 0

    def swap(match):
        nonlocal count
        count += 1
        name = f"debrief-image-{count}.png"
        img = QImage.fromData(QByteArray(base64.b64decode(match.group(1))), "PNG")
        doc.addResource(QTextDocument.ImageResource, QUrl(name), img)
        return f'src="{name}"'

    return _DATA_URI.sub(swap, html)


#: a forced page break is dropped when the page before it would hold less than this fraction
STUB_PAGE_FRACTION = 0.3


def _drop_stub_page_breaks(doc, page_h: float) -> int:
    """Drop each forced page break that would leave a page almost empty; return how many.

    The debrief starts its metric table and timeline on new pages.  When the content before
    such a heading overflows its page by a few lines, the break leaves those lines alone on a
    nearly blank page.  For each heading with a forced break, the layout without the break
    says where the heading would fall; if that is in the top :data:`STUB_PAGE_FRACTION` of a
    page (the page before it is a stub), the heading follows the stub instead.
    """
    from PySide6.QtGui import QTextBlockFormat, QTextCursor, QTextFormat

    always = QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore
    dropped = 0
    block = doc.begin()
    while block.isValid():
        fmt = block.blockFormat()
        if block.blockNumber() > 0 and fmt.pageBreakPolicy() & always:
            cursor = QTextCursor(block)
            off = QTextBlockFormat(fmt)
            off.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_Auto)
            cursor.setBlockFormat(off)
            y = doc.documentLayout().blockBoundingRect(block).top()
            if (y % page_h) / page_h < STUB_PAGE_FRACTION and y >= page_h:
                dropped += 1
            else:
                cursor.setBlockFormat(fmt)
        block = block.next()
    return dropped


def write_pdf(html: str, path, title: str = "vptrainer debrief") -> Path:
    """Print ``html`` to an A4 PDF at ``path``; returns the path.

    Parameters
    ----------
    html : str
        The debrief HTML (images as data URIs).
    path : str or Path
        Output file.
    title : str
        PDF document title.
    """
    _app()
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPdfWriter, QTextDocument

    out = Path(path)
    writer = QPdfWriter(str(out))
    writer.setTitle(title)
    writer.setCreator("vptrainer")
    writer.setResolution(96)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.A4), QPageLayout.Portrait,
                                     QMarginsF(12, 12, 12, 12), QPageLayout.Millimeter))
    doc = QTextDocument()
    font = QFont("DejaVu Sans")
    font.setPointSizeF(8.5)
    doc.setDefaultFont(font)
    doc.setHtml(_with_image_resources(doc, html))
    rect = writer.pageLayout().paintRectPixels(writer.resolution())
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    _drop_stub_page_breaks(doc, float(rect.height()))
    doc.print_(writer)
    del writer                       # flushes and closes the file
    return out


def write_pdf_safely(html: str, dest, title: str = "vptrainer debrief", force: bool = False,
                     option: str = "--pdf") -> Path:
    """:func:`write_pdf` through a temporary file that must be a PDF before it replaces ``dest``.

    ``dest`` should have been checked with :func:`trainer.core.safe_write.check_output`.
    Raises :class:`~trainer.core.errors.ParameterError` if nothing (or not a PDF) was written;
    ``dest`` is then untouched.
    """
    def _is_pdf(p: Path) -> None:
        with open(p, "rb") as fh:
            if fh.read(5) != b"%PDF-":
                raise ParameterError(option, str(dest), "a PDF file", hint="the PDF writer failed; nothing was changed")

    with atomic_file(dest, force=force, option=option, validate=_is_pdf) as tmp:
        write_pdf(html, tmp, title=title)
    return Path(dest)
