"""Every relative Markdown link in README.md and docs/**/*.md points at a file that exists.

Links are read outside fenced code blocks and inline code: inline ``[text](target)`` (images
too) and reference definitions ``[label]: target``. A target with a scheme (``https:``,
``mailto:``) or only an anchor (``#section``) is not a file and is skipped; for the others the
anchor and any query are cut off and the rest is resolved against the linking file's folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"`+[^`]*`+")
_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def markdown_files(root: Path = ROOT) -> list[Path]:
    """README.md at the root and every Markdown file under docs/."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def link_targets(text: str) -> list[tuple[int, str]]:
    """``(line number, target)`` of every link in ``text``, outside code.

    >>> link_targets("see [a](a.md) and `[b](b.md)`\\n```\\n[c](c.md)\\n```\\n[d]: d.md#x")
    [(1, 'a.md'), (5, 'd.md#x')]
    """
    found: list[tuple[int, str]] = []
    in_fence = False
    for number, line in enumerate(text.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        plain = _INLINE_CODE.sub("", line)
        found.extend((number, m.group(1)) for m in _INLINE_LINK.finditer(plain))
        reference = _REFERENCE.match(plain)
        if reference is not None:
            found.append((number, reference.group(1)))
    return found


def local_path(target: str) -> str | None:
    """The file part of a relative link, or ``None`` for a URL with a scheme or an anchor only.

    >>> local_path("guide/README.md#routes"), local_path("https://x.org/a.md"), local_path("#top")
    ('guide/README.md', None, None)
    """
    if _SCHEME.match(target) or target.startswith("#"):
        return None
    return re.split(r"[#?]", target, maxsplit=1)[0] or None


def broken_links(files: list[Path], root: Path = ROOT) -> list[str]:
    """``FILE:LINE: target`` for every relative link whose file does not exist."""
    broken: list[str] = []
    for file in files:
        for number, target in link_targets(file.read_text(encoding="utf-8")):
            path = local_path(target)
            if path is not None and not (file.parent / path).exists():
                broken.append(f"{file.relative_to(root)}:{number}: {target}")
    return broken


def test_every_relative_link_in_the_docs_resolves() -> None:
    files = markdown_files()
    assert (ROOT / "docs" / "guide" / "README.md") in files
    assert broken_links(files) == []


def test_the_docs_do_link_to_each_other() -> None:
    # Guards the checker itself: were the pattern to stop matching, no link would ever be broken.
    targets = [t for f in markdown_files() for _, t in link_targets(f.read_text(encoding="utf-8"))]
    assert "docs/guide/README.md" in targets
    assert len(targets) > 20


def test_a_missing_file_is_reported_with_its_place(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# here\n", encoding="utf-8")
    page = tmp_path / "docs" / "page.md"
    page.write_text("ok [here](here.md#top) and [web](https://x.org)\n\nbad [there](nope/gone.md#x)\n")
    assert broken_links([page], tmp_path) == ["docs/page.md:3: nope/gone.md#x"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("../cli.md", "../cli.md"),
        ("cli.md?plain=1#run", "cli.md"),
        ("HTTP://example.com/x.md", None),
        ("mailto:team@example.com", None),
        ("#exit-codes", None),
    ],
)
def test_local_path(target: str, expected: str | None) -> None:
    assert local_path(target) == expected
