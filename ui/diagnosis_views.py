"""The diagnosis on screen: the checklist, the findings with their actions, the repair confirmation,
and the panel that asks the person at the terminal to act.

All diagnosis texts are techapp's (bilingual :class:`~techapp.diagnosis.Text`);
the widgets only choose the language and lay them out.
"""

from __future__ import annotations

import html
import time
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from techapp.diagnosis.plan import plan_ids, plan_lines

from .i18n import lang
from .style import (
    CONFIDENCE_COLOR,
    KIND_COLOR,
    SELECT_ON_HOVER,
    SEVERITY_COLOR,
    STATUS_COLOR,
    Card,
    badge,
    set_tone,
    status_icon,
)
from .terminal_view import parameter_label
from .wording import gui_text

if TYPE_CHECKING:
    from techapp.diagnosis import Action, ActionOutcome, Diagnosis, Finding, PersonPrompt, StepProgress


@cache
def _texts():
    """:mod:`techapp.diagnosis.render` (its tables pull in the checks and the acquirer-profile models):
    loaded when a diagnosis is shown, not before the window's first paint (once: a card asks for it
    several times)."""
    from techapp.diagnosis import render

    return render


def fmt(value: Any, depth: int = 0, *, limit: int | None = 160) -> str:
    """A reading as one line: dates to the second, lists and dicts flattened, text longer than ``limit``
    shortened (None: never; the checklist wraps the whole observation). Keys are named and outcome ids
    put in words (:func:`ui.evidence.evidence_text`), never shown as ids."""
    from .evidence import evidence_text

    return evidence_text(value, depth, limit=limit)


class WrapDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's width: the whole observation, no hovering."""

    def __init__(self, view: QTreeWidget) -> None:
        super().__init__(view)
        self.view = view

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        base = super().sizeHint(option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = self.view.header().sectionSize(index.column())
        if index.column() == 0 and self.view.isFirstColumnSpanned(index.row(), index.parent()):
            width = self.view.viewport().width()
        if index.column() == 0:
            depth, parent = 0, index.parent()
            while parent.isValid():
                depth, parent = depth + 1, parent.parent()
            width -= self.view.indentation() * (depth + 1) + self.view.iconSize().width() + 8
        width = max(width - 10, 20)
        rect = opt.fontMetrics.boundingRect(QRect(0, 0, width, 100_000), int(Qt.TextFlag.TextWordWrap), opt.text)
        return QSize(base.width(), max(base.height(), rect.height() + 4))


# -- checklist ------------------------------------------------------------------------------
class ChecklistView(QTreeWidget):
    """Every check with its status icon; the evidence (observed, expected, source) on expand.

    While a diagnosis runs it lists the steps as they start.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checklist")
        self.setColumnCount(2)
        self.setUniformRowHeights(False)
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.header().setStretchLastSection(True)
        self.setColumnWidth(0, 250)
        self.setItemDelegate(WrapDelegate(self))
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.header().sectionResized.connect(lambda *_: self.scheduleDelayedItemsLayout())
        self.diagnosis: Diagnosis | None = None
        self.steps: list[StepProgress] = []
        self.running = False
        self.stale = False  # the link was lost: the rows are the last ones read
        self.retranslate()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale:
            self.stale = stale
            self._render()

    def start(self) -> None:
        self.running = True
        self.steps = []
        self._render()

    def step(self, p: StepProgress) -> None:
        if self.steps and self.steps[-1].step == p.step:
            self.steps[-1] = p
        else:
            self.steps.append(p)
        self._render()

    def show_diagnosis(self, d: Diagnosis | None) -> None:
        self.running = False
        self.diagnosis = d
        self._render()

    def _render(self) -> None:
        language = lang()
        self.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        if self.running:
            for i, p in enumerate(self.steps):
                last = i == len(self.steps) - 1
                detail = f"  —  {p.detail}" if p.detail and last else ""
                if last and self.stale:
                    detail = "  —  " + self.tr("link lost")
                item = QTreeWidgetItem([f"{p.index}/{p.total}  {p.title(language)}{detail}"])
                item.setIcon(0, status_icon(("fail" if self.stale else "running") if last else "done"))
                if last:
                    item.setFont(0, bold)
                self.addTopLevelItem(item)
                item.setFirstColumnSpanned(True)
            return
        d = self.diagnosis
        if d is None:
            empty = QTreeWidgetItem([self.tr("Connect to a terminal, then press Diagnose (F5).")])
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addTopLevelItem(empty)
            empty.setFirstColumnSpanned(True)
            return
        if self.stale:
            lost = QTreeWidgetItem(
                [self.tr("Link lost: these results are from before the link was lost; reconnect and diagnose again.")]
            )
            lost.setIcon(0, status_icon("fail"))
            lost.setForeground(0, _color("fail"))
            lost.setFlags(Qt.ItemFlag.ItemIsEnabled)
            lost.setData(0, Qt.ItemDataRole.UserRole, "link-lost")
            self.addTopLevelItem(lost)
            lost.setFirstColumnSpanned(True)
        groups: dict[str, QTreeWidgetItem] = {}
        worst_order = ["fail", "error", "warn", "pass", "skipped"]  # a group is "skipped" only when all are
        for c in d.checks:
            head = groups.get(c.group)
            if head is None:
                title = _texts().GROUPS.get(c.group)
                head = QTreeWidgetItem([title(language) if title else c.group])
                head.setFont(0, bold)
                head.setData(0, Qt.ItemDataRole.UserRole, "skipped")
                groups[c.group] = head
                self.addTopLevelItem(head)
            item = QTreeWidgetItem([c.title(language), gui_text(c.summary, language)])
            item.setIcon(0, status_icon(c.status))
            item.setData(0, Qt.ItemDataRole.UserRole, c.id)
            item.setToolTip(0, c.title(language))
            item.setToolTip(1, gui_text(c.summary, language))
            head.addChild(item)
            if c.status in ("fail", "error", "warn"):
                item.setForeground(1, _color(c.status))
            # the evidence, on expand
            for label, value in (
                (self.tr("Observed"), c.observed),
                (self.tr("Expected"), c.expected),
            ):
                if value:
                    item.addChild(QTreeWidgetItem([label, fmt(value, limit=None)]))
            if c.compared_with:
                item.addChild(
                    QTreeWidgetItem([self.tr("Compared with"), _texts().source_text(c.compared_with, language)])
                )
            if c.duration_ms:
                item.addChild(
                    QTreeWidgetItem([self.tr("Time taken"), self.tr("%1 ms").replace("%1", str(c.duration_ms))])
                )
            for child in range(item.childCount()):
                item.child(child).setToolTip(1, item.child(child).text(1))
            worst = head.data(0, Qt.ItemDataRole.UserRole)
            if worst_order.index(c.status) < worst_order.index(worst):
                head.setData(0, Qt.ItemDataRole.UserRole, c.status)
        for head in groups.values():
            status = head.data(0, Qt.ItemDataRole.UserRole)
            head.setIcon(0, status_icon(status))
            counts = {}
            for i in range(head.childCount()):
                s = next(c.status for c in d.checks if c.id == head.child(i).data(0, Qt.ItemDataRole.UserRole))
                counts[s] = counts.get(s, 0) + 1
            head.setText(1, self._counts(counts))
            head.setExpanded(status in ("fail", "error", "warn") or len(groups) <= 3)

    def _counts(self, counts: dict[str, int]) -> str:
        names = {
            "pass": self.tr("%1 passed"),
            "warn": self.tr("%1 warnings"),
            "fail": self.tr("%1 failed"),
            "error": self.tr("%1 errors"),
            "skipped": self.tr("%1 skipped"),
        }
        one = {"warn": self.tr("1 warning"), "error": self.tr("1 error")}
        return self.tr(", ").join(
            one[s] if n == 1 and s in one else names[s].replace("%1", str(n)) for s, n in counts.items() if n
        )

    def item_for(self, check_id: str) -> QTreeWidgetItem | None:
        for i in range(self.topLevelItemCount()):
            head = self.topLevelItem(i)
            for j in range(head.childCount()):
                if head.child(j).data(0, Qt.ItemDataRole.UserRole) == check_id:
                    return head.child(j)
        return None

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setHeaderLabels([self.tr("Check"), self.tr("Result")])
        self._render()


def _color(status: str):
    from PySide6.QtGui import QBrush, QColor

    return QBrush(QColor(STATUS_COLOR[status]))


def _fit_height(table: QTableWidget) -> None:
    """A small table shown whole: no scroll bar, as tall as its rows (measured, any font)."""
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.resizeRowsToContents()
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(table.horizontalHeader().sizeHint().height() + rows + 2 * table.frameWidth() + 2)


# -- findings ------------------------------------------------------------------------------
def _label(text: str, *, bold: bool = False, wrap: bool = True, selectable: bool | str = True) -> QLabel:
    """A plain-text label; ``selectable="hover"``: selectable once the mouse is over its card (ui/style.Card),
    as a selectable label costs Qt a text document to lay out again on every layout pass."""
    lab = QLabel(text)
    lab.setWordWrap(wrap)
    lab.setTextFormat(Qt.TextFormat.PlainText)
    if selectable == "hover":
        lab.setProperty(SELECT_ON_HOVER, True)
    elif selectable:
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if bold:
        f = lab.font()
        f.setBold(True)
        lab.setFont(f)
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    # as tall as the text at the width it gets (setSizePolicy would drop the flag setWordWrap set; a style
    # sheet's polish used to set it back, by chance)
    policy.setHeightForWidth(wrap)
    lab.setSizePolicy(policy)
    return lab


def _card_label(text: str, **options) -> QLabel:
    """A label on a card: selectable once the mouse is over the card, unless told otherwise."""
    if options.get("selectable", True) is True:
        options["selectable"] = "hover"
    return _label(text, **options)


class FindingsView(QScrollArea):
    """The findings, most important first, each with its cause, confidence, evidence and actions;
    after a repair, what was done with the checks before and after."""

    actionRequested = Signal(str)  # automatic action id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findingsView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.diagnosis: Diagnosis | None = None
        self.running = False
        self.enabled_actions = True
        self.known_actions: dict[str, Action] = {}
        self.known_findings: dict[str, Finding] = {}
        self.outcomes: list[ActionOutcome] = []  # the repairs since the diagnosis, oldest first
        self.buttons: dict[str, QPushButton] = {}
        #: steps the window's options switched off for the run shown -> the option's label
        self.switched_off: dict[str, str] = {}
        # ``hook(action, row, copy_button)`` for an escalation's button row (ui/evidence_bundle.py)
        self.escalation_hook = None
        # findings past the first CARDS_AT_ONCE: (number, finding), added a batch per event-loop turn
        self._pending: list[tuple[int, Finding]] = []
        self._cards: QVBoxLayout | None = None
        # a timer of a few ms, not a zero one (QTimer.singleShot(0) is a posted call, which Qt runs in the same
        # pass as the one before it; a zero QTimer starves the rest too): the window paints between batches
        self._card_timer = QTimer(self)
        self._card_timer.setInterval(5)
        self._card_timer.timeout.connect(self._more_cards)
        self._language = ""
        self._render()

    def show_diagnosis(self, d: Diagnosis | None, *, after_repair: bool = False) -> None:
        """Show ``d``; ``after_repair``: it is the re-check after "Apply fix", and the repairs shown so far stay.

        A repair runs one action (``Diagnoser.repair(only={id})``): its outcome is added, unless the
        technician declined the confirmation (nothing was done, nothing to show).
        """
        self.running = False
        self.diagnosis = d
        if not after_repair:
            self.outcomes = []
        if d is not None:
            for f in d.findings:
                self.known_findings[f.id] = f
                for a in f.actions:
                    self.known_actions[a.id] = a
            for o in d.actions_taken:
                if o.result != "declined" and not any(o is seen for seen in self.outcomes):
                    self.outcomes.append(o)
        self._render()

    def start(self) -> None:
        self.running = True
        self.outcomes = []
        self._render()

    def first_action(self) -> str | None:
        """The first automatic action of the repair plan (dependency order, then rank) that is not blocked (F6)."""
        d = self.diagnosis
        # the actions the cards have a button for (those still to be built included), in card order
        findings = [] if d is None or self.running else d.findings
        shown = [a.id for f in findings for a in f.actions if a.kind == "automatic"]
        planned = plan_ids(d.findings) if d is not None else []
        for aid in [*(a for a in planned if a in shown), *shown]:
            action = self.known_actions.get(aid)
            if action is not None and action.blocked is None:
                return aid
        return None

    def set_actions_enabled(self, on: bool) -> None:
        self.enabled_actions = on
        for aid, b in self.buttons.items():
            action = self.known_actions.get(aid)
            b.setEnabled(on and (action is None or action.blocked is None))

    # Cards built at once when a result is shown; the rest follow, as many per turn of the event loop, so
    # that 40 findings never stall the window (bench/event_loop_gap.py). Tab order and buttons follow them.
    CARDS_AT_ONCE = 4

    def _more_cards(self) -> None:
        if not self._pending or self._cards is None:
            self._card_timer.stop()
            return
        batch, self._pending = self._pending[: self.CARDS_AT_ONCE], self._pending[self.CARDS_AT_ONCE :]
        at = self._cards.indexOf(self._cards.parentWidget().findChild(QLabel, "cardsEnd"))
        for n, f in batch:
            self._cards.insertWidget(at, self._finding_card(n, f, self._language))
            at += 1
        self._buttons_ready()
        if not self._pending:
            self._card_timer.stop()

    def _buttons_ready(self) -> None:
        self.set_actions_enabled(self.enabled_actions)
        # Tab goes from the scroll area through the cards' buttons, in reading order
        body = self.widget()
        previous: QWidget = self
        for w in body.findChildren(QPushButton) if body is not None else []:
            self.setTabOrder(previous, w)
            previous = w

    def _render(self) -> None:
        language = lang()
        self._language = language
        t = lambda x: gui_text(x, language)  # noqa: E731
        self.buttons = {}
        self._pending = []
        body = QWidget()
        body.setObjectName("findingsBody")
        # as tall as its text at the width it has (heightForWidth), not as tall as at its narrowest:
        # else the scroll area shows a scroll bar when everything fits
        body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        v = QVBoxLayout(body)
        v.setContentsMargins(8, 8, 8, 8)
        v.setSpacing(10)
        d = self.diagnosis
        if self.running:
            v.addWidget(_label(self.tr("Diagnosis running: the findings appear when every step has run.")))
        elif d is None:
            v.addWidget(_label(self.tr("No diagnosis yet.")))
        else:
            if d.could_not_run is not None:
                warn = _label(self.tr("The diagnosis could not run in full: ") + t(d.could_not_run))
                warn.setObjectName("incompleteNote")
                warn.setStyleSheet(f"color: {STATUS_COLOR['fail']};")
                v.addWidget(warn)
            if d.cancelled:
                v.addWidget(_label(self.tr("Cancelled: the checks after the cancel did not run.")))
            for o in self.outcomes:
                v.addWidget(self._outcome_card(o, language))
            if d.findings:
                n = len(d.findings)
                many = self.tr("%1 findings, most important first").replace("%1", str(n))
                head = _label(self.tr("1 finding") if n == 1 else many, bold=True)
                v.addWidget(head)
                numbered = list(enumerate(d.findings, start=1))
                for n, f in numbered[: self.CARDS_AT_ONCE]:
                    v.addWidget(self._finding_card(n, f, language))
                self._pending = numbered[self.CARDS_AT_ONCE :]
                end = QLabel()  # where the cards still to come go (hidden)
                end.setObjectName("cardsEnd")
                end.hide()
                v.addWidget(end)
                if planned := plan_lines(d.findings, language):  # issue 17: the repairs' dependency order
                    order = _label("\n".join(planned))
                    order.setObjectName("repairOrder")
                    v.addWidget(order)
            elif d.could_not_run is None and not d.cancelled and d.outcome == "incomplete":
                # not everything was tested: a neutral amber verdict naming what, never a green one
                head = _label(self.verdict_text(d), bold=True)
                head.setObjectName("incompleteVerdict")
                head.setStyleSheet(f"color: {STATUS_COLOR['warn']};")
                v.addWidget(head)
                lines = []
                for u in d.untested:
                    reason, how = self._untested_words(u, language)
                    lines.append(
                        self.tr("Not tested: %1 (%2). %3")
                        .replace("%1", t(u.title))
                        .replace("%2", reason)
                        .replace("%3", how)
                    )
                untested = _label("\n".join(lines))
                untested.setObjectName("untestedList")
                v.addWidget(untested)
            elif d.could_not_run is None and not d.cancelled:
                ok = _label(self.tr("No findings: every check that ran passed."), bold=True)
                ok.setObjectName("noFindings")
                ok.setStyleSheet(f"color: {STATUS_COLOR['pass']};")
                v.addWidget(ok)
        v.addStretch(1)
        self.setWidget(body)
        self._cards = v
        self._buttons_ready()
        if self._pending:
            self._card_timer.start()

    def verdict_text(self, d: Diagnosis) -> str:
        """The window's one-line verdict of an incomplete run: what was not tested, by name."""
        language = lang()
        names = self.tr(", ").join(u.title(language) for u in d.untested)
        return self.tr("Incomplete: no fault found in what ran, but not tested: %1.").replace("%1", names)

    def _untested_words(self, u, language: str) -> tuple[str, str]:
        """Why a test did not run and how to run it, in the window's words (what to click, not a command)."""
        option = self.switched_off.get(u.step)
        if option:
            return (
                self.tr("switched off in the Diagnosis box"),
                self.tr("Tick “%1” and press Diagnose again.").replace("%1", option),
            )
        how = gui_text(u.how, language)
        if "techapp" in how or "--" in how:  # the command line's advice: not for the window
            how = self.tr("Press Diagnose again and let it finish.")
        elif language != "zh" and how:  # a sentence of its own after "(reason)."
            how = how[0].upper() + how[1:] + ("" if how.endswith(".") else ".")
        elif how and not how.endswith("。"):
            how += "。"
        return gui_text(u.reason, language), how

    def _card(self, color: str) -> tuple[QFrame, QVBoxLayout]:
        card = Card(color)  # drawn, not styled: a style sheet per card stalls the window (ui/style.py)
        lay = QVBoxLayout(card)
        lay.setContentsMargins(12, 8, 10, 10)
        lay.setSpacing(6)
        return card, lay

    def _finding_card(self, n: int, f: Finding, language: str) -> QFrame:
        t = lambda x: gui_text(x, language)  # noqa: E731
        card, lay = self._card(SEVERITY_COLOR[f.severity])
        card.setProperty("finding", f.id)
        title = _card_label(f"{n}. {t(f.title)}", bold=True)
        title.setObjectName(f"finding-{f.id}")
        big = title.font()
        big.setPointSizeF(big.pointSizeF() * 1.15)
        title.setFont(big)
        lay.addWidget(title)
        top = QHBoxLayout()
        sev = badge(t(_texts().SEVERITY[f.severity]), SEVERITY_COLOR[f.severity])
        sev.setToolTip(self.tr("Severity"))
        conf = badge(self.tr("Confidence: %1").replace("%1", t(_texts().CONFIDENCE[f.confidence])), CONFIDENCE_COLOR)
        top.addWidget(sev)
        top.addWidget(conf)
        top.addStretch(1)
        lay.addLayout(top)
        lay.addWidget(_card_label(self.tr("Cause: ") + t(f.cause)))
        if f.evidence:
            lay.addWidget(_card_label(self.tr("Evidence:"), bold=True, wrap=False, selectable=False))
            lay.addWidget(_card_label("\n".join(f"• {t(e)}" for e in f.evidence)))
        if f.procedure:
            lay.addWidget(_card_label(self.tr("Decision steps:"), bold=True, wrap=False, selectable=False))
            lay.addWidget(_card_label("\n".join(t(p) for p in f.procedure)))
        if f.actions:
            lay.addWidget(_card_label(self.tr("What to do:"), bold=True, wrap=False, selectable=False))
            for a in f.actions:
                lay.addWidget(self._action_box(a, language))
        return card

    def _action_box(self, a: Action, language: str) -> QWidget:
        t = lambda x: gui_text(x, language)  # noqa: E731
        box = QFrame()
        box.setObjectName(f"action-{a.id}")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(12, 2, 0, 2)
        head = QHBoxLayout()
        kind = badge(t(_texts().KIND[a.kind]), KIND_COLOR[a.kind])
        head.addWidget(kind)
        head.addStretch(1)
        lay.addLayout(head)
        lay.addWidget(_card_label(t(a.title), bold=True))
        if a.changes:
            changes = _card_label(
                "\n".join(f"{parameter_label(name)}: {fmt(b)} → {fmt(c)}" for name, (b, c) in a.changes.items())
            )
            changes.setObjectName(f"changes-{a.id}")
            changes.setToolTip(", ".join(a.changes))
            lay.addWidget(changes)
        if a.then_sign_on:
            lay.addWidget(_card_label(self.tr("Then the terminal signs on (签到) to prove the fix."), selectable=False))
        if a.steps:
            lay.addWidget(_card_label("\n".join(f"{i}. {t(s)}" for i, s in enumerate(a.steps, start=1))))
        if a.blocked is not None:
            blocked = _card_label(self.tr("Cannot be done now: ") + t(a.blocked))
            set_tone(blocked, "warn")
            lay.addWidget(blocked)
        if a.text is not None:
            who = self.tr("Text to send to %1:").replace("%1", a.recipient) if a.recipient else self.tr("Text to send:")
            lay.addWidget(_card_label(who))
            text = QPlainTextEdit(t(a.text))
            text.setReadOnly(True)
            text.setObjectName(f"escalation-{a.id}")
            text.setMaximumHeight(120)
            lay.addWidget(text)
            copy = QPushButton(self.tr("Copy text"))
            copy.setObjectName(f"copy-{a.id}")
            escalation = t(a.text)
            copy.clicked.connect(lambda _=False, s=escalation: QGuiApplication.clipboard().setText(s))
            row = QHBoxLayout()
            row.addWidget(copy)
            if self.escalation_hook is not None:  # Copy escalation text, Save evidence bundle...
                self.escalation_hook(a, row, copy)
            row.addStretch(1)
            lay.addLayout(row)
        if a.verify is not None:
            lay.addWidget(_card_label(self.tr("Afterwards check: ") + t(a.verify)))
        if a.kind == "automatic" and getattr(a, "after_manual", False):
            lay.addWidget(_card_label(self.tr("Do the manual steps first, then run this.")))
        if a.kind == "automatic":
            button = QPushButton(
                self.tr("Print test page...")
                if a.operation == "print-test-page"
                else self.tr("Sign on...")
                if a.operation == "sign-on"
                else self.tr("Settle...")
                if a.operation == "settle"
                else self.tr("Apply fix...")
            )
            button.setObjectName(f"apply-{a.id}")
            bold = button.font()
            bold.setBold(True)
            button.setFont(bold)
            button.setMinimumWidth(140)
            button.setToolTip(
                self.tr("Asks first; nothing is written to the terminal")
                if not writes(a)
                else self.tr("Shows exactly what will change before anything is written (F6: the first fix)")
            )
            button.clicked.connect(lambda _=False, aid=a.id: self.actionRequested.emit(aid))
            self.buttons[a.id] = button
            row = QHBoxLayout()
            row.addWidget(button)
            row.addStretch(1)
            lay.addLayout(row)
        return box

    def _outcome_card(self, o: ActionOutcome, language: str) -> QFrame:
        t = lambda x: gui_text(x, language)  # noqa: E731
        good = o.result == "done" and (o.sign_on is None or o.sign_on.get("outcome") == "ok")
        card, lay = self._card(STATUS_COLOR["pass"] if good else STATUS_COLOR["fail"])
        card.setObjectName("card")
        card.setProperty("outcome", o.action)
        action = self.known_actions.get(o.action)
        finding = self.known_findings.get(o.finding)
        title = t(action.title) if action else o.action
        repair = action is None or writes(action)
        head = _card_label(self.tr("Repair: %1").replace("%1", title) if repair else title, bold=True)
        head.setObjectName(f"outcome-{o.action}")
        lay.addWidget(head)
        if finding is not None:
            lay.addWidget(_card_label(self.tr("For: %1").replace("%1", t(finding.title))))
        lay.addWidget(
            _card_label(self.tr("%1: %2").replace("%1", t(_texts().RESULT[o.result])).replace("%2", t(o.message)))
        )
        if o.written:
            rows = []
            for name, value in o.written.items():
                before = action.changes.get(name, ("?", None))[0] if action else "?"
                back = o.read_back.get(name, "-")
                rows.append(
                    self.tr("%1: %2 → %3 (read back %4)")
                    .replace("%1", parameter_label(name))
                    .replace("%2", fmt(before))
                    .replace("%3", fmt(value))
                    .replace("%4", fmt(back))
                )
            lay.addWidget(_card_label("\n".join(rows)))
        if o.sign_on:
            code = o.sign_on.get("response_code") or o.sign_on.get("outcome")
            lay.addWidget(
                _card_label(
                    self.tr("Sign-on (签到) afterwards: %1 from %2")
                    .replace("%1", str(code))
                    .replace("%2", str(o.sign_on.get("host")))
                )
            )
        if o.backup_path:
            lay.addWidget(_card_label(self.tr("Backup: %1").replace("%1", o.backup_path)))
        if o.before:
            table = QTableWidget(len(o.before), 3)
            table.setObjectName(f"beforeAfter-{o.action}")
            table.setHorizontalHeaderLabels([self.tr("Check"), self.tr("Before"), self.tr("After")])
            table.verticalHeader().setVisible(False)
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            names = {c.id: c.title(language) for c in (self.diagnosis.checks if self.diagnosis else [])}
            statuses = self._status_names()
            for row, (cid, before) in enumerate(o.before.items()):
                after = o.after.get(cid, "skipped")
                table.setItem(row, 0, QTableWidgetItem(names.get(cid, cid)))
                b = QTableWidgetItem(status_icon(before), statuses[before])
                a = QTableWidgetItem(status_icon(after), statuses[after])
                table.setItem(row, 1, b)
                table.setItem(row, 2, a)
            table.resizeColumnsToContents()
            table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
            _fit_height(table)
            lay.addWidget(table)
        return card

    def _status_names(self) -> dict[str, str]:
        return {
            "pass": self.tr("passed"),
            "warn": self.tr("warning"),
            "fail": self.tr("failed"),
            "skipped": self.tr("skipped"),
            "error": self.tr("error"),
        }

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._render()
        super().changeEvent(event)


# -- the repair confirmation ------------------------------------------------------------------
#: Operations that change what the terminal holds (parameters, clock, working keys); the others
#: (a test page) only make the terminal do something and are neither worded as writes nor called repairs.
WRITES = ("write-parameters", "sync-clock", "sign-on", "settle")


def writes(action: Action) -> bool:
    return action.operation in WRITES or bool(action.changes)


def safe_buttons(cancel: QPushButton, *others: QPushButton) -> None:
    """Enter and Space on a just-opened question never do the risky thing: no button takes Enter by
    being focused (auto-default off on every one), Cancel is the default and has the focus."""
    for b in (cancel, *others):
        b.setAutoDefault(False)
        b.setDefault(False)
    cancel.setDefault(True)
    cancel.setFocus(Qt.FocusReason.OtherFocusReason)


class RepairDialog(QDialog):
    """Exactly what will change, before anything is written.

    ``facts`` (from the worker, read just before asking): for the clock, ``terminal_time`` (the
    terminal's clock), ``laptop_time`` and ``read_at`` (``time.monotonic()`` then) and
    ``clock_source`` (:class:`techapp.laptopclock.ClockSource`); both times tick on while the
    dialog is open, as the laptop's time when Apply is pressed is the one copied.
    """

    def __init__(
        self, action: Action, finding: Finding, parent: QWidget | None = None, facts: dict | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("repairDialog")
        self.action = action
        self.finding = finding
        self.facts = dict(facts or {})
        language = lang()
        t = lambda x: gui_text(x, language)  # noqa: E731
        op = action.operation
        self.setWindowTitle(
            self.tr("Print a test page")
            if op == "print-test-page"
            else self.tr("Confirm sign-on")
            if op == "sign-on"
            else self.tr("Confirm settlement")
            if op == "settle"
            else self.tr("Confirm repair")
        )
        self.setFixedWidth(600)
        lay = QVBoxLayout(self)
        lay.setSpacing(10)
        heads = {
            "sync-clock": self.tr("This sets the terminal's clock. Check the times before you apply it."),
            "sign-on": self.tr(
                "The terminal signs on (签到) to its host and receives new working keys; no parameter is changed."
            ),
            "print-test-page": self.tr("The terminal prints a test page. Nothing is written to the terminal."),
            "settle": self.tr(
                "The terminal settles its batch (结算) with its host: the day's unsettled sales go to the acquirer "
                "for payment and the batch is closed. No parameter is changed; it cannot be undone."
            ),
        }
        head = _label(
            heads.get(op, self.tr("This writes to the terminal. Check the change before you apply it.")), bold=True
        )
        head.setObjectName("confirmHead")
        if writes(action):
            head.setStyleSheet(f"color: {STATUS_COLOR['warn']};")
        lay.addWidget(head)
        lay.addWidget(_label(t(action.title), bold=True))
        lay.addWidget(_label(self.tr("Finding: %1").replace("%1", t(finding.title))))
        rows = list(action.changes.items())
        if op == "sync-clock":
            rows = [("clock", (self.facts.get("terminal_time"), self.facts.get("laptop_time")))]
        if op == "settle" and self.facts.get("unsettled") is not None:
            rows = [("unsettled", (self.facts["unsettled"], 0))]
        self.table = QTableWidget(len(rows), 3)
        self.table.setObjectName("diffTable")
        self.table.setHorizontalHeaderLabels([self.tr("Parameter"), self.tr("Now on the terminal"), self.tr("After")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for row, (name, (before, after)) in enumerate(rows):
            label = {"clock": self.tr("Clock"), "unsettled": self.tr("Unsettled transactions")}.get(
                name, parameter_label(name)
            )
            first = QTableWidgetItem(label)
            first.setData(Qt.ItemDataRole.UserRole, name)
            first.setToolTip(self.tr("Name on the terminal: %1").replace("%1", name))
            self.table.setItem(row, 0, first)
            # the label, and the terminal's own name of it in small print
            if label != name and name not in ("clock", "unsettled"):
                self.table.setCellWidget(row, 0, self._name_cell(label, name, first.toolTip()))
            b = QTableWidgetItem(fmt(before) if before is not None or name != "clock" else self.tr("could not be read"))
            a = QTableWidgetItem(fmt(after))
            b.setFont(mono)
            a.setFont(mono)
            b.setForeground(_color("fail"))
            a.setForeground(_color("pass"))
            self.table.setItem(row, 1, b)
            self.table.setItem(row, 2, a)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        if rows:
            _fit_height(self.table)
            lay.addWidget(self.table)
        else:
            self.table.hide()
        notes = []
        self.clock_note: QLabel | None = None
        if op == "sync-clock":
            notes.append(self.tr("The laptop's time at the moment you press Apply is copied to the terminal."))
        if op == "write-parameters":
            notes.append(
                self.tr(
                    "The current parameters are saved to a backup file first; after writing, the values are read back and the backup is restored if they differ."  # noqa: E501
                )
            )
        if action.then_sign_on:
            notes.append(
                self.tr("Then the terminal signs on (签到) to prove the fix; the host gives it new working keys.")
            )
        for n in notes:
            lay.addWidget(_label(n))
        if op == "sync-clock":
            self.clock_note = _label(self._source_text())
            self.clock_note.setObjectName("clockSource")
            if getattr(self.facts.get("clock_source"), "synced", None) is not True:
                self.clock_note.setStyleSheet(f"color: {STATUS_COLOR['warn']};")
            lay.addWidget(self.clock_note)
        lay.addStretch(1)
        buttons = QDialogButtonBox()
        apply_text = {
            "print-test-page": self.tr("&Print"),
            "sign-on": self.tr("&Sign on"),
            "settle": self.tr("&Settle"),
        }.get(op, self.tr("&Apply"))
        self.apply = buttons.addButton(apply_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply.setObjectName("applyButton")
        self.cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel.setObjectName("cancelButton")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        safe_buttons(self.cancel, self.apply)  # Enter or Space on a just-opened confirmation writes nothing
        # wrapped labels get their height for the width they really have (no gaps between them)
        inner = self.width() - lay.contentsMargins().left() - lay.contentsMargins().right()
        for label in self.findChildren(QLabel):
            if label.parent() is self:
                label.setMinimumWidth(inner)
        self.adjustSize()
        self.ticker = QTimer(self)
        self.ticker.setObjectName("confirmClock")
        self.ticker.setInterval(1000)
        self.ticker.timeout.connect(self._tick)
        self.finished.connect(self.ticker.stop)
        if op == "sync-clock":
            self.ticker.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.cancel.setFocus(Qt.FocusReason.OtherFocusReason)  # Qt focuses the first button otherwise

    def _source_text(self) -> str:
        synced = getattr(self.facts.get("clock_source"), "synced", None)
        if synced is True:
            return self.tr("The laptop's clock is synchronised over the network (NTP).")
        if synced is False:
            return self.tr("The laptop's clock is not synchronised over the network: check its time first.")
        return self.tr("Whether the laptop's clock is synchronised over the network is unknown: check its time first.")

    def _tick(self) -> None:
        """Both clocks as they are now: the terminal's as read plus the time since, the laptop's own."""
        read_at = self.facts.get("read_at")
        terminal = self.facts.get("terminal_time")
        elapsed = timedelta(seconds=round(time.monotonic() - read_at)) if read_at is not None else timedelta()
        if terminal is not None:
            self.table.item(0, 1).setText(fmt(terminal + elapsed))
        self.table.item(0, 2).setText(fmt(datetime.now().replace(microsecond=0)))

    def _name_cell(self, label: str, name: str, tip: str) -> QLabel:
        grey = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        cell = QLabel(f'{html.escape(label)}<br><small style="color: {grey};">{html.escape(name)}</small>')
        cell.setObjectName(f"parameter-{name}")
        cell.setTextFormat(Qt.TextFormat.RichText)
        cell.setContentsMargins(4, 2, 4, 2)
        cell.setToolTip(tip)
        cell.setAutoFillBackground(True)
        cell.setBackgroundRole(QPalette.ColorRole.Base)
        return cell

    def diff_rows(self) -> list[tuple[str, str, str]]:
        """(parameter, now, after) as shown; the parameter by its field name."""
        t = self.table
        return [
            (t.item(r, 0).data(Qt.ItemDataRole.UserRole), t.item(r, 1).text(), t.item(r, 2).text())
            for r in range(t.rowCount())
        ]


# -- a person at the terminal -------------------------------------------------------------------
class PromptPanel(QFrame):
    """Non-modal: "swipe a card now", with a countdown and Skip. Unanswered = not tested
    ("no answer in N s"), which is not the same as skipped by the technician.

    Before the test: *Ready, start test* answers yes, *Skip* no. While the terminal waits for
    the person, *Skip* sets the prompt's :attr:`~techapp.diagnosis.PersonPrompt.skip` event: the
    terminal stops the test at once and the check reads "skipped by the technician".
    """

    answered = Signal(object)  # True ready, False skipped, None nobody answered in time
    skipped = Signal(str)  # prompt id, skipped while the terminal waited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("promptPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "QFrame#promptPanel { background: rgba(30, 111, 217, 40); border: 1px solid #1e6fd9; border-radius: 4px; }"
        )
        lay = QHBoxLayout(self)
        self.text = _label("", bold=True)
        self.text.setObjectName("promptText")
        self.countdown = QLabel()
        self.countdown.setObjectName("promptCountdown")
        self.start_button = QPushButton()
        self.start_button.setObjectName("promptStart")
        self.skip_button = QPushButton()
        self.skip_button.setObjectName("promptSkip")
        lay.addWidget(self.text, 1)
        lay.addWidget(self.countdown)
        lay.addWidget(self.start_button)
        lay.addWidget(self.skip_button)
        self.timer = QTimer(self)
        self.timer.setObjectName("promptTimer")
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self.start_button.clicked.connect(self.start_test)
        self.skip_button.clicked.connect(self.skip)
        self.prompt: PersonPrompt | None = None
        self.left = 0
        self.waiting = False
        self.hide()
        self.retranslate()

    def ask(self, prompt: PersonPrompt) -> None:
        self.prompt = prompt
        self.left = prompt.timeout_s
        self.waiting = False
        self.start_button.show()
        self.skip_button.show()
        self.retranslate()
        self.show()
        self.timer.start()
        self.start_button.setFocus()

    def _tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            if self.waiting:  # the terminal's own wait is over: it answers "no input" by itself
                self.close_prompt()
            else:  # nobody said "ready": not tested (no answer), not "skipped by the technician"
                self.time_out()
            return
        self._show_count()

    def start_test(self) -> None:
        """The person is there: the terminal starts the test and waits for them (Skip still works)."""
        if self.prompt is None or self.waiting:
            return
        self.waiting = True  # the panel stays until the step ends
        self.left = self.prompt.timeout_s  # the terminal's own wait starts now
        self.start_button.hide()
        self.retranslate()
        self.skip_button.setFocus()
        self.answered.emit(True)

    def skip(self) -> None:
        """Skip the test: before it starts (answer no), or while the terminal waits (its skip event)."""
        prompt, waiting = self.prompt, self.waiting
        if prompt is None:
            return
        prompt.skip.set()  # thread-safe; the worker's self-test stops waiting at once
        self.close_prompt()
        if waiting:
            self.skipped.emit(prompt.id)
        else:
            self.answered.emit(False)

    def time_out(self) -> None:
        """Nobody answered before the countdown ended: the test is reported "not tested: no answer"."""
        if self.prompt is None:
            return
        self.close_prompt()
        self.answered.emit(None)

    def _answer(self, value: bool) -> None:
        if value:
            self.start_test()
        else:
            self.skip()

    def close_prompt(self) -> None:
        self.timer.stop()
        self.prompt = None
        self.waiting = False
        self.hide()

    def _show_count(self) -> None:
        self.countdown.setText(self.tr("%1 s").replace("%1", str(max(self.left, 0))))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        if self.prompt is not None:
            text = self.prompt.text(lang())
            if self.waiting:
                text = self.tr("Waiting for the terminal: %1").replace("%1", text)
            self.text.setText(text)
        self.start_button.setText(self.tr("&Ready, start test"))
        self.skip_button.setText(self.tr("S&kip"))
        self.skip_button.setToolTip(
            self.tr("Stops the test on the terminal now; the check is marked skipped")
            if self.waiting
            else self.tr("Do not run this test; the check is marked skipped")
        )
        self._show_count()
