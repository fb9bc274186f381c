"""The hub as a tree: projects, connections (category, auth type), connected resources and
the identities involved. Selecting a node narrows the findings to it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from diagnose.tui.tree import TreeItem


class HubTree(Tree[TreeItem]):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(Text("hub", end=""), **kwargs)  # type: ignore[arg-type]
        self.show_root = True
        self.guide_depth = 3
        self.auto_expand = False  # Enter narrows the findings; space expands or collapses

    def load(self, root: TreeItem) -> None:
        self.clear()
        self.root.set_label(root.label)
        self.root.data = root
        self._add(self.root, root)
        self.root.expand()

    def _add(self, node: TreeNode[TreeItem], item: TreeItem) -> None:
        for child in item.children:
            if child.children:
                branch = node.add(child.label, data=child, expand=child.expand)
                self._add(branch, child)
            else:
                node.add_leaf(child.label, data=child)
