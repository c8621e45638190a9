"""What every importer does besides turning entries into observations: it says what it
did not read, and it dates its observations by the export.

The rule is that nothing is dropped silently. A file the importer never reads, or a key
or an attachment kind it does not know, is a problem in the import report that names the
file and the entries; the entry itself stays whole in its raw bytes. An export that
states when it was made (in its contents or the name the platform gave it) dates every
observation by that time rather than by the import, and says so in
`context.evidence["export_generated_at"]`, which the archive also uses for the items
absent from the export.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import PurePosixPath

from civicarchive.clock import format_time
from civicarchive.connectors.base import ImportContext
from civicarchive.connectors.files import ExportFiles
from civicarchive.errors import InvalidInput

SHOWN = 3  # entries or files named in one problem; the rest are counted


class Unread:
    """Keys and shapes an importer met but does not read, gathered so that each becomes
    one problem however many entries, in however many files, hold it."""

    def __init__(self, context: ImportContext) -> None:
        self.context = context
        self._found: dict[str, dict[str, list[str]]] = {}   # what -> file -> entries

    def note(self, where: str, what: str, entry: str) -> None:
        """`what` (e.g. "attachment key 'poll'") was met in `entry` of the file `where`."""
        entries = self._found.setdefault(what, {}).setdefault(where, [])
        if entry not in entries[-1:]:   # once per entry, however often it holds it
            entries.append(entry)

    def keys(self, where: str, holder: dict, known: frozenset[str], label: str,
             entry: str) -> None:
        """Each key of `holder` outside `known`, as "<label> key '<key>'"."""
        for key in sorted(k for k in holder if k not in known):
            self.note(where, f"{label} key {key!r}", entry)

    def report(self) -> None:
        """One problem per thing not read, at the first file that holds it."""
        for what, by_file in self._found.items():
            first, entries = next(iter(by_file.items()))
            others = sum(len(e) for e in by_file.values()) - len(entries)
            elsewhere = f"; also {others} in {len(by_file) - 1} other file(s)" if others else ""
            self.context.problem(first, f"{what} is not read ({_listed(entries)}"
                                 f"{elsewhere}); it is kept in the raw bytes only")
        self._found.clear()


def report_unread_files(files: ExportFiles, read: Iterable[str],
                        context: ImportContext) -> None:
    """One problem per folder holding files the importer did not read."""
    taken = set(read)
    by_folder: dict[str, list[str]] = {}
    for name in files.names():
        if name not in taken:
            by_folder.setdefault(files.where_folder(name), []).append(PurePosixPath(name).name)
    for where, names in sorted(by_folder.items()):
        context.problem(where, f"{len(names)} file(s) not imported: {_listed(sorted(names))}")


def date_by_export(context: ImportContext, moment: datetime, source: str,
                   where: str) -> None:
    """Date every observation by the time the export says it was made (`source` says
    where it says so), unless that time is after the import itself."""
    if moment > context.observed_at:
        context.problem(where, f"{source} dates the export {format_time(moment)}, after "
                        "this import; the observations are dated by the import instead")
        return
    context.observed_at = moment
    context.evidence["export_generated_at"] = format_time(moment)


def date_by_name(context: ImportContext, text: str, pattern: str, source: str,
                 where: str) -> None:
    """`date_by_export` by a time written into the export's name (UTC, in `pattern`);
    a name that holds no real time (month 13) is reported, and the import's time stands."""
    try:
        moment = datetime.strptime(text, pattern).replace(tzinfo=timezone.utc)
    except ValueError:
        context.problem(where, f"{source} holds {text!r}, which is no real time; the "
                        "observations are dated by the import instead")
        return
    date_by_export(context, moment, source, where)


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown if len(names) <= SHOWN else f"{shown} and {len(names) - SHOWN} more"


def too_deep(where: str) -> InvalidInput:
    """The error for JSON nested past what Python's reader can follow (about a thousand
    levels), which no platform writes."""
    return InvalidInput(f"{where}: JSON nested too deeply to read (over about 1,000 "
                        "levels); no platform writes that, so the file is damaged or was "
                        "altered: download the export again")
