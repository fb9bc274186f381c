"""The widgets of the main screen: hub tree, filter bar, findings table, detail pane."""
