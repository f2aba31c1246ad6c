"""Work-order panel: type the job in or import it (.toml, .json, .csv); validated as typed by techapp.workorder."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from techapp.workorder import FIELDS, WorkOrder, WorkOrderError, from_mapping, load_work_order

# field -> regular expression a keystroke may not break (the full rule is techapp's)
TYPING = {
    "tid": r"[0-9A-Za-z]{0,8}",
    "mid": r"[0-9]{0,15}",
    "serial_number": r"[0-9A-Za-z\-]{0,32}",
    "tmk_index": r"[0-9]{0,2}",
    "tmk_kcv": r"[0-9A-Fa-f ]{0,11}",
}


#: Fields not shown in the form: the acquirer profile is chosen once, in the Diagnosis box
#: (its "from the work order" entry names the work order's profile).
HIDDEN = ("acquirer_profile",)


class OneLineLabel(QLabel):
    """One line, elided at the right when narrower than its text; the whole text in the tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str, tip: str = "") -> None:
        self.full = text
        self.setToolTip("\n\n".join(x for x in (text, tip) if x))
        self._elide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(self.width(), 40)))


class WorkOrderPanel(QGroupBox):
    """The work order as a one-line summary (order no., merchant, TID) with Edit; the form opens on
    Edit, and by itself when a field is wrong."""

    changed = Signal(object)  # WorkOrder | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("workOrderPanel")
        self.order: WorkOrder | None = None
        self.error = ""
        self.source = ""
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.summary = OneLineLabel()
        self.summary.setObjectName("workOrderSummary")
        self.edit_button = QPushButton()
        self.edit_button.setObjectName("editWorkOrder")
        self.edit_button.setCheckable(True)
        layout.addWidget(self.summary)  # the whole width of the column: one line
        top.addStretch(1)
        top.addWidget(self.edit_button)
        layout.addLayout(top)
        self.form_box = QWidget()
        self.form_box.setObjectName("workOrderForm")
        form_outer = QVBoxLayout(self.form_box)
        form_outer.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(4)
        form_outer.addLayout(form)
        layout.addWidget(self.form_box)
        self.edits: dict[str, QLineEdit] = {}
        self.labels: dict[str, QLabel] = {}
        self.bad_field: str | None = None
        for name in FIELDS:
            edit = QLineEdit()
            edit.setObjectName(f"wo_{name}")
            if name in TYPING:
                edit.setValidator(QRegularExpressionValidator(QRegularExpression(TYPING[name]), edit))
            edit.textEdited.connect(self._edited)
            label = QLabel()
            label.setBuddy(edit)
            self.edits[name] = edit
            self.labels[name] = label
        for name in FIELDS:
            if name == "tmk_kcv":
                continue
            if name in HIDDEN:
                self.edits[name].hide()
                self.labels[name].hide()
                continue
            if name == "tmk_index":  # the key sheet's two values on one row
                index = self.edits["tmk_index"]
                index.setMaximumWidth(index.fontMetrics().horizontalAdvance("000") + 16)
                row = QHBoxLayout()
                row.addWidget(index)
                row.addSpacing(8)
                row.addWidget(self.labels["tmk_kcv"])
                row.addWidget(self.edits["tmk_kcv"], 1)
                form.addRow(self.labels[name], row)
            else:
                form.addRow(self.labels[name], self.edits[name])
        self.status = QLabel()
        self.status.setObjectName("workOrderStatus")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.import_button = QPushButton()
        self.import_button.setObjectName("importWorkOrder")
        self.clear_button = QPushButton()
        self.clear_button.setObjectName("clearWorkOrder")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.clear_button)
        form_outer.addLayout(row)
        top.addWidget(self.import_button)
        self.import_button.clicked.connect(self.import_file)
        self.clear_button.clicked.connect(self.clear)
        self.edit_button.toggled.connect(self.set_expanded)
        self.set_expanded(False)
        self.retranslate()
        self._validate()

    def set_expanded(self, on: bool) -> None:
        """Show the form (Edit) or only the summary line."""
        self.form_box.setVisible(on)
        self.clear_button.setVisible(on)
        self.summary.setVisible(not on)
        blocked = self.edit_button.blockSignals(True)
        self.edit_button.setChecked(on)
        self.edit_button.blockSignals(blocked)
        self._retranslate_edit()
        if hasattr(self, "status"):
            self._show()

    @property
    def expanded(self) -> bool:
        return self.form_box.isVisibleTo(self)

    def values(self) -> dict[str, str]:
        return {name: e.text().strip() for name, e in self.edits.items()}

    def set_order(self, order: WorkOrder | None) -> None:
        for name, edit in self.edits.items():
            value = getattr(order, name, "") if order is not None else ""
            edit.setText("" if value is None else str(value))
            edit.setCursorPosition(0)  # a long value (the notes) shows its beginning, not its tail
            edit.setToolTip(edit.text() if name in ("notes", "complaint") else edit.toolTip())
        self.source = order.source if order is not None else ""
        self._validate()

    def load(self, path: str, order_id: str | None = None) -> bool:
        try:
            order = load_work_order(path, order_id)
        except WorkOrderError as err:
            if order_id is None and "say which one" in str(err):
                ids = str(err).split("(", 1)[-1].split(")", 1)[0].split(", ")
                chosen, ok = QInputDialog.getItem(
                    self,
                    self.tr("Several work orders"),
                    self.tr("This file lists several jobs. Which one?"),
                    ids,
                    0,
                    False,
                )
                return self.load(path, chosen) if ok else False
            self.error = str(err)
            self._show()
            return False
        self.set_order(order)
        return True

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import work order"), "", self.tr("Work orders (*.toml *.json *.csv);;All files (*)")
        )
        if path:
            self.load(path)

    def clear(self) -> None:
        self.set_order(None)

    def _edited(self, _text: str) -> None:
        self.source = ""
        self._validate()

    def _validate(self) -> None:
        values = self.values()
        previous = self.order
        if not any(values.values()):
            self.order, self.error = None, ""
        else:
            raw = {k: v for k, v in values.items() if v}
            try:
                self.order = from_mapping(raw, where=self.source or self.tr("work order"))
                self.error = ""
            except WorkOrderError as err:
                self.order, self.error = None, self._problem_text(err)
                self.bad_field = err.field
        if not self.error:
            self.bad_field = None
        for name, edit in self.edits.items():
            bad = bool(self.error) and name == self.bad_field
            edit.setStyleSheet("QLineEdit { border: 1px solid #c62828; }" if bad else "")
        if self.error and not self.expanded and self.bad_field not in HIDDEN:
            self.set_expanded(True)  # a wrong field is shown, not hidden behind the summary
        self._show()
        if self.order != previous:
            self.changed.emit(self.order)

    def _problem_text(self, err: WorkOrderError) -> str:
        """The rule a typed field breaks, in the window's language (the engine's message otherwise)."""
        rules = {
            "required": self.tr("%1 is required."),
            "tid": self.tr("%1 must be 8 letters or digits."),
            "mid": self.tr("%1 must be 15 digits."),
            "kcv": self.tr("%1 must be 6 or 8 hex digits (the key sheet's check value)."),
            "tmk-index": self.tr("%1 must be a key index from 0 to 99."),
            "not-text": self.tr("%1 must be text."),
        }
        rule = rules.get(err.problem)
        if rule is None or not err.field:
            return str(err)
        label = self.labels[err.field].text().replace("&", "").rstrip(":：") if err.field in self.labels else err.field
        return rule.replace("%1", label)

    def summary_text(self) -> str:
        """Order no. · TID · merchant, from what is typed (the validated order when there is one)."""
        v = self.values()
        # the merchant last: a long name is what gets cut at the column's edge
        parts = [v["id"], self.tr("TID %1").replace("%1", v["tid"]) if v["tid"] else "", v["merchant_name"]]
        return " · ".join(p for p in parts if p)

    def _show(self) -> None:
        summary = self.summary_text()
        self.summary.set_full_text(
            summary or self.tr("No work order: checks that need one say so."), self.edits["notes"].text()
        )
        self.status.setVisible(self.expanded or bool(self.error))
        if self.error:
            self.status.setStyleSheet("color: #c62828;")
            self.status.setText(self.error)
        elif self.order is None:
            self.status.setStyleSheet("")
            self.status.setText(self.tr("No work order: checks that need one say so."))
        else:
            self.status.setStyleSheet("color: #2e7d32;")
            self.status.setText(self.tr("Work order %1 is valid.").replace("%1", self.order.id))

    def _retranslate_edit(self) -> None:
        self.edit_button.setText(self.tr("Done") if self.edit_button.isChecked() else self.tr("Edit"))
        self.edit_button.setToolTip(self.tr("Type or correct the work order"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Work order"))
        names = {
            "id": self.tr("Order no.:"),
            "merchant_name": self.tr("Merchant:"),
            "site": self.tr("Site:"),
            "mid": self.tr("MID:"),
            "tid": self.tr("TID:"),
            "serial_number": self.tr("Serial no.:"),
            "acquirer_profile": self.tr("Acquirer profile:"),
            "tmk_index": self.tr("TMK index:"),
            "tmk_kcv": self.tr("check value:"),
            "notes": self.tr("Notes:"),
            "complaint": self.tr("Complaint:"),
        }
        for name, label in self.labels.items():
            label.setText(names.get(name, name))
        self.edits["mid"].setPlaceholderText(self.tr("15 digits"))
        self.edits["tid"].setPlaceholderText(self.tr("8 letters or digits"))
        self.edits["tmk_kcv"].setPlaceholderText(self.tr("6 or 8 hex digits"))
        self.edits["tmk_kcv"].setToolTip(self.tr("The TMK check value from the key sheet"))
        self.edits["tmk_index"].setToolTip(self.tr("The TMK slot from the key sheet"))
        self._retranslate_edit()
        self.import_button.setText(self.tr("&Import..."))
        self.import_button.setToolTip(self.tr("Ctrl+O"))
        self.clear_button.setText(self.tr("Clear"))
        self._show()
