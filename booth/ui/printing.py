"""Printing a participant's reference code on a card, on the printer set up on this laptop
(the officer's): straight to it, never through a dialog the public could use. With no
printer set up, the thank-you screen has no print button at all."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from booth import i18n
from booth.i18n import tr
from booth.ui.language import text_style
from booth.ui.text import draw_text, text_block

log = logging.getLogger(__name__)


class CodePrinter:
    """Prints reference-code cards to one printer: ``printer_name``, or into a PDF file
    (``pdf``, for checking the card without paper)."""

    def __init__(self, printer_name: str = "", pdf: Path | None = None) -> None:
        self.printer_name = printer_name
        self.pdf = pdf
        self.printed = 0

    @classmethod
    def system_default(cls) -> CodePrinter | None:
        """The laptop's default printer, as the officer set it up; None when there is none."""
        info = QPrinterInfo.defaultPrinter()
        if info.isNull() or not info.printerName():
            return None
        return cls(info.printerName())

    def print_code(self, code: str) -> bool:
        """Print a card with ``code`` (as shown, "K7M-4RH") and its words in the person's
        language (``booth.i18n``); True when it went to the printer. Never raises: a printer
        problem must not reach the participant."""
        words = text_style(i18n.current())
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if self.pdf is not None:
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(self.pdf))
        else:
            printer.setPrinterName(self.printer_name)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A6))
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        painter = QPainter()
        try:
            if not painter.begin(printer):
                log.warning("the printer %r would not start a page", self.printer_name)
                return False
            page = QRectF(painter.viewport())
            lines = (
                # Translators: the heading of the printed card with the reference code.
                (tr("Your reference code"), 0.08, False),
                (code, 0.22, True),
                # Translators: under the reference code on the printed card.
                (tr("If you change your mind, give this code to a member of staff or to the "
                    "council. Your answers will then be deleted."), 0.06, False),
            )
            top = page.height() * 0.08
            centred = int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap)
            for text, size, code_line in lines:
                # The code in Latin letters, left to right; the words in the language's font.
                font = QFont("DejaVu Sans Mono" if code_line else words.family)
                font.setPixelSize(max(8, int(page.height() * size)))
                font.setBold(code_line)
                direction = (Qt.LayoutDirection.LeftToRight if code_line
                             else words.direction)
                area = QRectF(page.width() * 0.06, top, page.width() * 0.88,
                              page.height() - top)
                painter.setFont(font)
                painter.setLayoutDirection(direction)
                used = painter.boundingRect(area, centred, text).height()
                if font.family() != "DejaVu Sans Mono":
                    used = max(used, text_block(text, font, area.width(),
                                                Qt.AlignmentFlag.AlignHCenter, direction).height)
                draw_text(painter, area, centred, text, font, direction)
                top += used + page.height() * 0.06
            painter.end()
        except Exception:
            log.exception("printing a reference code failed")
            if painter.isActive():
                painter.end()
            return False
        self.printed += 1
        log.info("a reference code card was printed")
        return True
