"""Turn service results into localized HTML and keyboards (the reader's locale is in context)."""
