"""README's Python examples, and those of the project's other Markdown pages, run as written.

A reader copies an example and runs it: one that no longer works misleads more than none. Each
```` ```python ```` block runs in an interpreter of its own, in a fresh temporary directory, so a
block that names a file (``sqlite:///tenantry.db``) gets a new one and no block leans on another.
A block right after ``<!-- readme-test: skip (reason) -->`` is reported as skipped, with the
reason. The pages' Python blocks must also stay formatted (``ruff format`` formats Markdown code
blocks), and their links into the project must lead to a file and heading that exist.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = (ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted(ROOT.glob("docs/*.md")))

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<lang>[^\s`]*)")
_MARKER = "<!-- readme-test:"
_SKIP = re.compile(r"^<!-- readme-test: skip \((?P<reason>[^)]+)\) -->$")
_HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*$")
_LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


@dataclass(frozen=True)
class Block:
    """A fenced code block of a page."""

    page: Path
    line: int  # of the opening fence
    lang: str
    code: str
    skip: str | None  # the reason, when a marker says not to run it

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def parse(page: Path) -> tuple[list[Block], list[str]]:
    """The page's fenced code blocks, and its lines outside them (where headings and links are)."""
    blocks: list[Block] = []
    prose: list[str] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    fence: re.Match[str] | None = None
    body: list[str] = []
    previous = ""  # the last non-blank line of prose before a fence
    for number, line in enumerate(lines, 1):
        if fence is None:
            fence = _FENCE.match(line)
            if fence is None:
                prose.append(line)
                previous = line.strip() or previous
            else:
                start, body = number, []
            continue
        closing = line.strip()
        if closing.startswith(fence["fence"]) and set(closing) == {fence["fence"][0]}:
            skip = None
            if previous.startswith(_MARKER):
                marker = _SKIP.match(previous)
                if marker is None or fence["lang"] not in ("python", "py"):
                    raise ValueError(f"{page}:{start}: a marker must be a skip of a Python block")
                skip = marker["reason"]
            blocks.append(Block(page, start, fence["lang"], "\n".join(body) + "\n", skip))
            fence, previous = None, ""
        else:
            body.append(line)
    if fence is not None:
        raise ValueError(f"{page}:{start}: the code block is never closed")
    return blocks, prose


def python_examples() -> Iterator[Block]:
    for page in PAGES:
        blocks, _ = parse(page)
        yield from (b for b in blocks if b.lang in ("python", "py"))


def run_example(code: str, directory: Path) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` as a script in ``directory``, as a reader would: a new interpreter, the
    installed tenantry, no tenantry setting inherited from this environment."""
    script = directory / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTRY_")}
    env.pop("PERSISTENCE_MODULE", None)
    return subprocess.run(
        [sys.executable, script.name],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def anchor(title: str) -> str:
    """The fragment GitHub gives a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def anchors(prose: list[str]) -> set[str]:
    """The fragments of a page's headings; a repeated heading gets -1, -2, … as on GitHub."""
    found: set[str] = set()
    for line in prose:
        if heading := _HEADING.match(line):
            base = name = anchor(heading["title"])
            n = 0
            while name in found:
                n += 1
                name = f"{base}-{n}"
            found.add(name)
    return found


@pytest.mark.parametrize("example", list(python_examples()), ids=str)
def test_the_example_runs_as_written(example: Block, tmp_path: Path) -> None:
    if example.skip is not None:
        pytest.skip(example.skip)
    done = run_example(example.code, tmp_path)
    assert done.returncode == 0, f"the example at {example} failed:\n{done.stderr}"


def test_readme_has_python_examples_to_run() -> None:
    readme = [e for e in python_examples() if e.page == ROOT / "README.md"]
    assert len([e for e in readme if e.skip is None]) >= 4


def test_a_broken_example_fails(tmp_path: Path) -> None:
    broken = 'import tenantry\n\ntenantry.connect("memory://").get_organization("org_missing")\n'
    done = run_example(broken, tmp_path)
    assert done.returncode != 0
    assert "InvalidField" in done.stderr


def test_a_skip_marker_names_its_reason_and_belongs_to_a_python_block(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Text.\n\n<!-- readme-test: skip (needs a server) -->\n```python\nserve()\n```\n\n"
        "```sh\ntenantry demo\n```\n\n~~~py\nprint(1)\n~~~\n",
        encoding="utf-8",
    )
    blocks, _ = parse(page)
    assert [(b.line, b.lang, b.code, b.skip) for b in blocks] == [
        (4, "python", "serve()\n", "needs a server"),
        (8, "sh", "tenantry demo\n", None),
        (12, "py", "print(1)\n", None),
    ]
    for marker in ("<!-- readme-test: skip -->", "<!-- readme-test: x (y) -->"):
        page.write_text(f"{marker}\n```python\npass\n```\n", encoding="utf-8")
        with pytest.raises(ValueError, match="marker"):
            parse(page)


def test_the_pages_python_blocks_are_formatted() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *map(str, PAGES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_into_the_project_lead_to_a_file_and_heading(page: Path) -> None:
    _, prose = parse(page)
    for link in _LINK.finditer("\n".join(prose)):
        target = link["target"]
        if re.match(r"^[a-z]+:", target):
            continue  # a URL
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_file(), f"{page.name} links to {path}, which is not in the project"
        if fragment and linked.suffix == ".md":
            _, linked_prose = parse(linked)
            assert fragment in anchors(linked_prose), f"{page.name} links to {target}: no heading"
