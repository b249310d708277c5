"""`buergerbot catalogue check|reload` in-process (the parser of bot.cli.main, real files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.infra.paths import DATA_DIR


@pytest.fixture
def catalogue_dir(tmp_path: Path) -> Path:
    copy = tmp_path / "catalogue"
    shutil.copytree(DATA_DIR / "catalogue", copy)
    return copy


def test_check_reports_the_size_of_a_good_catalogue(catalogue_dir: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["catalogue", "check", "--dir", str(catalogue_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Katalog in Ordnung: ") and "Leistungen" in out and "16 Dienststellen" in out


def test_check_lists_every_problem(catalogue_dir: Path, capsys: pytest.CaptureFixture[str]):
    (catalogue_dir / "services" / "kaputt.yml").write_text("services:\n  - id: x\n", encoding="utf-8")
    offices = catalogue_dir / "offices.yml"
    offices.write_text(offices.read_text(encoding="utf-8").replace('mon: ["07:30-12:30", "14:00-16:00"]', "mon: [x]"))
    assert main(["catalogue", "check", "--dir", str(catalogue_dir)]) == 1
    err = capsys.readouterr().err
    assert "Fehler:" in err
    assert "services/kaputt.yml: Leistung 'x': 'name' fehlt" in err
    assert "offices.yml: Dienststelle 'buergeramt': Öffnungszeiten ungültig" in err


def test_check_reads_the_backend_setting(catalogue_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.setenv("BUERGERBOT_CATALOGUE_DIR", str(catalogue_dir))
    assert main(["catalogue", "check"]) == 0
    assert str(catalogue_dir) in capsys.readouterr().out


def test_reload_with_the_backend_down_says_so(capsys: pytest.CaptureFixture[str]):
    assert main(["catalogue", "reload", "--backend-url", "http://127.0.0.1:9"]) == 1
    assert "nicht erreichbar" in capsys.readouterr().err
