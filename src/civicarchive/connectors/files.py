"""A read-only, size-capped view of an export: a zip, a tar(.gz), a folder or one file,
or the numbered parts Google Takeout splits a large export into, read as one.

Nothing is ever extracted to disk. Entry names are checked before anything is read:
absolute paths, `..` components, links and device files are refused (zip slip), and
entries named twice are refused (which copy counts cannot be told), and
the entry count, total uncompressed size and per-entry compression ratio are capped
before decompression starts (zip bombs); reads are capped again as they happen, since
a tar header or a zip directory can lie.
"""

from __future__ import annotations

import fnmatch
import io
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from civicarchive.errors import InvalidInput


class UnsafeExport(InvalidInput):
    """An export that could write outside its folder or exhaust memory or disk."""


@dataclass(frozen=True)
class Limits:
    max_entries: int = 200_000
    max_total_bytes: int = 50 * 1024**3
    max_entry_bytes: int = 8 * 1024**3
    max_ratio: float = 200.0  # uncompressed / compressed, for entries over 1 MiB


DEFAULT_LIMITS = Limits()

# Google Takeout splits an export larger than the size chosen for it (2 GB unless the
# user picks another) into archives numbered from 001, each a whole zip or tgz of its own:
# takeout-20261130T081502Z-001.zip, -002.zip, ... (some exports add a number before the
# part's). Each file lies whole in one part; a part names no total.
PART_NAME = re.compile(r"(?P<export>takeout-\d{8}T\d{6}Z(?:-\d+)*)-(?P<part>\d+)"
                       r"(?P<suffix>\.zip|\.tgz|\.tar\.gz|\.tbz|\.tar\.bz2)?$", re.IGNORECASE)
MAX_PARTS = 500  # 1 TB in Takeout's default 2 GB parts


def _safe_name(name: str, where: str) -> str:
    if "\x00" in name:
        raise UnsafeExport(f"{where}: entry name {name!r} contains a NUL byte")
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        raise UnsafeExport(f"{where}: entry {name!r} has an absolute path; refusing the "
                           "export (it could write outside its folder)")
    if ".." in path.parts:
        raise UnsafeExport(f"{where}: entry {name!r} climbs out of the export with '..'; "
                           "refusing the export")
    return str(path)


def _too_many(path: Path, limits: Limits) -> UnsafeExport:
    return UnsafeExport(f"{path}: more than {limits.max_entries:,} entries, over the limit; "
                        "refusing the export")


def _count_zip_entries(path: Path, limits: Limits) -> None:
    """Refuse a zip whose central directory lists more entries than the limit, counted
    from the directory's own records before zipfile builds an object for each (ten
    million tiny entries would take gigabytes). A directory zipfile cannot find or read
    is left to zipfile to report."""
    with open(path, "rb") as stream:
        end = zipfile._EndRecData(stream)  # (private, but it alone reads zip64 ends)
        if not end:
            return
        size = end[zipfile._ECD_SIZE]
        start = end[zipfile._ECD_LOCATION] - size
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator
        stream.seek(max(start, 0))
        count, left = 0, size
        while left >= _CENTRAL_RECORD:
            record = stream.read(_CENTRAL_RECORD)
            if len(record) < _CENTRAL_RECORD or not record.startswith(b"PK\x01\x02"):
                return
            count += 1
            if count > limits.max_entries:
                raise _too_many(path, limits)
            name, extra, comment = struct.unpack_from("<3H", record, 28)
            stream.seek(name + extra + comment, io.SEEK_CUR)
            left -= _CENTRAL_RECORD + name + extra + comment


_CENTRAL_RECORD = 46  # bytes of a central directory record before its name
# What zipfile can decompress; the others (Deflate64, which Windows writes for large
# files, PPMd, ...) fail only when the entry is read.
_COMPRESSIONS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "Deflate",
                 zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}
_OTHER_COMPRESSIONS = {9: "Deflate64", 98: "PPMd", 93: "Zstandard", 99: "AES encryption"}


def _refuse_unreadable(info: zipfile.ZipInfo, path: Path) -> None:
    """An entry that is encrypted, or compressed by a method zipfile lacks, is refused
    before anything is read (reading it would fail halfway through the import)."""
    if info.flag_bits & 0x1 or info.compress_type == 99:
        raise InvalidInput(f"{path}: entry {info.filename!r} is encrypted; civicarchive "
                           "reads no password-protected zip: unzip it with its password "
                           "and import the folder")
    if info.compress_type not in _COMPRESSIONS:
        method = _OTHER_COMPRESSIONS.get(info.compress_type, "unknown")
        raise InvalidInput(f"{path}: entry {info.filename!r} is compressed with method "
                           f"{info.compress_type} ({method}), which civicarchive cannot "
                           "read: unzip it with a tool that can (7-Zip, Windows Explorer) "
                           "and import the folder")


