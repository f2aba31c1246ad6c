"""Status icons and tints that read on light and dark palettes alike."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QWidget

STATUS_COLOR = {
    "pass": "#2e7d32",
    "warn": "#ef8f00",
    "fail": "#c62828",
    "error": "#8e24aa",
    "skipped": "#8a8a8a",
    "running": "#1e6fd9",
    "done": "#8a8a8a",
    "lost": "#c62828",
}
SEVERITY_COLOR = {"critical": "#c62828", "high": "#e65100", "medium": "#ef8f00", "low": "#607d8b"}


@cache
def status_icon(status: str, size: int = 16) -> QIcon:
    """A filled circle with a mark: pass ✓, warn !, fail ✗, error ?, skipped –, running ▶."""
    ratio = 2
    pm = QPixmap(size * ratio, size * ratio)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size * ratio
    color = QColor(STATUS_COLOR.get(status, "#8a8a8a"))
    p.setBrush(QBrush(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(QRectF(1, 1, s - 2, s - 2))
    pen = QPen(QColor("white"))
    pen.setWidthF(s * 0.12)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if status == "pass" or status == "done":
        p.drawPolyline([QPointF(s * 0.27, s * 0.52), QPointF(s * 0.44, s * 0.68), QPointF(s * 0.74, s * 0.34)])
    elif status in ("fail", "lost"):
        p.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68))
        p.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68))
    elif status == "warn":
        p.drawLine(QPointF(s * 0.5, s * 0.25), QPointF(s * 0.5, s * 0.56))
        p.drawPoint(QPointF(s * 0.5, s * 0.74))
    elif status == "skipped":
        p.drawLine(QPointF(s * 0.3, s * 0.5), QPointF(s * 0.7, s * 0.5))
    elif status == "running":
        p.setBrush(QBrush(QColor("white")))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawPolygon([QPointF(s * 0.38, s * 0.28), QPointF(s * 0.74, s * 0.5), QPointF(s * 0.38, s * 0.72)])
    else:  # error
        f = QFont()
        f.setBold(True)
        f.setPixelSize(int(s * 0.7))
        p.setFont(f)
        p.drawText(QRectF(0, 0, s, s), Qt.AlignmentFlag.AlignCenter, "?")
    p.end()
    pm.setDevicePixelRatio(ratio)
    return QIcon(pm)


@cache
def blank_icon(size: int = 16) -> QIcon:
    """A transparent icon: rows without a mark keep their text in line with the marked ones."""
    pm = QPixmap(size * 2, size * 2)
    pm.fill(Qt.GlobalColor.transparent)
    pm.setDevicePixelRatio(2)
    return QIcon(pm)


def tint(status: str) -> QBrush:
    """A translucent background for a row: visible on light and dark palettes."""
    c = QColor(STATUS_COLOR.get(status, "#8a8a8a"))
    c.setAlpha(55)
    return QBrush(c)


def is_dark() -> bool:
    app = QApplication.instance()
    if app is None:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def badge_css(color: str) -> str:
    return f"QLabel {{ background: {color}; color: white; border-radius: 4px; padding: 1px 6px; font-weight: bold; }}"


CONFIDENCE_COLOR = "#546e7a"
KIND_COLOR = {"automatic": "#1e6fd9", "manual": "#6d4c41", "escalation": "#8e24aa"}

# The findings view shows a card per finding, each with badges: with 40 findings, a style sheet per
# card and badge (or one on the view, which then styles every label in it) stalled the window for
# half a second (bench/event_loop_gap.py). These draw with the palette and a paint event instead.


#: A label with this property set becomes selectable by mouse when the mouse first enters its Card.
SELECT_ON_HOVER = "selectOnHover"


class Card(QFrame):
    """A panel with a thin border and a thick left bar in ``color`` (a finding's severity, a repair's result).

    Its labels marked ``SELECT_ON_HOVER`` become selectable by mouse when the mouse first enters the card:
    a selectable label costs Qt a text document laid out again on every layout pass, which with 40
    findings' cards made each pass three times as long. Before the mouse is over a card, nothing could
    select its text anyway.
    """

    def __init__(self, color: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.accent = color

    def enterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        for label in self.findChildren(QLabel):
            if label.property(SELECT_ON_HOVER):
                label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                label.setProperty(SELECT_ON_HOVER, None)
        super().enterEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        p.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(self.accent))
        p.drawRoundedRect(QRectF(0, 0, 5, self.height()), 2, 2)
        p.end()


def badge(text: str, color: str) -> QLabel:
    """A small bold label, white on ``color`` (a severity, a confidence, an action's kind)."""
    label = QLabel(text)
    label.setAutoFillBackground(True)
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor(color))
    pal.setColor(QPalette.ColorRole.WindowText, QColor("white"))
    label.setPalette(pal)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(6, 1, 6, 1)
    return label


def set_tone(label: QLabel, status: str) -> None:
    """Colour ``label``'s text as ``status`` (``warn``, ``fail``, ``pass``: STATUS_COLOR)."""
    pal = label.palette()
    pal.setColor(QPalette.ColorRole.WindowText, QColor(STATUS_COLOR[status]))
    label.setPalette(pal)
