"""Exports: WARC files, BagIt evidence packages, and the PDF, CSV and JSONL of a
production."""

from civicarchive.exports.package import (discard, verify_evidence_package,
                                          write_evidence_package)
from civicarchive.exports.pdf import RenderedPdf, render_production
from civicarchive.exports.tabular import write_csv, write_jsonl
from civicarchive.exports.warc import write_warc

__all__ = ["RenderedPdf", "discard", "render_production", "verify_evidence_package", "write_csv",
           "write_evidence_package", "write_jsonl", "write_warc"]