def _tar_members(archive: tarfile.TarFile, path: Path, limits: Limits
                 ) -> list[tarfile.TarInfo]:
    """The members, listed one header at a time so that the entry count and the total
    size are capped as they are read, not after millions of headers are held (or a
    compressed stream decompressed to its end)."""
    members, total = [], 0
    for member in archive:
        members.append(member)
        total += member.size
        if len(members) > limits.max_entries:
            raise _too_many(path, limits)
        if total > limits.max_total_bytes:
            raise UnsafeExport(f"{path}: would expand to more than "
                               f"{limits.max_total_bytes:,} bytes, over the limit")
    return members


def _refuse_duplicate(sizes: dict[str, int], name: str, written: str, path: Path) -> None:
    """Two entries of one name: a reader would silently take one copy, and which copy is
    the export's own cannot be known."""
    if name in sizes:
        raise UnsafeExport(f"{path}: entry {written!r} appears more than once (as {name!r}); "
                           "which copy is the export's own cannot be told: refusing the "
                           "export, download it again")


class ExportFiles:
    """The files of one export, by relative POSIX path."""

    parts: tuple[ExportFiles, ...] = ()  # of a split export, each part's own

    def __init__(self, path: Path, kind: str, sizes: dict[str, int], limits: Limits) -> None:
        self.path = path
        self.kind = kind  # zip | tar | folder | file | parts
        self.sizes = sizes
        self.limits = limits
        self._zip: zipfile.ZipFile | None = None
        self._tar: tarfile.TarFile | None = None
        # The entry under each normalised name ("./data/x.js", "data//x.js" and
        # "data\\x.js" are all "data/x.js"): the archive knows it by its own name.
        self._entries: dict[str, zipfile.ZipInfo | tarfile.TarInfo] = {}

    @classmethod
    def open(cls, path: Path | str, limits: Limits = DEFAULT_LIMITS) -> ExportFiles:
        """The export at `path`; a part of a split Takeout opens with every other part
        beside it (which part is named does not matter)."""
        path = Path(path)
        if not path.exists():
            raise InvalidInput(f"{path}: no such file or folder")
        parts = _parts_beside(path)
        if len(parts) > 1:
            return _Parts.of(path, parts, limits)
        return cls._one(path, limits)

    @classmethod
    def _one(cls, path: Path, limits: Limits) -> ExportFiles:
        if path.is_dir():
            return cls._folder(path, limits)
        if zipfile.is_zipfile(path):
            return cls._zipfile(path, limits)
        if _looks_like_tar(path):
            return cls._tarfile(path, limits)
        with open(path, "rb") as stream:
            magic = stream.read(4)
        if magic.startswith((b"PK\x03\x04", b"\x1f\x8b")):
            raise InvalidInput(f"{path}: looks like a {'zip' if magic[0] == 0x50 else 'gzip'} "
                               "archive but cannot be read: it is probably truncated; "
                               "download the export again")
        return cls(path, "file", {path.name: path.stat().st_size}, limits)

    @classmethod
    def _folder(cls, root: Path, limits: Limits) -> ExportFiles:
        sizes: dict[str, int] = {}
        for item in sorted(root.rglob("*")):
            name = item.relative_to(root).as_posix()
            if item.is_symlink():
                raise UnsafeExport(f"{root}: {name} is a symbolic link; refusing the export "
                                   "(it could point outside the folder)")
            if item.is_file():
                sizes[name] = item.stat().st_size
        files = cls(root, "folder", sizes, limits)
        files._check_totals()
        return files

    @classmethod
    def _zipfile(cls, path: Path, limits: Limits) -> ExportFiles:
        try:
            _count_zip_entries(path, limits)
            archive = zipfile.ZipFile(path)
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError) as error:
            raise InvalidInput(f"{path}: not a readable zip file ({error}); is the download "
                               "complete?") from None
        sizes: dict[str, int] = {}
        entries: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = _safe_name(info.filename, str(path))
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise UnsafeExport(f"{path}: entry {info.filename!r} is a symbolic link; "
                                   "refusing the export")
            if info.is_dir():
                continue
            _refuse_duplicate(sizes, name, info.filename, path)
            _refuse_unreadable(info, path)
            if info.file_size > limits.max_entry_bytes:
                raise UnsafeExport(f"{path}: entry {name!r} would expand to "
                                   f"{info.file_size:,} bytes, over the limit")
            if info.file_size > 1 << 20 and \
                    info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise UnsafeExport(f"{path}: entry {name!r} expands {info.file_size:,} bytes "
                                   f"from {info.compress_size:,}: a zip bomb; refusing")
            sizes[name] = info.file_size
            entries[name] = info
        files = cls(path, "zip", sizes, limits)
        files._check_totals()
        files._zip, files._entries = archive, entries
        return files

    @classmethod
    def _tarfile(cls, path: Path, limits: Limits) -> ExportFiles:
        try:
            archive = tarfile.open(path)
            members = _tar_members(archive, path, limits)
        except (tarfile.TarError, OSError, EOFError) as error:
            raise InvalidInput(f"{path}: not a readable tar archive ({error}); is the "
                               "download complete?") from None
        sizes: dict[str, int] = {}
        entries: dict[str, tarfile.TarInfo] = {}
        for member in members:
            name = _safe_name(member.name, str(path))
            if member.issym() or member.islnk():
                raise UnsafeExport(f"{path}: entry {member.name!r} is a link; refusing the "
                                   "export")
            if member.isdir():
                continue
            if not member.isfile():
                raise UnsafeExport(f"{path}: entry {member.name!r} is a device or special "
                                   "file; refusing the export")
            _refuse_duplicate(sizes, name, member.name, path)
            if member.size > limits.max_entry_bytes:
                raise UnsafeExport(f"{path}: entry {name!r} is {member.size:,} bytes, over "
                                   "the limit")
            sizes[name] = member.size
            entries[name] = member
        files = cls(path, "tar", sizes, limits)
        files._check_totals()
        files._tar, files._entries = archive, entries
        return files

    def _check_totals(self) -> None:
        if len(self.sizes) > self.limits.max_entries:
            raise UnsafeExport(f"{self.path}: {len(self.sizes):,} entries, over the limit of "
                               f"{self.limits.max_entries:,}")
        total = sum(self.sizes.values())
        if total > self.limits.max_total_bytes:
            raise UnsafeExport(f"{self.path}: would expand to {total:,} bytes, over the limit "
                               f"of {self.limits.max_total_bytes:,}")

    # -- reading ------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self.sizes)

    @property
    def part_paths(self) -> list[Path]:
        """The parts read, for an export split into several (else none)."""
        return [part.path for part in self.parts]

    def find(self, pattern: str) -> list[str]:
        """Files whose *name* (not whole path) matches a glob: export layouts move
        files between folders from one era to the next."""
        return sorted(n for n in self.sizes if fnmatch.fnmatch(PurePosixPath(n).name, pattern))

    def open_file(self, name: str) -> BinaryIO:
        if name not in self.sizes:
            raise KeyError(name)
        where = f"{self.path}:{name}"
        try:
            if self._zip is not None:
                return _Capped(self._zip.open(self._entries[name]), self.sizes[name], where)
            if self._tar is not None:
                stream = self._tar.extractfile(self._entries[name])
                if stream is None:
                    raise KeyError(name)
                return _Capped(stream, self.sizes[name], where)
        except _DAMAGE as error:
            raise _damaged(where, error) from None
        if self.kind == "file":
            return open(self.path, "rb")
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open_file(name) as stream:
            try:
                return stream.read()
            except OSError as error:  # (a damaged entry is already an InvalidInput)
                raise _damaged(self.where(name), error) from None

    def where(self, name: str) -> str:
        return str(self.path) if self.kind == "file" else f"{self.path}:{name}"

    def where_folder(self, name: str) -> str:
        """Where the folder holding the file `name` is."""
        folder = str(PurePosixPath(name).parent)
        return str(self.path) if folder == "." else f"{self.path}:{folder}/"

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        if self._tar is not None:
            self._tar.close()

    def __enter__(self) -> ExportFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _parts_beside(path: Path) -> list[Path]:
    """The parts of the split export `path` belongs to, in order: itself alone unless its
    name is a Takeout part's. A missing part in the numbering is refused: its files would
    be missing from the import, and kinds the export holds completely would be recorded
    deleted."""
    match = PART_NAME.fullmatch(path.name)
    if match is None:
        return [path]
    export, suffix = match["export"].lower(), (match["suffix"] or "").lower()
    numbered: dict[int, Path] = {}
    try:
        siblings = list(path.parent.iterdir())
    except OSError:  # a folder that may not be listed: the part named is all there is
        return [path]
    for sibling in siblings:
        other = PART_NAME.fullmatch(sibling.name)
        if other and other["export"].lower() == export and \
                (other["suffix"] or "").lower() == suffix:
            numbered[int(other["part"])] = sibling
    if len(numbered) > MAX_PARTS:  # (each is held open while the import reads)
        raise UnsafeExport(f"{path}: {len(numbered):,} parts of one split export beside it, "
                           f"over the limit of {MAX_PARTS}; refusing the export")
    missing = sorted(set(range(1, max(numbered) + 1)) - numbered.keys())
    if missing:
        width = len(match["part"])
        folder = "the current folder" if str(path.parent) == "." else path.parent
        names = ", ".join(f"{match['export']}-{n:0{width}d}{match['suffix'] or ''}"
                          for n in missing)
        raise InvalidInput(f"{path}: part of a Takeout export split into numbered parts, "
                           f"but {names} {'is' if len(missing) == 1 else 'are'} not beside it "
                           f"in {folder}: the parts are imported together, so put every "
                           "part in the same folder (or send every part with the upload) "
                           "and import again; nothing was imported")
    return [numbered[n] for n in sorted(numbered)]


