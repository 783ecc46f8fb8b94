"""README stays true: its test command is what CI runs, and its examples are real output."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sms_cli.app import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_install_and_the_test_command() -> None:
    install, tests = fenced_blocks("sh")[:2]
    assert "pip install ." in install and "smsctl split" in install
    assert "pip install -e '.[test]'" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = fenced_blocks("sh")[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def console_examples() -> list[tuple[str, str]]:
    """`$ smsctl ...` blocks with their output, from README and every page under docs/."""
    examples = []
    blocks = [
        block
        for page in DOCS
        for block in re.findall(r"```console\n(.*?)```", page.read_text(), flags=re.S)
    ]
    for block in blocks:
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            examples.append((command, expected.rstrip("\n")))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_readme_console_examples_are_real_output(command: str, expected: str) -> None:
    args = shlex.split(command)
    assert args[0] == "smsctl"
    result = CliRunner().invoke(app, args[1:], prog_name="smsctl")
    assert result.exit_code == 0
    assert result.stdout.rstrip("\n") == expected


# -- the generated reference and man pages ------------------------------------------------------

sys.path.insert(0, str(ROOT / "scripts"))

import generate_docs  # noqa: E402


def test_reference_and_man_pages_are_fresh() -> None:
    stale = generate_docs.stale()
    assert stale == [], f"stale: {', '.join(stale)}; run: python scripts/generate_docs.py"


def test_every_command_has_a_reference_page_and_a_man_page() -> None:
    import typer.main

    command = typer.main.get_command(app)
    names = list(getattr(command, "commands", {}))
    assert "send" in names and "profile" in names
    for name in names:
        assert (ROOT / "docs" / "reference" / f"{name}.md").is_file(), name
        assert (ROOT / "man" / f"smsctl-{name}.1").is_file(), name
    assert (ROOT / "man" / "smsctl.1").is_file()


def test_the_generated_pages_do_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    first = generate_docs.generate()
    monkeypatch.setenv("COLUMNS", "37")
    monkeypatch.setenv("NO_COLOR", "1")
    assert generate_docs.generate() == first


def test_man_pages_are_roff_without_raw_control_lines_or_non_ascii() -> None:
    for page in sorted((ROOT / "man").glob("*.1")):
        text = page.read_text(encoding="utf-8")
        assert text.startswith('.TH "'), page.name
        assert text.isascii(), page.name
        for line in text.splitlines():
            # A line that starts with a dot or quote is a request; only ours may be.
            if line.startswith((".", "'")):
                assert re.match(r"^\.(TH|SH|PP|TP|B|\\\") ?", line), (page.name, line)


# -- links between the pages -----------------------------------------------------------------

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _prose(text: str) -> str:
    """The text outside fenced blocks and code spans, where a link is a link."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def heading_anchors(page: Path) -> set[str]:
    """The anchors GitHub makes for a page's headings: lower case, punctuation dropped, spaces
    as hyphens, a repeated heading numbered."""
    anchors: set[str] = set()
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6} +(.+?) *#*$", text, flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in anchors:
            number += 1
            candidate = f"{slug}-{number}"
        anchors.add(candidate)
    return anchors


def relative_links(page: Path) -> list[str]:
    targets = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", _prose(page.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def test_every_relative_link_points_to_a_file_and_heading_that_exist() -> None:
    broken = []
    for page in PAGES:
        for target in relative_links(page):
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            where = f"{page.relative_to(ROOT)}: ({target})"
            if not destination.exists():
                broken.append(f"{where}: no such file")
            elif anchor and (
                destination.suffix != ".md" or anchor not in heading_anchors(destination)
            ):
                broken.append(f"{where}: no heading #{anchor}")
    assert broken == [], "\n".join(broken)


def test_the_link_check_sees_a_broken_link_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A `page`: here\n\n## Twice\n\n## Twice\n")
    page = tmp_path / "b.md"
    page.write_text("[ok](a.md#a-page-here) [gone](nope.md) `[code](x.md)`\n")
    assert heading_anchors(tmp_path / "a.md") == {"a-page-here", "twice", "twice-1"}
    assert relative_links(page) == ["a.md#a-page-here", "nope.md"]


def test_the_guide_has_a_table_of_contents_linking_every_page() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = {
        (ROOT / "docs" / target.partition("#")[0]).resolve()
        for target in relative_links(ROOT / "docs" / "index.md")
    }
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name != "index.md":
            assert page.resolve() in linked, f"docs/index.md does not link {page.name}"
    assert "reference/index.md" in index
    readme_links = relative_links(ROOT / "README.md")
    assert "docs/index.md" in readme_links


def test_readme_is_a_short_front_page() -> None:
    lines = README.splitlines()
    assert len(lines) <= 150
    for install in ("pipx install .", "uv tool install ."):
        assert install in README


# -- PROVIDERS.md is not in the repository: nothing shown to a user may point at it ------------


def _help_texts() -> Iterator[tuple[str, str]]:
    import typer.main

    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, str]]:
        result = CliRunner().invoke(app, [*path, "--help"], prog_name="smsctl")
        yield " ".join(["smsctl", *path, "--help"]), result.output
        for name in getattr(command, "commands", {}):
            yield from walk(command.commands[name], [*path, name])

    yield from walk(typer.main.get_command(app), [])


def test_nothing_shown_to_a_user_points_to_providers_md() -> None:
    shown = [(str(page.relative_to(ROOT)), page.read_text(encoding="utf-8")) for page in PAGES]
    shown += list(_help_texts())
    providers = CliRunner().invoke(app, ["providers", "--json"])
    assert providers.exit_code == 0, providers.output
    shown.append(("smsctl providers --json", providers.stdout))
    shown.append(("smsctl providers", CliRunner().invoke(app, ["providers"]).stdout))
    assert len(shown) > 40
    assert [where for where, text in shown if "PROVIDERS.md" in text] == []


# -- docs/json.md covers every command that has --json ---------------------------------------


def commands_with_json() -> list[str]:
    import typer.main

    found = []

    def walk(command: Any, path: list[str]) -> None:
        if any("--json" in getattr(param, "opts", ()) for param in command.params):
            found.append(" ".join(path))
        for name, child in getattr(command, "commands", {}).items():
            walk(child, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_with_json_has_its_schema_in_docs_json_md() -> None:
    text = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    commands = commands_with_json()
    assert {"send", "status", "log", "split", "bulk show", "profile list"} <= set(commands)
    missing = [c for c in commands if f"smsctl {c} --json" not in text and f"`{c}`" not in text]
    assert missing == [], f"docs/json.md does not describe --json of: {', '.join(missing)}"
