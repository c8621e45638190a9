"""One module per source: importers read exports, capturers speak live APIs."""