class _Parts(ExportFiles):
    """The parts of one split export, read as one: each file is found in its own part,
    and the limits apply to all of them together. A file that several parts hold with the
    same bytes is one file; with other bytes (Takeout's `archive_browser.html`, the
    index page it writes into each part), the first part's copy keeps the name and each
    later copy is named after its part, `<part file name>/<name>`, so that nothing is
    read as if it were the only copy and nothing is dropped unsaid."""

    def __init__(self, path: Path, sizes: dict[str, int], limits: Limits,
                 parts: list[ExportFiles], homes: dict[str, tuple[ExportFiles, str]]) -> None:
        super().__init__(path, "parts", sizes, limits)
        self.parts = tuple(parts)
        self._homes = homes  # name -> (part, the name within it)

    @classmethod
    def of(cls, path: Path, paths: list[Path], limits: Limits) -> _Parts:
        parts: list[ExportFiles] = []
        try:
            sizes: dict[str, int] = {}
            homes: dict[str, tuple[ExportFiles, str]] = {}
            for part_path in paths:
                part = ExportFiles._one(part_path, limits)
                parts.append(part)
                for name, size in part.sizes.items():
                    here = name
                    if name in homes:
                        if _same_file(homes[name], (part, name)):
                            continue
                        here = f"{part_path.name}/{name}"
                    sizes[here], homes[here] = size, (part, name)
            files = cls(path, sizes, limits, parts, homes)
            files._check_totals()
        except BaseException:
            for part in parts:
                part.close()
            raise
        return files

    def open_file(self, name: str) -> BinaryIO:
        if name not in self._homes:
            raise KeyError(name)
        part, name_there = self._homes[name]
        return part.open_file(name_there)

    def where(self, name: str) -> str:
        if name in self._homes:
            part, name_there = self._homes[name]
            return part.where(name_there)
        return f"{self.path}:{name}"

    def where_folder(self, name: str) -> str:
        part, name_there = self._homes[name]
        return part.where_folder(name_there)

    def close(self) -> None:
        for part in self.parts:
            part.close()


