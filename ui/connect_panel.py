"""Connect panel: the port list (refreshed as adapters come and go), a typed path or URL, the line
speed, the built-in simulated terminal with its scenarios, and the maintenance password (memory only).

The ports are listed by the service's :class:`~ui.service.PortWatcher` in its own thread (listing
can be slow on some systems); the panel only shows what it hears through :meth:`set_ports`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from drivers.registry import DEFAULT_DRIVER, DRIVERS, default_baudrate
from drivers.sim.catalog import list_scenarios  # names only: no pydantic before the first paint
from techapp.credentials import DEMO_PASSWORD

if TYPE_CHECKING:
    from drivers.ports import PortInfo

BAUDS = (115200, 57600, 38400, 19200, 9600)


class ConnectPanel(QGroupBox):
    connectRequested = Signal(str, int, str)  # port, baud, password
    disconnectRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectPanel")
        self._connected = False
        self._ports: list[PortInfo] = []
        self._published = DEMO_PASSWORD  # the password the chosen simulated terminal publishes
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)

        self.port = QComboBox()
        self.port.setObjectName("portCombo")
        self.port.setEditable(True)
        self.port.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.port.setMinimumContentsLength(18)
        self.port_label = QLabel()
        self.port_label.setBuddy(self.port)
        form.addRow(self.port_label, self.port)

        self.sim = QCheckBox()
        self.sim.setObjectName("simCheck")
        self.scenario = QComboBox()
        self.scenario.setObjectName("scenarioCombo")
        for name, _path in list_scenarios():
            self.scenario.addItem(name, name)
        self.scenario.setCurrentIndex(max(self.scenario.findData("demo-97"), 0))
        self.scenario.setEnabled(False)
        self.scenario_label = QLabel()
        self.scenario_label.setBuddy(self.scenario)
        form.addRow(self.sim)
        form.addRow(self.scenario_label, self.scenario)
        self.scenario_desc = QLabel()
        self.scenario_desc.setWordWrap(True)
        self.scenario_desc.setObjectName("scenarioDescription")
        self.scenario_desc.setStyleSheet("color: palette(placeholder-text);")
        form.addRow(self.scenario_desc)

        self.baud = QComboBox()
        self.baud.setObjectName("baudCombo")
        for b in BAUDS:
            self.baud.addItem(str(b), b)
        self.baud_label = QLabel()
        self.baud_label.setBuddy(self.baud)
        form.addRow(self.baud_label, self.baud)

        # the terminal's protocol (drivers.registry); a simulated scenario chooses its own
        self.driver = QComboBox()
        self.driver.setObjectName("driverCombo")
        for name, entry in DRIVERS.items():
            self.driver.addItem(name, name)
            self.driver.setItemData(self.driver.count() - 1, entry.description, Qt.ItemDataRole.ToolTipRole)
        self.driver.setCurrentIndex(max(self.driver.findData(DEFAULT_DRIVER), 0))
        self.driver_label = QLabel()
        self.driver_label.setBuddy(self.driver)
        form.addRow(self.driver_label, self.driver)

        self.password = QLineEdit()
        self.password.setObjectName("passwordEdit")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_label = QLabel()
        self.password_label.setBuddy(self.password)
        form.addRow(self.password_label, self.password)

        buttons = QHBoxLayout()
        self.connect_button = QPushButton()
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setDefault(True)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        layout.addLayout(buttons)

        self.driver.currentIndexChanged.connect(self._driver_changed)
        self.sim.toggled.connect(self._sim_toggled)
        self.scenario.currentIndexChanged.connect(self._describe_scenario)
        self.connect_button.clicked.connect(self._clicked)
        self.password.returnPressed.connect(self._clicked)

        # Ctrl+K is Connect everywhere; a line edit would take it as "delete to the end of the line"
        self.port.lineEdit().installEventFilter(self)
        self.password.installEventFilter(self)

        self.retranslate()
        self._describe_scenario()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and QKeySequence(event.keyCombination()) == QKeySequence("Ctrl+K")
        ):
            return True  # not accepted: the window's Connect shortcut gets it
        return super().eventFilter(watched, event)

    # -- ports ---------------------------------------------------------------------
    def set_ports(self, found: list[PortInfo]) -> None:
        """The ports now present (recognised terminals first); what is typed in the field stays."""
        self._ports = list(found)
        typed = self.port.currentText()
        self.port.blockSignals(True)
        self.port.clear()
        for p in found:
            self.port.addItem(p.label, p.device)
        self.port.setEditText(typed)
        self.port.blockSignals(False)
        self._port_tooltips()

    def _port_tooltips(self) -> None:
        typed = self.port.currentText()  # changing the current item's data would put its text in the field
        blocked = self.port.blockSignals(True)
        for i, p in enumerate(self._ports[: self.port.count()]):
            from drivers.ports import TERMINAL  # loaded with the ports listed (the port watcher's thread)

            tip = self.tr("Recognised payment terminal") if p.kind == TERMINAL else None
            self.port.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
        self.port.setEditText(typed)
        self.port.blockSignals(blocked)

    def port_name(self) -> str:
        if self.sim.isChecked():
            return f"sim://{self.scenario.currentData()}"
        text = self.port.currentText().strip()
        index = self.port.findText(text)
        if index >= 0 and self.port.itemData(index):
            return str(self.port.itemData(index))
        return text

    def driver_name(self) -> str:
        """The registry name of the chosen driver."""
        return str(self.driver.currentData() or DEFAULT_DRIVER)

    def _driver_changed(self) -> None:
        i = self.baud.findData(default_baudrate(self.driver_name()))  # each protocol's usual line speed
        if i >= 0:
            self.baud.setCurrentIndex(i)

    # -- simulated terminal -----------------------------------------------------------
    def use_simulator(self, scenario: str) -> None:
        self.sim.setChecked(True)
        i = self.scenario.findData(scenario)
        if i >= 0:
            self.scenario.setCurrentIndex(i)

    def _sim_toggled(self, on: bool) -> None:
        self.scenario.setEnabled(on)
        self.port.setEnabled(not on and not self._connected)
        self.baud.setEnabled(not on and not self._connected)
        if on and not self.password.text():
            self.password.setText(DEMO_PASSWORD)  # the simulator's published password, not a secret
        self._describe_scenario()

    def _describe_scenario(self) -> None:
        if not self.sim.isChecked():
            self.scenario_desc.setVisible(False)
            return
        name = self.scenario.currentData()
        from drivers.sim.scenario import ScenarioError, load_scenario, published_password  # read when ticked

        try:
            s = load_scenario(name)
            text = s.description
        except (ScenarioError, TypeError):
            s, text = None, ""
        if s is not None and not self._connected:  # the simulated terminal's protocol chooses the driver
            i = self.driver.findData(s.protocol)
            if i >= 0:
                self.driver.setCurrentIndex(i)
            published = published_password(s) or DEMO_PASSWORD
            if self.password.text() in ("", DEMO_PASSWORD, self._published):
                self.password.setText(published)  # the simulator's published password, not a secret
            self._published = published
        self.scenario_desc.setText(text)
        self.scenario_desc.setVisible(bool(text))

    # -- connect / disconnect -------------------------------------------------------------
    def _clicked(self) -> None:
        if self._connected:
            self.disconnectRequested.emit()
            return
        port = self.port_name()
        if not port:
            self.port.setFocus()
            return
        self.connectRequested.emit(port, int(self.baud.currentData()), self.password.text())

    def set_connected(self, connected: bool, busy: bool = False) -> None:
        self._connected = connected
        for w in (self.port, self.baud, self.driver, self.sim, self.scenario, self.password):
            w.setEnabled(not connected and not busy)
        if not connected and not busy:
            self.scenario.setEnabled(self.sim.isChecked())
            self.port.setEnabled(not self.sim.isChecked())
            self.baud.setEnabled(not self.sim.isChecked())
        self.connect_button.setEnabled(not busy)
        self.retranslate()

    # -- language ------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        self.setTitle(self.tr("Terminal connection"))
        self.port_label.setText(self.tr("&Port:"))
        self.port.lineEdit().setPlaceholderText(self.tr("/dev/ttyACM0, COM5, socket://host:port"))
        self.port.setToolTip(
            self.tr("Terminals recognised by their USB ID are listed first; any path or URL can be typed")
        )
        self.sim.setText(self.tr("&Built-in simulated terminal"))
        self.sim.setToolTip(self.tr("Practise or demonstrate without a terminal: choose a scenario"))
        self.scenario_label.setText(self.tr("&Scenario:"))
        self.baud_label.setText(self.tr("Ba&ud rate:"))
        self.driver_label.setText(self.tr("Proto&col:"))
        self.driver.setToolTip(self.tr("The terminal's protocol; a simulated scenario chooses its own"))
        self.password_label.setText(self.tr("Pass&word:"))
        self.password.setPlaceholderText(self.tr("maintenance password"))
        self.password.setToolTip(self.tr("Kept in memory only, never saved; it never crosses the cable in clear"))
        self.connect_button.setText(self.tr("Disconnect") if self._connected else self.tr("Connect"))
        self.connect_button.setToolTip(self.tr("Ctrl+K"))
        self._port_tooltips()
