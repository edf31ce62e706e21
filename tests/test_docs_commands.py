"""Every command the documentation shows runs, and prints what the documentation says it prints.

The commands are read from README.md and docs/*.md, not copied here, so a
command added to or changed in the docs is tested as written:

- every line of a ```` ```sh ````, ```` ```bash ```` or ```` ```console ```` block (a ``$ `` prompt is
  dropped), and every ``$ `` line of a ```` ```text ```` block;
- every inline code span that is a complete ``dcecon`` command: a subcommand
  with its scenario (``dcecon run coreweave-q3-2025``), or ``dcecon macro
  ...`` / ``dcecon scenarios``. Spans that only name a command (``dcecon
  grid``, ``dcecon run NAME``, ``dcecon run --json``) are not commands.

The README's two "install and run" lines (``python3 -m venv .venv && .
.venv/bin/activate && pip install ... && CMD``) are run as the part after the
install, ``CMD``: the install needs the network and minutes, and this test
runs against the package that is installed already (the ``dcecon`` next to
this interpreter, first on ``PATH``). ``python -m pytest`` itself is not run.

Each command runs with ``bash -c`` exactly as written, in a fresh temporary
folder holding a copy of the repository's ``scenarios/`` and ``benchmarks/``
(what a user on a fresh clone has), and must exit 0. What it must print
comes from the documentation too:

- a ```` ```text ```` block right after the command's block (or after the
  paragraph of an inline command) is its output, trimmed: every line of it
  that is not a cut (``…``) must appear in the command's output (standard
  output and standard error), compared with the table rules and runs of
  spaces removed and the timings (``model time 1.9 ms``, ``in 0.02 s (90.3 k
  scen/s``) masked;
- ``$ `` lines in a text block are followed by their output: a documented
  error, ``dcecon: error: ...``, means exit status 2 with exactly that one
  line on standard error;
- figures quoted in the prose next to an inline command are listed in
  :data:`PROSE_FIGURES` (each must still be quoted in that file, and must
  appear in the output).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
SUBCOMMANDS_WITH_SCENARIO = ("run", "grid", "calibrate")
SUBCOMMANDS_WITHOUT_SCENARIO = ("macro", "scenarios")
INSTALL_STEPS = (re.compile(r"^python3? -m venv\b"), re.compile(r"^(\.|source) \S*activate$"),
                 re.compile(r"^(python3? -m )?pip install\b"))
"""The steps of the README's install lines that this test does not repeat."""
COMMAND_TIMEOUT_S = 600
"""Seconds one documented command may take (the 10^7-scenario grid takes about 10 s on 2 cores)."""

PROSE_FIGURES = {
    ("README.md", "dcecon run scenarios/h100-neocloud-2024.toml"): ("15.7%", "7.6%", "$1.686"),
    ("README.md", "dcecon run scenarios/gb200-nvl72-2025.toml --set cohorts.0.it_power_mw=166667 --set "
                  "horizon_years=1"): ("1,507 TWh", "$123B", "$2.97T"),
    ("README.md", "dcecon run coreweave-q3-2025"): ("$1.36B", "$51.9M", "$310.6M", "0.17x"),
    ("README.md", "dcecon run hyperscaler-useful-lives"): ("$2.9B", "$176B"),
    ("README.md", "dcecon macro --demand-gw 200"): ("$140.16B", "1,752 TWh", "$2T", "$600B"),
}
"""Figures the prose quotes in the section of a command (README "What the report shows", "Power at 200 GW",
"Valuation and the public claims"): each is quoted in that section and printed by the command, to the
precision quoted (``$123B`` is met by ``$122.96B``), other than in the report's first line (which echoes the
scenario's description)."""