def _same_file(one: tuple[ExportFiles, str], other: tuple[ExportFiles, str]) -> bool:
    (a, name_a), (b, name_b) = one, other
    if a.sizes[name_a] != b.sizes[name_b]:
        return False
    if a._zip is not None and b._zip is not None:  # (the CRCs the zips declare)
        if a._entries[name_a].CRC != b._entries[name_b].CRC:
            return False
    with a.open_file(name_a) as first, b.open_file(name_b) as second:
        while chunk := first.read(1 << 20):
            if chunk != second.read(len(chunk)):
                return False
    return True


class _Capped(io.RawIOBase):
    """Stops reading past the size the archive declared for an entry."""

    def __init__(self, stream: BinaryIO, limit: int, where: str) -> None:
        self._stream = stream
        self._left = limit
        self._where = where

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        try:
            data = self._stream.read(min(len(buffer), self._left + 1))
        except _DAMAGE as error:  # wherever the stream is read: a parser's loop too
            raise _damaged(self._where, error) from None
        if len(data) > self._left:
            raise UnsafeExport(f"{self._where}: holds more bytes than its header declares; "
                               "refusing the export")
        self._left -= len(data)
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._stream.close()
        super().close()


# What reading a damaged entry raises: a bad CRC, a broken deflate stream, a tar cut
# short (EOFError), a gzip stream with bad bytes (OSError subclasses).
_DAMAGE = (zipfile.BadZipFile, zlib.error, tarfile.TarError, EOFError, OSError)


def _damaged(where: str, error: BaseException) -> InvalidInput:
    return InvalidInput(f"{where}: cannot be read, the export is damaged ({error}); "
                        "download it again")


def _looks_like_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError):
        return False
