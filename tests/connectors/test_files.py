"""Hostile and broken exports are refused with a message naming the entry; nothing is
written anywhere while reading them."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from contextlib import nullcontext

import pytest

from civicarchive.connectors.files import ExportFiles, Limits, UnsafeExport
from civicarchive.errors import InvalidInput


def make_zip(path, entries: dict[str, bytes], symlink: str | None = None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


def test_files_reads_a_zip_and_finds_files_by_name(tmp_path):
    path = make_zip(tmp_path / "ok.zip", {"data/tweets.js": b"x", "media/a.jpg": b"jpg"})
    with ExportFiles.open(path) as files:
        assert files.kind == "zip" and files.find("tweets*.js") == ["data/tweets.js"]
        assert files.read("media/a.jpg") == b"jpg"
        assert files.where("media/a.jpg").endswith("ok.zip:media/a.jpg")


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil", "C:/evil",
                                  "..\\evil.txt"])
def test_files_refuses_zip_slip(tmp_path, name):
    path = make_zip(tmp_path / "slip.zip", {"ok.txt": b"x", name: b"owned"})
    with pytest.raises(UnsafeExport, match="refusing"):
        ExportFiles.open(path)
    assert not (tmp_path.parent / "evil.txt").exists()


def test_files_refuses_symlinks_in_zip_tar_and_folder(tmp_path):
    with pytest.raises(UnsafeExport, match="symbolic link"):
        ExportFiles.open(make_zip(tmp_path / "link.zip", {"ok": b"x"}, symlink="data/link"))
    tar_path = tmp_path / "link.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        info = tarfile.TarInfo("outbox.json")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        archive.addfile(info)
    with pytest.raises(UnsafeExport, match="is a link"):
        ExportFiles.open(tar_path)
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "ok.json").write_text("{}")
    os.symlink("/etc/passwd", folder / "passwd")
    with pytest.raises(UnsafeExport, match="symbolic link"):
        ExportFiles.open(folder)


def test_files_refuses_a_zip_bomb_before_decompressing(tmp_path):
    path = make_zip(tmp_path / "bomb.zip", {"huge.json": b"\0" * (50 * 1024 * 1024)})
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(UnsafeExport, match="zip bomb"):
        ExportFiles.open(path)


def test_files_caps_entries_and_total_size(tmp_path):
    path = make_zip(tmp_path / "many.zip", {f"f{i}": b"x" for i in range(20)})
    with pytest.raises(UnsafeExport, match="entries"):
        ExportFiles.open(path, Limits(max_entries=10))
    with pytest.raises(UnsafeExport, match="expand"):
        ExportFiles.open(path, Limits(max_total_bytes=10))


def test_files_refuses_a_tar_entry_larger_than_its_header(tmp_path):
    # a header that understates its size is caught while reading
    path = tmp_path / "liar.tar"
    with tarfile.open(path, "w") as archive:
        info = tarfile.TarInfo("outbox.json")
        info.size = 4
        archive.addfile(info, io.BytesIO(b"{}  "))
    with ExportFiles.open(path) as files:
        files.sizes["outbox.json"] = 2  # as if the header had said 2
        with pytest.raises(UnsafeExport, match="more bytes than its header"):
            files.read("outbox.json")


def test_files_reports_a_truncated_zip(tmp_path):
    path = make_zip(tmp_path / "whole.zip", {"a.json": os.urandom(4000), "b.json": b"[]"})
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(InvalidInput, match="truncated.zip"):
        with ExportFiles.open(truncated) as files:
            for name in files.names():
                files.read(name)


def test_files_reports_a_truncated_tar_gz(tmp_path):
    whole = tmp_path / "whole.tar.gz"
    with tarfile.open(whole, "w:gz") as archive:
        data = os.urandom(200_000)
        info = tarfile.TarInfo("outbox.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    truncated = tmp_path / "cut.tar.gz"
    truncated.write_bytes(whole.read_bytes()[:50_000])
    with pytest.raises(InvalidInput, match="cut.tar.gz.*(truncated|complete)"):
        with ExportFiles.open(truncated) as files:
            for name in files.names():
                files.read(name)


def test_files_opens_a_folder_and_a_single_file(tmp_path):
    (tmp_path / "export" / "data").mkdir(parents=True)
    (tmp_path / "export" / "data" / "x.json").write_text("[]")
    with ExportFiles.open(tmp_path / "export") as files:
        assert files.names() == ["data/x.json"] and files.read("data/x.json") == b"[]"
    with ExportFiles.open(tmp_path / "export" / "data" / "x.json") as files:
        assert files.kind == "file" and files.read(files.names()[0]) == b"[]"
    with pytest.raises(InvalidInput, match="no such file"):
        ExportFiles.open(tmp_path / "missing.zip")


@pytest.mark.parametrize("second", ["data/posts.json", "data\\posts.json", "data//posts.json"])
def test_files_refuses_a_zip_with_one_name_twice(tmp_path, second):
    path = tmp_path / "twice.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data/posts.json", b"[1]")
        with pytest.warns(UserWarning) if second == "data/posts.json" else nullcontext():
            archive.writestr(second, b"[2]")
    with pytest.raises(UnsafeExport, match=r"twice\.zip: entry .*posts\.json.* more than once"):
        ExportFiles.open(path)


def test_files_refuses_a_tar_with_one_name_twice(tmp_path):
    path = tmp_path / "twice.tar"
    with tarfile.open(path, "w") as archive:
        for data in (b"[1]", b"[2]"):
            info = tarfile.TarInfo("outbox.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    with pytest.raises(UnsafeExport, match="'outbox.json' appears more than once"):
        ExportFiles.open(path)


@pytest.mark.parametrize("name", ["./data/tweets.js", "data//tweets.js", "data\\tweets.js",
                                  "./data/./tweets.js"])
def test_files_reads_an_entry_by_its_normalised_name(tmp_path, name):
    # `tar czf export.tgz .` writes "./" names; Windows tools write backslashes.
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(name, b"tweets")
    with ExportFiles.open(target) as files:
        assert files.names() == ["data/tweets.js"]
        assert files.read("data/tweets.js") == b"tweets"
        assert files.open_file("data/tweets.js").read() == b"tweets"
    packed = tmp_path / "export.tgz"
    with tarfile.open(packed, "w:gz") as archive:
        info = tarfile.TarInfo(name.replace("\\", "/"))
        info.size = 6
        archive.addfile(info, io.BytesIO(b"tweets"))
    with ExportFiles.open(packed) as files:
        assert files.read("data/tweets.js") == b"tweets"


@pytest.mark.parametrize("damage", ["crc", "deflate"])
def test_files_says_a_damaged_entry_is_damaged(tmp_path, damage):
    target = tmp_path / "export.zip"
    data = os.urandom(2000).hex().encode()
    method = zipfile.ZIP_STORED if damage == "crc" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(target, "w", compression=method) as archive:
        archive.writestr("data/tweets.js", data)
    raw = bytearray(target.read_bytes())
    at = raw.find(data[:50]) if damage == "crc" else 60  # inside the stored or deflated bytes
    raw[at + 40] ^= 0xFF
    target.write_bytes(bytes(raw))
    with ExportFiles.open(target) as files:
        for read in (lambda: files.read("data/tweets.js"),
                     lambda: files.open_file("data/tweets.js").read()):
            with pytest.raises(InvalidInput, match=r"export\.zip:data/tweets\.js: cannot be "
                                                   r"read, the export is damaged"):
                read()


# -- an export split into numbered parts (Google Takeout) -------------------------------------

STAMP = "takeout-20261130T081502Z"


def test_files_reads_every_part_of_a_split_takeout_whichever_is_named(tmp_path):
    make_zip(tmp_path / f"{STAMP}-001.zip", {"Takeout/a.csv": b"one"})
    with tarfile.open(tmp_path / f"{STAMP}-002.tgz", "w:gz"):
        pass  # another export's format: not a part of this one
    make_zip(tmp_path / f"{STAMP}-002.zip", {"Takeout/b/c.csv": b"two"})
    make_zip(tmp_path / "takeout-20251201T000000Z-003.zip", {"Takeout/d.csv": b"other"})
    for named in ("001", "002"):
        with ExportFiles.open(tmp_path / f"{STAMP}-{named}.zip") as files:
            assert files.kind == "parts"
            assert sorted(files.names()) == ["Takeout/a.csv", "Takeout/b/c.csv"]
            assert files.read("Takeout/b/c.csv") == b"two"
            assert files.where("Takeout/a.csv") == f"{tmp_path / STAMP}-001.zip:Takeout/a.csv"
            assert files.where("Takeout/b/c.csv") == \
                f"{tmp_path / STAMP}-002.zip:Takeout/b/c.csv"
            assert [p.name for p in files.part_paths] == [f"{STAMP}-001.zip",
                                                         f"{STAMP}-002.zip"]


def test_files_a_single_part_is_an_ordinary_export(tmp_path):
    make_zip(tmp_path / f"{STAMP}-001.zip", {"Takeout/a.csv": b"one"})
    with ExportFiles.open(tmp_path / f"{STAMP}-001.zip") as files:
        assert files.kind == "zip" and files.part_paths == []


def test_files_refuses_a_split_takeout_with_a_part_missing(tmp_path):
    make_zip(tmp_path / f"{STAMP}-001.zip", {"Takeout/a.csv": b"one"})
    make_zip(tmp_path / f"{STAMP}-003.zip", {"Takeout/c.csv": b"three"})
    with pytest.raises(InvalidInput, match=rf"{STAMP}-002.zip is not beside it"):
        ExportFiles.open(tmp_path / f"{STAMP}-003.zip")
    (tmp_path / f"{STAMP}-001.zip").unlink()
    with pytest.raises(InvalidInput, match=rf"{STAMP}-001.zip, {STAMP}-002.zip are not"):
        ExportFiles.open(tmp_path / f"{STAMP}-003.zip")


def test_files_a_file_in_two_parts_is_one_file_or_two_named_apart(tmp_path):
    make_zip(tmp_path / f"{STAMP}-001.zip", {"Takeout/archive_browser.html": b"index of 1",
                                              "Takeout/same.txt": b"same"})
    make_zip(tmp_path / f"{STAMP}-002.zip", {"Takeout/archive_browser.html": b"index of 2",
                                              "Takeout/same.txt": b"same"})
    with ExportFiles.open(tmp_path / f"{STAMP}-001.zip") as files:
        assert sorted(files.names()) == ["Takeout/archive_browser.html", "Takeout/same.txt",
                                         f"{STAMP}-002.zip/Takeout/archive_browser.html"]
        assert files.read("Takeout/archive_browser.html") == b"index of 1"
        assert files.read(f"{STAMP}-002.zip/Takeout/archive_browser.html") == b"index of 2"
        assert files.where(f"{STAMP}-002.zip/Takeout/archive_browser.html") == \
            f"{tmp_path / STAMP}-002.zip:Takeout/archive_browser.html"


def test_files_limits_apply_to_all_parts_together_and_each_part_is_checked(tmp_path):
    make_zip(tmp_path / f"{STAMP}-001.zip", {f"Takeout/{n}.txt": b"x" for n in range(6)})
    make_zip(tmp_path / f"{STAMP}-002.zip", {f"Takeout/{n}.csv": b"x" for n in range(6)})
    with pytest.raises(UnsafeExport, match="12 entries, over the limit of 10"):
        ExportFiles.open(tmp_path / f"{STAMP}-001.zip", Limits(max_entries=10))
    make_zip(tmp_path / f"{STAMP}-002.zip", {"../escape.csv": b"x"})
    with pytest.raises(UnsafeExport, match="climbs out"):
        ExportFiles.open(tmp_path / f"{STAMP}-001.zip")


def test_files_folders_unpacked_from_the_parts_are_read_as_one(tmp_path):
    for number, name in (("001", "a.csv"), ("002", "b.csv")):
        (tmp_path / f"{STAMP}-{number}" / "Takeout").mkdir(parents=True)
        (tmp_path / f"{STAMP}-{number}" / "Takeout" / name).write_bytes(number.encode())
    with ExportFiles.open(tmp_path / f"{STAMP}-001") as files:
        assert sorted(files.names()) == ["Takeout/a.csv", "Takeout/b.csv"]
        assert files.read("Takeout/b.csv") == b"002"
        assert files.where_folder("Takeout/b.csv") == f"{tmp_path / STAMP}-002:Takeout/"


def test_files_refuses_more_parts_than_it_holds_open(tmp_path, monkeypatch):
    from civicarchive.connectors import files
    monkeypatch.setattr(files, "MAX_PARTS", 3)
    for number in range(1, 5):
        make_zip(tmp_path / f"{STAMP}-{number:03d}.zip", {f"Takeout/{number}.csv": b"x"})
    with pytest.raises(UnsafeExport, match="4 parts of one split export beside it, over the "
                                           "limit of 3"):
        ExportFiles.open(tmp_path / f"{STAMP}-001.zip")


def test_files_refuses_an_encrypted_zip_naming_the_entry(tmp_path):
    # zipfile raised a bare RuntimeError ("password required") when the entry was read
    path = make_zip(tmp_path / "locked.zip", {"data/tweets.js": b"window.YTD = []"})
    data = bytearray(path.read_bytes())
    data[6] |= 1  # the "encrypted" flag, in the local header and the central directory
    data[data.find(b"PK\x01\x02") + 8] |= 1
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=r"locked\.zip: entry 'data/tweets\.js' is "
                                           r"encrypted.*password"):
        ExportFiles.open(path)


def test_files_refuses_a_zip_compressed_in_a_way_it_cannot_read(tmp_path):
    # Windows' own zip writes Deflate64 (method 9) for large files; zipfile raised a bare
    # NotImplementedError when the entry was read
    path = make_zip(tmp_path / "deflate64.zip", {"data/tweets.js": b"window.YTD = []"})
    data = bytearray(path.read_bytes())
    data[8] = 9
    data[data.find(b"PK\x01\x02") + 10] = 9
    path.write_bytes(data)
    with pytest.raises(InvalidInput, match=r"deflate64\.zip: entry 'data/tweets\.js' is "
                                           r"compressed with method 9 \(Deflate64\)"):
        ExportFiles.open(path)


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_files_counts_entries_before_holding_each_in_memory(tmp_path, monkeypatch, kind):
    # a 60 MB tar.gz (or a zip) of ten million empty entries took gigabytes to list
    # before the count was checked: the count is checked as the entries are listed
    path = tmp_path / f"many.{kind}"
    listed = []
    if kind == "zip":
        make_zip(path, {f"f{i}": b"" for i in range(50)})
        monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", lambda self: pytest.fail(
            "the whole central directory was parsed"))
    else:
        with tarfile.open(path, "w:gz") as archive:
            for i in range(50):
                archive.addfile(tarfile.TarInfo(f"f{i}"), io.BytesIO(b""))
        header = tarfile.TarInfo.fromtarfile
        monkeypatch.setattr(tarfile.TarInfo, "fromtarfile", classmethod(
            lambda cls, tar: listed.append(1) or header(tar)))
    with pytest.raises(UnsafeExport, match="more than 10 entries"):
        ExportFiles.open(path, Limits(max_entries=10))
    assert len(listed) <= 12  # (one more to tell it is a tar)
