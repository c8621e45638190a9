"""What the commands read from their command line and check before the archive is asked:
ids, times, the published key a verification trusts, a page of search results."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from civicarchive.errors import InvalidInput
from civicarchive.model.record import LARGEST_ID, id_of

MAX_OFFSET = 10_000_000  # as the API's paging: an index keeps every hit up to the page


class Id(click.ParamType):
    """A record's, request's, hold's... id: a whole number the store can hold. A larger
    one could not even be looked up (the database refuses it, with a traceback)."""

    name = "id"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        if isinstance(value, int):
            number = value
        else:
            number = id_of(str(value).strip())
        if number is None or not 0 < number <= LARGEST_ID:
            self.fail(f"{value!r} is not an id: ids are whole numbers from 1 to {LARGEST_ID}",
                      param, ctx)
        return number


ID = Id()


def parse_time_option(text: str, flag: str) -> datetime:
    """An ISO 8601 time with its offset, given to `flag`; a usage error that names the flag
    and shows the form otherwise (not Python's "day is out of range for month")."""
    from civicarchive.clock import parse_time
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time: write it as ISO 8601 with its "
                                 "offset, e.g. 2026-11-04T10:30-08:00 or 2026-11-04T18:30Z",
                                 param_hint=flag) from None
    try:
        return parse_time(text)
    except ValueError as error:  # no offset
        raise click.BadParameter(str(error), param_hint=flag) from None


def published_key(path: str | None) -> bytes | None:
    """The bytes of a --public-key file, or None when none is named. An empty file is
    refused: read as no key, the signatures would be checked against the archive's or the
    file's own key while the result reads as checked against the agency's."""
    if path is None:
        return None
    data = Path(path).read_bytes()
    if not data.strip():
        raise InvalidInput(f"{path} is empty: give the agency's published public key (the "
                           "PEM file `civicarchive public-key` writes)", parameter="public_key")
    return data


def require_parent(path: Path | str) -> None:
    """InvalidInput unless the folder `path` goes in exists: a command that writes a new
    folder never makes the folders of a mistyped path (a backup to a drive not mounted)."""
    from civicarchive.app.evidence import require_folder
    require_folder(Path(path).absolute().parent)


def search_offset(page: int, limit: int) -> int:
    """Where page `page` of `limit` results starts; a usage error past the last page an
    index is asked for."""
    offset = (page - 1) * limit
    if offset > MAX_OFFSET:
        raise click.BadParameter(f"page {page} of {limit} results starts after the "
                                 f"{MAX_OFFSET:,}th: narrow the search instead",
                                 param_hint="--page")
    return offset