@dataclass(frozen=True)
class DocCommand:
    """One command shown in the documentation.

    Attributes
    ----------
    path : str
        The documentation file, relative to the repository root.
    line : int
        Line of the command in that file [1-based].
    command : str
        The command as the documentation shows it.
    run : str or None
        What this test runs (the command less an install prefix); None when nothing is left to run.
    output : tuple of str
        The output the documentation shows for it (possibly trimmed), one line each.
    """

    path: str
    line: int
    command: str
    run: str | None
    output: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def without_install(command: str) -> str | None:
    """The part of ``command`` after the README's install steps, or None when nothing else is left.

    Parameters
    ----------
    command : str
        A shell line, possibly ``python3 -m venv .venv && . .venv/bin/activate && pip install -e . && CMD``.

    Returns
    -------
    str or None
        ``CMD`` (the steps joined by `` && `` again), or None when only install steps remain.
    """
    steps = [step.strip() for step in command.split("&&")]
    if len(steps) == 1 or not any(p.search(steps[0]) for p in INSTALL_STEPS):
        return command
    rest = [step for step in steps if not any(p.search(step) for p in INSTALL_STEPS)]
    return " && ".join(rest) or None


def is_inline_command(span: str) -> bool:
    """Whether an inline code span is a complete ``dcecon`` command rather than a command's name.

    Parameters
    ----------
    span : str
        The text of an inline code span.

    Returns
    -------
    bool
        True for ``dcecon run SCENARIO ...``, ``dcecon grid SCENARIO ...``, ``dcecon calibrate SCENARIO
        ...`` (SCENARIO neither an option nor an upper-case placeholder) and ``dcecon macro ...`` /
        ``dcecon scenarios ...``.
    """
    words = span.split()
    if len(words) < 2 or words[0] != "dcecon":
        return False
    if words[1] in SUBCOMMANDS_WITHOUT_SCENARIO:
        return all(not w.isupper() for w in words[2:])
    if words[1] in SUBCOMMANDS_WITH_SCENARIO and len(words) > 2:
        return not words[2].startswith("-") and not words[2].isupper()
    return False


def _fences(lines):
    """``(start, stop, language)`` of each fenced block: lines ``start+1 .. stop-1`` are its body [0-based]."""
    blocks, start, language = [], None, None
    for number, line in enumerate(lines):
        stripped = line.strip()
        if start is None and stripped.startswith("```"):
            start, language = number, stripped[3:].strip().lower()
        elif start is not None and stripped == "```":
            blocks.append((start, number, language))
            start = None
    return blocks


def _text_block_after(lines, blocks, after_line):
    """The body of a ```text block whose fence follows line ``after_line`` (only blank lines between)."""
    for start, stop, language in blocks:
        if start > after_line:
            between = lines[after_line + 1:start]
            if language == "text" and all(not line.strip() for line in between):
                return tuple(line.rstrip() for line in lines[start + 1:stop])
            return ()
    return ()


def _prompt_commands(path, lines, start, stop):
    """``$ `` lines of a block, each with the lines after it up to the next prompt as its output."""
    found = []
    for number in range(start + 1, stop):
        text = lines[number].strip()
        if text.startswith("$ "):
            found.append([number, text[2:], []])
        elif found:
            found[-1][2].append(lines[number].rstrip())
    return [DocCommand(path, n + 1, c, without_install(c), tuple(o)) for n, c, o in found]


def _block_commands(path, lines, blocks, start, stop):
    """The lines of a shell block (``\\`` continuations joined, comments dropped)."""
    commands, pending = [], None
    for number in range(start + 1, stop):
        text = lines[number].strip()
        if text.startswith("$ "):
            text = text[2:]
        if pending is not None:
            pending = (pending[0], pending[1] + " " + text.rstrip("\\").strip())
        elif text and not text.startswith("#"):
            pending = (number, text.rstrip("\\").strip())
        if pending is not None and not text.endswith("\\"):
            commands.append(pending)
            pending = None
    output = _text_block_after(lines, blocks, stop)
    return [DocCommand(path, n + 1, c, without_install(c), output if i == len(commands) - 1 else ())
            for i, (n, c) in enumerate(commands)]


