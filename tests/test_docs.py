"""Documentation keeps up with the code: every command and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click

import civicarchive
from civicarchive.cli import main

ROOT = Path(__file__).resolve().parents[1]


def commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
        else:
            found.append(f"{prefix}{name}")
    return found


def test_every_cli_command_and_option_is_in_the_reference():
    reference = (ROOT / "docs" / "cli.md").read_text()
    for name in commands(main):
        assert f"## `{name}" in reference, f"docs/cli.md has no section for {name}"
        command = main
        for part in name.split():
            command = command.commands[part]
        for param in command.params:
            for option in param.opts:
                if option.startswith("--") and option != "--help":
                    assert option in reference, f"docs/cli.md does not mention {name} {option}"


def test_every_environment_variable_is_documented():
    used = set()
    for path in Path(civicarchive.__file__).parent.rglob("*.py"):
        used |= set(re.findall(r"CIVICARCHIVE_[A-Z_]+", path.read_text()))
    documented = (ROOT / "docs" / "cli.md").read_text() + \
        (ROOT / "docs" / "configuration.md").read_text()
    assert used and all(name in documented for name in used), used


def test_readme_quick_start_has_exactly_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"^make \w+$", quick, flags=re.M)
    assert shown == ["make demo", "make test"]


def test_docs_index_links_every_document():
    index = (ROOT / "docs" / "README.md").read_text()
    for path in (ROOT / "docs").glob("*.md"):
        if path.name != "README.md":
            assert f"({path.name})" in index, f"docs/README.md does not link {path.name}"
