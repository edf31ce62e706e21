"""Docstrings, comments and docs cite sections of docs/model.md and public sources, never files outside the repository.

docs/model.md numbers its sections once and for all ("Section numbers are
stable: code cites them"); code, tests and docs cite them as
"docs/model.md §N". Checked here:

- docs/model.md has the sections 1-15, in order, with the titles they were
  given when the numbering was fixed (so a section cannot be renumbered or
  retitled without this test noticing);
- every "docs/model.md §N" (also "model.md §N" and "docs/model.md section
  N") in src/, kernels/, tests/, docs/, scenarios/ and README.md, and every bare "§N"
  inside docs/model.md itself, names a "## N." heading of docs/model.md;
- no file under src/, kernels/, tests/ (this file aside), docs/, scenarios/ or README.md
  cites the model specification that is not part of the repository
  ("model-spec", "spec §") or files of the folders beside it ("shared/",
  "seeds/", "public-figures.md"): a reader of the repository cannot open
  them, so a figure cites its public source (publisher, title, date, URL).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL_MD = ROOT / "docs" / "model.md"
THIS_FILE = Path(__file__).resolve()

TEXT_SUFFIXES = {".py", ".md", ".cuh", ".cu", ".cpp", ".h", ".hpp", ".toml", ".txt", ".cfg", ".json", ".yaml",
                 ".yml"}

STABLE_TITLES = {
    1: "Periods and ages",
    2: "Flows per GPU at age",
    3: "Depreciation",
    4: "Window P&L",
    5: "Investment view: what it covers",
    6: "Fleet investment view",
    7: "Cohort rows",
    8: "IRR, payback, break-evens",
    9: "Numbers and devices",
    10: "Calibration",
    11: "Price paths and token pricing",
    12: "Financing",
    13: "Book vs economic depreciation",
    14: "Macro layer and circular deals",
    15: "Useful lives",
}
"""The numbering fixed when the old specification's numbers were dropped (issue 9)."""

HEADING = re.compile(r"^## (\d+)\. (.*)$", re.MULTILINE)
CITATION = re.compile(r"(?:docs/)?model\.md\)?((?:(?:\s*,\s*|\s+and\s+|\s*-\s*|\s+)§\s?\d+)+"
                      r"|,?\s+sections?\s+\d+(?:(?:\s*,\s*|\s+and\s+|\s*-\s*)\d+)*)")
"""A citation: "docs/model.md §2, §3", "[model.md](model.md) §8" or "docs/model.md sections 2, 4, 6"."""
SECTION_NUMBER = re.compile(r"§\s?(\d+)")
NUMBER = re.compile(r"\d+")
FORBIDDEN = ("model-spec", "spec §", "shared/", "seeds/", "public-figures.md")


def _text_files(*roots):
    for root in roots:
        path = ROOT / root
        if path.is_file():
            yield path
            continue
        for file in sorted(path.rglob("*")):
            if (file.is_file() and file.suffix in TEXT_SUFFIXES and "__pycache__" not in file.parts
                    and not any(part.endswith(".egg-info") for part in file.parts)):
                yield file


def _headings():
    return {int(number): title for number, title in HEADING.findall(MODEL_MD.read_text(encoding="utf-8"))}


def _line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def test_model_md_keeps_its_stable_section_numbers_and_titles():
    found = HEADING.findall(MODEL_MD.read_text(encoding="utf-8"))
    numbers = [int(number) for number, _ in found]
    assert numbers == list(range(1, len(numbers) + 1)), f"sections out of order or missing: {numbers}"
    headings = _headings()
    for number, title in STABLE_TITLES.items():
        assert number in headings, f"docs/model.md lost its section {number} ({title})"
        assert headings[number].startswith(title), f"docs/model.md §{number} is now {headings[number]!r}"
    assert "Section numbers are stable: code cites them" in MODEL_MD.read_text(encoding="utf-8")


def test_every_cited_docs_model_md_section_exists():
    headings = _headings()
    missing, cited = [], 0
    for file in _text_files("src", "kernels", "tests", "docs", "scenarios", "README.md"):
        text = file.read_text(encoding="utf-8", errors="replace")
        spans = [(m.start(), m.group(1)) for m in CITATION.finditer(text)]
        if file == MODEL_MD:  # inside docs/model.md a bare "§N" cites its own section N
            spans = [(m.start(), m.group(0)) for m in SECTION_NUMBER.finditer(text)]
        for offset, span in spans:
            for number in (SECTION_NUMBER.findall(span) if "§" in span else NUMBER.findall(span)):
                cited += 1
                if int(number) not in headings:
                    missing.append(f"{file.relative_to(ROOT)}:{_line_of(text, offset)}: §{number}")
    assert not missing, "citations of sections docs/model.md does not have:\n" + "\n".join(missing)
    # The code does cite the page (the docstrings of model/, macro/, valuation/ and the kernels).
    assert cited > 50


def test_no_file_cites_the_specification_or_files_outside_the_repository():
    offending = []
    for file in _text_files("src", "kernels", "tests", "docs", "scenarios", "README.md"):
        if file.resolve() == THIS_FILE:
            continue
        text = file.read_text(encoding="utf-8", errors="replace")
        lowered = text.lower()
        for needle in FORBIDDEN:
            for m in re.finditer(re.escape(needle), lowered):
                line = _line_of(text, m.start())
                entry = f"{file.relative_to(ROOT)}:{line}: {text.splitlines()[line - 1].strip()}"
                if entry not in offending:  # a line citing "shared/public-figures.md" is listed once
                    offending.append(entry)
    assert not offending, ("cite docs/model.md §N or the public source (publisher, title, date, URL) "
                           "instead:\n" + "\n".join(offending))