def _inline_commands(path, lines, blocks):
    """Inline ``dcecon ...`` spans outside fenced blocks; a text block right after the paragraph is the output."""
    inside = {n for start, stop, _ in blocks for n in range(start, stop + 1)}
    found = []
    for number, line in enumerate(lines):
        if number in inside:
            continue
        for span in re.findall(r"`([^`]+)`", line):
            if is_inline_command(span):
                end = number
                while end + 1 < len(lines) and lines[end + 1].strip() and end + 1 not in inside:
                    end += 1
                found.append(DocCommand(path, number + 1, span, span, _text_block_after(lines, blocks, end)))
    return found


def doc_commands(doc: Path) -> list[DocCommand]:
    """Every command shown in one documentation file, in file order.

    Parameters
    ----------
    doc : pathlib.Path
        A Markdown file of the repository.

    Returns
    -------
    list of DocCommand
        Its shell-block lines, its ``$ `` lines in text blocks and its inline commands.
    """
    path = doc.relative_to(ROOT).as_posix()
    lines = doc.read_text(encoding="utf-8").splitlines()
    blocks = _fences(lines)
    commands = []
    for start, stop, language in blocks:
        if language in SHELL_LANGUAGES:
            commands += _block_commands(path, lines, blocks, start, stop)
        elif language == "text":
            commands += _prompt_commands(path, lines, start, stop)
    commands += _inline_commands(path, lines, blocks)
    return sorted(commands, key=lambda c: c.line)


ALL_COMMANDS = [command for doc in DOC_FILES for command in doc_commands(doc)]

TIMINGS = (
    (re.compile(r"model time [\d.,]+ \S+"), "model time T"),
    (re.compile(r"in [\d.,]+ s \([\d.,]+ \S* ?scen/s"), "in T s (R scen/s"),
    (re.compile(r"estimated time: [\d.,]+ s"), "estimated time: T s"),
)
TABLE_RULES = re.compile(r"[│┃┏┓┗┛┡┩┣┫┳┻╇╋━─┼└┘┌┐├┤┬┴]")


def normalized(line: str) -> str:
    """A report line without table rules, runs of spaces or timings, for comparing doc output with real output."""
    for pattern, mask in TIMINGS:
        line = pattern.sub(mask, line)
    return " ".join(TABLE_RULES.sub(" ", line).split())


def documented_error(command: DocCommand) -> str | None:
    """The one ``dcecon: error: ...`` line a documented failing command prints, or None."""
    errors = [line.strip() for line in command.output if line.strip().startswith("dcecon: error: ")]
    return errors[0] if errors else None


def shows_figure(figure: str, printed: str) -> bool:
    """Whether ``printed`` shows ``figure`` to the precision the docs quote it.

    Parameters
    ----------
    figure : str
        A quoted figure: a number with its prefix and suffix, ``$123B``, ``1,507 TWh``, ``15.7%``.
    printed : str
        A command's output.

    Returns
    -------
    bool
        True when a number with the same prefix and suffix in ``printed`` rounds to the quoted one at the
        quoted number of decimals (``$122.96B`` shows ``$123B``; ``$1.23T`` does not).
    """
    prefix, number, suffix = re.fullmatch(r"(\D*?)(\d[\d,]*(?:\.\d+)?)(.*)", figure).groups()
    decimals = len(number.partition(".")[2])
    wanted = float(number.replace(",", ""))
    pattern = re.escape(prefix) + r"(?<![\d.,])(\d[\d,]*(?:\.\d+)?)" + re.escape(suffix)
    return any(round(float(m.group(1).replace(",", "")), decimals) == wanted for m in re.finditer(pattern, printed))


def section_around(text: str, line: int) -> str:
    """The ``## `` section of a Markdown text that holds line ``line`` [1-based]."""
    lines = text.splitlines()
    starts = [n for n, text_line in enumerate(lines) if text_line.startswith("## ")]
    start = max((n for n in starts if n < line), default=0)
    stop = min((n for n in starts if n >= line), default=len(lines))
    return "\n".join(lines[start:stop])


