"""The compiler's command line as people meet it: ``--help`` of every command, shell completion, the progress
display on a terminal, and the note about the package name a build chose by default.

Help and completion run ``python -m arazzo_gen`` in a subprocess (as a shell runs it, with its environment);
the progress display runs under a pseudo-terminal, since it only shows on one.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "bad"
COMMANDS = [[], ["build"], ["check"]]


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "arazzo_gen", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def plain_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("_ARAZZO", "COMP_"))}
    env.update(COLUMNS="100", NO_COLOR="1", HOME=str(home), TERM="dumb")
    env.pop("FORCE_COLOR", None)
    return env


# -- help -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "arazzo-gen")
def test_help_has_no_type_placeholders_braces_or_lost_brackets(command, tmp_path: Path) -> None:
    result = run_cli(*command, "--help", env=plain_env(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Usage: arazzo-gen" in text
    assert not re.search(r"<(bool|str|path|int|text\|json\|sarif)>", text), text
    assert "{" not in text and "}" not in text, text
    assert "--help" in text
    if command:
        assert f"Usage: arazzo-gen {command[0]} [OPTIONS] SPECS" in text, text
        # the literal table name, not eaten as markup
        assert "[tool.arazzo-gen]" in text, text
        assert "--format [text|json|sarif]" in text or "--format FORMAT" in text, text
    else:
        assert "build" in text and "check" in text


# -- shell completion -------------------------------------------------------------------------------------
def test_show_completion_prints_a_bash_script_and_touches_no_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = plain_env(home)
    env["SHELL"] = "/bin/bash"
    result = run_cli("--show-completion", "bash", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "_ARAZZO_GEN_COMPLETE" in result.stdout
    assert "complete " in result.stdout  # bash's builtin registering the function
    assert list(home.iterdir()) == []  # no ~/.bashrc, no ~/.bash_completions written


def test_completion_protocol_completes_commands_and_options(tmp_path: Path) -> None:
    env = plain_env(tmp_path)
    env.update(_ARAZZO_GEN_COMPLETE="complete_bash", COMP_WORDS="arazzo-gen bu", COMP_CWORD="1")
    result = run_cli(env=env)
    assert result.returncode == 0, result.stderr
    assert "build" in result.stdout.split()
    env.update(COMP_WORDS="arazzo-gen build --for", COMP_CWORD="2")
    assert "--format" in run_cli(env=env).stdout.split()


# -- the package name chosen without configuration -----------------------------------------------------
def test_build_without_a_configured_package_name_says_which_it_chose(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "dangling_ref", tmp_path / "specs")
    env = plain_env(tmp_path)
    result = run_cli("build", "specs", "-o", "out", "--no-cache", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "arazzo_client").is_dir()
    notes = [line for line in result.stderr.splitlines() if "package name" in line]
    assert len(notes) == 1, result.stderr
    assert notes[0].startswith("note: no package name is configured; "), notes[0]
    assert "'arazzo_client'" in notes[0]
    assert '[tool.arazzo-gen] package = "..."' in notes[0] and "--package" in notes[0]

    named = run_cli("build", "specs", "-o", "out2", "--package", "pets", env=env, cwd=tmp_path)
    assert named.returncode == 0 and "package name" not in named.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.arazzo-gen]\npackage = "pets"\n')
    configured = run_cli("build", "specs", "-o", "out3", env=env, cwd=tmp_path)
    assert configured.returncode == 0 and "package name" not in configured.stderr
    quiet = run_cli(
        "build", "specs", "-o", "out", "-q", "--package", "arazzo_client", env=env, cwd=tmp_path
    )
    assert quiet.stderr == ""


# -- progress on a terminal -----------------------------------------------------------------------------
def run_on_terminal(args: list[str], cwd: Path, timeout: float = 120) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; its exit code and everything it printed."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CI")}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="40")
    process = subprocess.Popen(
        [sys.executable, "-m", "arazzo_gen", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    code = process.wait(timeout=10)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_progress_shows_stages_on_a_terminal_and_nothing_with_quiet(tmp_path: Path) -> None:
    # specs/ without the cache takes a few seconds: longer than the second the display waits for
    specs = ROOT / "specs"
    code, shown = run_on_terminal(
        ["build", str(specs), "-o", str(tmp_path / "out"), "--no-cache"], cwd=tmp_path
    )
    assert code == 0, shown
    for stage in ("models", "format"):
        assert stage in shown, shown
    assert "built 19 files" in shown or "built " in shown

    code, shown = run_on_terminal(
        ["build", str(specs), "-o", str(tmp_path / "out2"), "--no-cache", "--quiet"], cwd=tmp_path
    )
    assert code == 0, shown
    assert shown == "", shown


def test_no_progress_when_not_a_terminal(tmp_path: Path) -> None:
    specs = ROOT / "specs"
    result = run_cli("build", str(specs), "-o", str(tmp_path / "out"), "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr
    assert "models" not in result.stderr.lower().replace("models.py", "")
