"""The rules --plot, --xlsx, --html and --force share (docs/outputs.md): paths checked before any work, nothing
replaced without --force, nothing half-written. Each format's own bad input is in test_plots.py,
test_workbook.py and test_html_report.py."""

from __future__ import annotations

import pytest

from dcecon.cli.main import main

SCENARIO = "h100-neocloud-2024"


def _files(folder):
    return {p.relative_to(folder): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_the_readme_command_writes_figures_workbook_and_report_into_one_new_folder(tmp_path, capsys, monkeypatch):
    """docs/outputs.md: an --xlsx or --html file may go into the folder --plot creates in the same command."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", SCENARIO, "--backend", "numpy", "--plot", "out/", "--xlsx", "out/h100.xlsx",
                 "--html", "out/h100.html"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-2:] == ["dcecon: wrote the workbook out/h100.xlsx", "dcecon: wrote the report out/h100.html"]
    assert err[-3].startswith("dcecon: wrote 8 files (PNG and SVG) to out/")
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"h100.xlsx", "h100.html", "rented-dollar.png"}


def test_a_file_in_a_folder_another_option_does_not_create_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "elsewhere" / "h100.xlsx"
    code = main(["run", "no-such-scenario", "--plot", str(tmp_path / "figures"), "--xlsx", str(target)])
    assert code == 2  # the output path is checked before the (missing) scenario is even looked up
    assert capsys.readouterr().err == (f"dcecon: error: --xlsx: {target}: its folder {target.parent} does not exist "
                                       "(create it first)\n")
    assert not (tmp_path / "figures").exists()


def test_an_existing_figure_stops_the_command_before_the_workbook_is_written(tmp_path, capsys):
    """Every target is checked once everything is rendered and before the first write: no half-written set."""
    (tmp_path / "rented-dollar.png").write_bytes(b"an earlier figure")
    code = main(["run", SCENARIO, "--backend", "numpy", "--plot", str(tmp_path), "--xlsx", str(tmp_path / "new.xlsx")])
    assert code == 2
    assert capsys.readouterr().err == (f"dcecon: error: --plot: {tmp_path / 'rented-dollar.png'}: exists; pass "
                                       "--force to replace it\n")
    assert [p.name for p in tmp_path.iterdir()] == ["rented-dollar.png"]
    assert (tmp_path / "rented-dollar.png").read_bytes() == b"an earlier figure"


def test_force_replaces_every_output(tmp_path, capsys):
    argv = ["run", SCENARIO, "--backend", "numpy", "--plot", str(tmp_path), "--xlsx", str(tmp_path / "a.xlsx"),
            "--html", str(tmp_path / "a.html")]
    assert main(argv) == 0
    before = _files(tmp_path)
    assert main(argv) == 2
    assert _files(tmp_path) == before
    assert main(argv + ["--force"]) == 0
    after = _files(tmp_path)
    assert after.keys() == before.keys() and all(after[k] != before[k] for k in before)


@pytest.mark.parametrize("option, name, message", [
    ("--xlsx", "report.xls", "give a file name ending in .xlsx"),
    ("--html", "report.pdf", "give a file name ending in .html or .htm"),
    ("--xlsx", "", "give a file to write"),
])
def test_file_names_are_checked(tmp_path, capsys, option, name, message):
    path = str(tmp_path / name) if name else ""
    assert main(["run", SCENARIO, option, path]) == 2
    err = capsys.readouterr().err
    assert err == (f"dcecon: error: {option}: {path}: {message}\n" if name else f"dcecon: error: {option}: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_given_as_the_file_is_refused(tmp_path, capsys):
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    assert main(["run", SCENARIO, "--xlsx", str(folder)]) == 2
    assert capsys.readouterr().err == f"dcecon: error: --xlsx: {folder}: is a folder; give a file name\n"


@pytest.mark.parametrize("option, what, kinds", [("--xlsx", "workbook", "fleet"), ("--plot", "figures", "fleet, macro"),
                                                 ("--html", "report", "fleet, macro")])
def test_run_refuses_an_output_its_kind_has_not(tmp_path, capsys, option, what, kinds):
    """ai-debt-2025 is a debt scenario (dcecon scenarios); bain-200gw-2030 a macro one."""
    name = "ai-debt-2025" if option != "--xlsx" else "bain-200gw-2030"
    kind = "debt" if option != "--xlsx" else "macro"
    target = tmp_path / {"--xlsx": "a.xlsx", "--plot": "figs", "--html": "a.html"}[option]
    assert main(["run", name, option, str(target)]) == 2
    assert capsys.readouterr().err == (f"dcecon: error: {option}: {name}: no {what} for a scenario of kind {kind!r} "
                                       f"yet; {option} writes kinds {kinds}\n")
    assert list(tmp_path.iterdir()) == []


def test_grid_force_also_allows_replacing_outputs(tmp_path, capsys):
    """dcecon grid has one --force: past the size guards and over existing --plot/--xlsx/--html files."""
    argv = ["grid", SCENARIO, "--axis", "cohorts.0.utilization=0.6:1:3", "--backend", "numpy", "--quiet",
            "--html", str(tmp_path / "g.html")]
    assert main(argv) == 0
    assert main(argv) == 2
    assert "exists; pass --force to replace it" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0


def test_a_link_at_an_output_path_counts_as_an_existing_file(tmp_path, capsys):
    """docs/outputs.md: even a link to nowhere needs --force (the rename would replace it)."""
    link = tmp_path / "report.html"
    link.symlink_to(tmp_path / "nowhere.html")
    assert main(["run", SCENARIO, "--html", str(link)]) == 2
    assert capsys.readouterr().err == f"dcecon: error: --html: {link}: exists; pass --force to replace it\n"
    assert link.is_symlink() and not (tmp_path / "nowhere.html").exists()
