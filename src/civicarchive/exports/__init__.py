"""Exports: WARC files and BagIt evidence packages of archived versions."""

from civicarchive.exports.package import verify_evidence_package, write_evidence_package
from civicarchive.exports.warc import write_warc

__all__ = ["verify_evidence_package", "write_evidence_package", "write_warc"]
