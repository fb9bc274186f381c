"""The findings table: status, severity, check, principal, resource; one row per finding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from diagnose.tui.data import COLUMNS

MAX_WIDTHS = {"principal": 40, "resource": 60}
"""The widest the principal and resource columns grow to fit the data."""


class FindingsTable(DataTable[Text]):
    """Rows are always rebuilt in one add_rows call; row keys map back to finding indexes."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._index_of_key: dict[RowKey, int] = {}
        self._keys: list[RowKey] = []
        self.order: list[int] = []
        """Finding indexes in row order."""

    def on_mount(self) -> None:
        self.fit_columns([])

    def fit_columns(self, rows: Sequence[tuple[Text, ...]]) -> None:
        """Fixed column widths fitted to the data (capped), computed once per run; removes the
        rows (show() adds them)."""
        self.clear(columns=True)
        self.order = []
        for position, (key, title, width) in enumerate(COLUMNS):
            longest = max((cell_len(row[position].plain) for row in rows), default=0)
            cap = MAX_WIDTHS.get(key, width)
            self.add_column(title, width=max(width, min(cap, longest)), key=key)

    def show(
        self,
        rows: Sequence[tuple[Text, ...]],
        visible: list[int],
        keep: int | None = None,
        force: bool = False,
    ) -> None:
        """Show the given findings (indexes into rows), keeping the cursor on finding `keep`
        when it is still visible. Unless forced (new rows), the same findings are not
        re-added."""
        if not force and list(visible) == self.order and self.row_count == len(self.order):
            return  # same rows (e.g. one more letter typed that matches the same findings)
        self.clear()
        self.order = list(visible)
        self._keys = self.add_rows(rows[i] for i in self.order)
        self._index_of_key = {key: index for key, index in zip(self._keys, self.order, strict=True)}
        if keep is None:
            return
        try:
            row = self.order.index(keep)
        except ValueError:
            return
        self.move_cursor(row=row, animate=False, scroll=True)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Every column has a fixed width and every row a height of 1, so measuring each new
        # cell (25,000 measurements for 5,000 rows, what DataTable does) changes nothing:
        # only the virtual size needs recomputing.
        super()._update_dimensions(())

    def finding_at(self, row: int) -> int | None:
        if 0 <= row < len(self.order):
            return self.order[row]
        return None

    def finding_of_key(self, key: RowKey) -> int | None:
        return self._index_of_key.get(key)

    @property
    def selected(self) -> int | None:
        """The finding index under the cursor."""
        if not self.order:
            return None
        return self.finding_at(self.cursor_row)
