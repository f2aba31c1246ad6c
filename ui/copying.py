"""Copy what the window shows as text a ticket or a chat accepts: selected rows, or everything.

Rows are tab-separated cells (name, value, note), one row per line, so they
paste into a spreadsheet as columns and into a ticket as readable lines.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem


def _cells(item: QTreeWidgetItem, columns: int) -> list[str]:
    cells = [item.text(c).replace("\n", " ").strip() for c in range(columns)]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _walk(tree: QTreeWidget):
    """Every item, top to bottom, in the order shown (children after their parent)."""
    stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount() - 1, -1, -1)]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(item.child(i) for i in range(item.childCount() - 1, -1, -1))


def tree_text(tree: QTreeWidget, *, selected_only: bool = True) -> str:
    """The tree's rows as tab-separated lines: the selected rows in the order shown, or all rows.

    A section heading (a row with children) comes out alone on its line, so
    pasted rows keep their section.
    """
    columns = tree.columnCount()
    chosen = set(map(id, tree.selectedItems())) if selected_only else None
    lines = []
    for item in _walk(tree):
        if chosen is not None and id(item) not in chosen:
            continue
        if item.isHidden():
            continue
        cells = _cells(item, columns)
        if cells:
            lines.append("\t".join(cells))
    return "\n".join(lines) + ("\n" if lines else "")


def copy_text(text: str) -> None:
    QGuiApplication.clipboard().setText(text)


def install_copy(tree: QTreeWidget) -> QShortcut:
    """Ctrl+C on ``tree`` copies its selected rows (several rows can be selected with Shift and Ctrl)."""
    tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    shortcut = QShortcut(QKeySequence.StandardKey.Copy, tree)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(lambda: copy_text(tree_text(tree)))
    return shortcut


__all__ = ["copy_text", "install_copy", "tree_text"]