def run_as_user(command: str, cwd: Path) -> subprocess.CompletedProcess:
    """``bash -c command`` in ``cwd`` with this interpreter's ``dcecon`` first on ``PATH``."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)


def fresh_clone_folder(tmp_path: Path) -> Path:
    """A folder with the repository's scenarios/ and benchmarks/, as the commands' working directory."""
    for name in ("scenarios", "benchmarks"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


def _param(command: DocCommand):
    marks = []
    if command.run is None:
        marks.append(pytest.mark.skip(reason="only installs the package"))
    elif re.match(r"python3? -m pytest\b", command.run):
        marks.append(pytest.mark.skip(reason="runs the test suite itself"))
    elif "--backend cupy" in command.run and importlib.util.find_spec("cupy") is not None:
        marks.append(pytest.mark.skip(reason="the docs show the error of a machine without CuPy"))
    return pytest.param(command, id=command.id, marks=marks)


def test_the_docs_show_the_commands_this_test_knows():
    """The extraction finds the README's main commands (a broken parser would otherwise pass silently)."""
    runs = {(c.path, c.run) for c in ALL_COMMANDS}
    assert ("README.md", "dcecon run scenarios/h100-neocloud-2024.toml") in runs
    assert ("README.md", "dcecon run scenarios/oracle-fy26q1-full-depreciation.toml") in runs
    assert ("README.md", "dcecon scenarios") in runs
    assert any(c.path == "docs/grid.md" and c.run.startswith("dcecon grid ") for c in ALL_COMMANDS)
    errors = [c for c in ALL_COMMANDS if documented_error(c)]
    assert len(errors) >= 4, "README 'Bad input' shows four failing commands"
    assert {c.run for c in ALL_COMMANDS if c.path == "README.md" and c.command.startswith("python3 -m venv")} \
        == {"dcecon run scenarios/h100-neocloud-2024.toml", "python -m pytest -q"}


@pytest.mark.parametrize("key", list(PROSE_FIGURES), ids=lambda k: f"{k[0]}:{k[1][:40]}")
def test_prose_figures_are_still_quoted_next_to_their_command(key):
    path, command = key
    shown = [c for c in ALL_COMMANDS if c.path == path and c.command == command]
    assert shown, f"{path} no longer shows `{command}`"
    section = section_around((ROOT / path).read_text(encoding="utf-8"), shown[0].line)
    for figure in PROSE_FIGURES[key]:
        assert figure in section, f"{path}: {figure!r} is no longer quoted next to `{command}`"


def test_a_figure_is_shown_to_the_quoted_precision():
    """Hand-made cases of :func:`shows_figure`: the README quotes $123B for a printed $122.96B."""
    assert shows_figure("$123B", "Power │ $122.96B │")
    assert shows_figure("1,507 TWh", "1,506.72 TWh")
    assert shows_figure("15.7%", "│ 15.7% │")
    assert not shows_figure("$123B", "$1.23T")
    assert not shows_figure("1,752 TWh", "11,752.00 TWh")
    assert not shows_figure("7.6%", "17.6%")


@pytest.mark.parametrize("command", [_param(c) for c in ALL_COMMANDS])
def test_documented_command_runs_as_shown(command: DocCommand, tmp_path):
    done = run_as_user(command.run, fresh_clone_folder(tmp_path))
    printed = done.stdout + done.stderr
    error = documented_error(command)
    if error is not None:
        assert done.returncode == 2, printed
        assert done.stderr.strip().splitlines() == [error], f"{command.id}: documented {error!r}\ngot {done.stderr}"
        return
    assert done.returncode == 0, f"{command.id}: `{command.run}` exited {done.returncode}\n{printed[-3000:]}"
    assert "Traceback" not in printed
    seen = "\n".join(normalized(line) for line in printed.splitlines())
    missing = [line for line in command.output if "…" not in line and normalized(line) not in seen]
    assert not missing, f"{command.id}: lines the docs show but `{command.run}` does not print:\n" + "\n".join(missing)
    report = "\n".join(done.stdout.splitlines()[1:])
    for figure in PROSE_FIGURES.get((command.path, command.command), ()):
        assert shows_figure(figure, report), f"{command.id}: the prose quotes {figure!r}; `{command.run}` shows no such figure"
