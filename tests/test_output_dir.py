"""The output folder belongs to the user until proven otherwise (issue 5, output directory).

``arazzo-gen build SPECS -o OUT`` writes only into a folder that does not exist, is empty, or carries the
marker a previous build left (``.arazzo-gen-manifest.json``, listing what it wrote).  Everything else is
refused with exit 2 before anything is compiled or touched.  The swap of the new tree into place is atomic
and survives an interrupt or SIGKILL at any point: the next build restores and cleans up.

Every test runs the CLI in process from a temporary project folder holding ``specs/`` (the ``dangling_ref``
fixture, which builds with one warning), a ``.git`` folder and a user file, and checks that nothing that
arazzo-gen did not write is ever removed.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arazzo_gen import write
from arazzo_gen.cli import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, app
from arazzo_gen.write import LEFTOVER_MARKER, MANIFEST

FIXTURE = Path(__file__).parent / "fixtures" / "bad" / "dangling_ref"
ROOT = Path(__file__).resolve().parent.parent


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project: specs/, a .git folder and a notes file; the working directory is the project."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root / "specs")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (root / "notes.txt").write_text("my notes\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


def refused(stderr: str) -> str:
    """The refusal line (the only line of stderr: nothing was compiled)."""
    lines = stderr.strip().splitlines()
    assert lines and lines[0].startswith("error: refusing to write "), stderr
    return " ".join(line.strip() for line in lines)


# -- what is refused, with exit 2, and nothing touched ----------------------------------------------------
@pytest.mark.parametrize(
    ("out", "reason"),
    [
        (".", "it is the working directory"),
        ("./", "it is the working directory"),
        ("", "the output folder is '' (an unset variable?)"),
        ("specs", "it is the specs folder"),
        ("specs/", "it is the specs folder"),
        ("specs/..", "it is the working directory"),
    ],
)
def test_refuses_folders_that_hold_the_users_work(project: Path, out: str, reason: str) -> None:
    before = snapshot(project)
    code, stderr = run("build", "specs", "-o", out)
    assert code == EXIT_USAGE, stderr
    assert reason in refused(stderr)
    assert snapshot(project) == before
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "specs"]


def test_refuses_a_parent_that_contains_the_specs(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    before = snapshot(project)
    code, stderr = run("build", "../project/specs", "-o", "../project")
    assert code == EXIT_USAGE
    assert "it contains the specs folder" in refused(stderr)
    assert snapshot(project) == before
    code, stderr = run("build", "../project/specs", "-o", "..")
    assert code == EXIT_USAGE
    assert "it contains the working directory" in refused(stderr)
    assert snapshot(project) == before


def test_refuses_a_folder_holding_a_root_it_reads(project: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "apis"
    shared.mkdir(parents=True)
    code, stderr = run("build", "specs", "-o", str(tmp_path / "shared"), "--root", str(shared))
    assert code == EXIT_USAGE
    assert "it contains a --root folder" in refused(stderr)
    assert shared.is_dir()


def test_refuses_a_non_empty_folder_it_did_not_write(project: Path) -> None:
    other = project / "website"
    (other / "src").mkdir(parents=True)
    (other / "src" / "index.html").write_text("<p>hi</p>\n", encoding="utf-8")
    before = snapshot(project)
    code, stderr = run("build", "specs", "-o", "website")
    assert code == EXIT_USAGE
    message = refused(stderr)
    assert "website is not empty and was not written by arazzo-gen" in message
    assert MANIFEST in message
    assert snapshot(project) == before


def test_force_never_overrides_a_folder_without_the_marker(project: Path) -> None:
    (project / "mine").mkdir()
    (project / "mine" / "keep.txt").write_text("keep\n", encoding="utf-8")
    code, stderr = run("build", "specs", "-o", "mine", "--force")
    assert code == EXIT_USAGE
    assert "was not written by arazzo-gen" in refused(stderr)
    assert (project / "mine" / "keep.txt").read_text(encoding="utf-8") == "keep\n"


def test_refuses_a_file(project: Path) -> None:
    code, stderr = run("build", "specs", "-o", "notes.txt")
    assert code == EXIT_USAGE
    assert "notes.txt is a file, not a folder" in refused(stderr)
    assert (project / "notes.txt").read_text(encoding="utf-8") == "my notes\n"


def test_a_parent_that_is_a_file_is_a_usage_error_not_a_traceback(project: Path) -> None:
    code, stderr = run("build", "specs", "-o", "notes.txt/out")
    assert code == EXIT_USAGE
    assert "notes.txt is a file, so notes.txt/out cannot be created" in refused(stderr)
    assert "Traceback" not in stderr


def test_refuses_a_symlink_to_a_folder(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "precious.txt").write_text("precious\n", encoding="utf-8")
    (project / "link").symlink_to(target, target_is_directory=True)
    code, stderr = run("build", "specs", "-o", "link")
    assert code == EXIT_USAGE
    assert "link is a symbolic link" in refused(stderr)
    assert snapshot(target) == {"precious.txt": b"precious\n"}


def test_refuses_a_path_through_a_symlinked_folder(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    (project / "link").symlink_to(target, target_is_directory=True)
    code, stderr = run("build", "specs", "-o", "link/out")
    assert code == EXIT_USAGE
    assert "link is a symbolic link" in refused(stderr)
    assert list(target.iterdir()) == []
    # '..' after a symlink would leave through it: refused too, not normalised away lexically
    code, stderr = run("build", "specs", "-o", "link/../out2")
    assert code == EXIT_USAGE
    assert "link is a symbolic link" in refused(stderr)
    assert not (tmp_path / "out2").exists() and not (project / "out2").exists()


def test_refuses_the_filesystem_root() -> None:
    code, stderr = run("build", str(FIXTURE), "-o", "/")
    assert code == EXIT_USAGE
    assert "it is the filesystem root" in refused(stderr)


def test_refuses_the_home_folder(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    code, stderr = run("build", "specs", "-o", str(home))
    assert code == EXIT_USAGE
    assert "it is your home folder" in refused(stderr)
    code, stderr = run("build", "specs", "-o", str(tmp_path))
    assert code == EXIT_USAGE
    assert "it contains your home folder" in refused(stderr)


def test_refusal_comes_before_compiling(project: Path) -> None:
    """A usage error is reported at once: no diagnostics of the documents, nothing compiled."""
    code, stderr = run("build", "specs", "-o", ".")
    assert code == EXIT_USAGE
    assert "warning[" not in stderr


# -- what is written ----------------------------------------------------------------------------------------
def test_builds_into_a_new_folder_and_leaves_a_marker_listing_what_it_wrote(project: Path) -> None:
    code, stderr = run("build", "specs", "-o", "gen/out")
    assert code == EXIT_OK, stderr
    out = project / "gen" / "out"
    written = set(snapshot(out))
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["generator"] == "arazzo-gen"
    assert set(manifest["files"]) == written - {MANIFEST}
    assert "arazzo_client/__init__.py" in manifest["files"]
    assert manifest["files"] == sorted(manifest["files"])


def test_builds_into_an_empty_folder(project: Path) -> None:
    (project / "out").mkdir()
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert (project / "out" / MANIFEST).is_file()


def test_rebuilds_its_own_output_and_drops_caches(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    first = snapshot(out)
    cache = out / "arazzo_client" / "__pycache__"
    cache.mkdir()
    (cache / "__init__.cpython-311.pyc").write_bytes(b"\0")
    (out / ".mypy_cache").mkdir()
    (out / ".mypy_cache" / "x.json").write_text("{}", encoding="utf-8")
    (out / "arazzo_client.egg-info").mkdir()
    (out / "arazzo_client.egg-info" / "PKG-INFO").write_text("x", encoding="utf-8")
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert snapshot(out) == first


def test_refuses_its_own_output_holding_files_it_did_not_write_unless_forced(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    (out / "my_tests.py").write_text("assert True\n", encoding="utf-8")
    (out / "arazzo_client" / "helpers.py").write_text("x = 1\n", encoding="utf-8")
    before = snapshot(out)
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_USAGE
    message = refused(stderr)
    assert "out holds 2 file(s) that arazzo-gen did not write: arazzo_client/helpers.py, my_tests.py" in message
    assert "--force" in message
    assert snapshot(out) == before

    code, stderr = run("build", "specs", "-o", "out", "--force")
    assert code == EXIT_OK, stderr
    assert "my_tests.py" not in snapshot(out)


def test_a_tampered_marker_does_not_vouch_for_a_folder(project: Path) -> None:
    out = project / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work\n", encoding="utf-8")
    (out / MANIFEST).write_text("not json", encoding="utf-8")
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_USAGE
    assert "was not written by arazzo-gen" in refused(stderr)
    # a marker listing paths outside OUT does not vouch for them either
    (out / MANIFEST).write_text(json.dumps({"generator": "arazzo-gen", "files": ["../notes.txt"]}), "utf-8")
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_USAGE
    assert (out / "thesis.tex").exists() and (project / "notes.txt").exists()


def test_output_keeps_normal_permissions(project: Path) -> None:
    old = os.umask(0o022)
    try:
        assert run("build", "specs", "-o", "out")[0] == EXIT_OK
        assert run("build", "specs", "-o", "out")[0] == EXIT_OK  # the swapped-in tree too
    finally:
        os.umask(old)
    out = project / "out"
    assert stat.S_IMODE(out.stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "arazzo_client").stat().st_mode) == 0o755
    assert stat.S_IMODE((out / "pyproject.toml").stat().st_mode) == 0o644


def test_errors_in_the_documents_leave_its_own_output_untouched(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    before, inode = snapshot(out), out.stat().st_ino
    workflow = project / "specs" / "arazzo" / "pets.arazzo.yml"
    workflow.write_text(workflow.read_text(encoding="utf-8").replace("operationId: getPet", "operationId: nope"))
    code, _ = run("build", "specs", "-o", "out")
    assert code == EXIT_ERRORS
    assert snapshot(out) == before and out.stat().st_ino == inode


# -- --check ------------------------------------------------------------------------------------------------
def test_check_reports_files_the_marker_does_not_list(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    (project / "out" / "dist").mkdir()
    (project / "out" / "dist" / "notes.md").write_text("mine\n", encoding="utf-8")
    code, stderr = run("build", "specs", "-o", "out", "--check")
    assert code == EXIT_ERRORS
    assert "  extra     dist/notes.md (not written by arazzo-gen)" in stderr.splitlines()


def test_check_reports_a_missing_marker(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    (project / "out" / MANIFEST).unlink()
    code, stderr = run("build", "specs", "-o", "out", "--check")
    assert code == EXIT_ERRORS
    assert f"  missing   {MANIFEST}" in stderr.splitlines()


# -- interrupt-proof swap -----------------------------------------------------------------------------------
_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import arazzo_gen.write as write

    step, calls = sys.argv[1], {"n": 0}
    if sys.argv[2] == "fallback":
        def no_exchange(src, dst):
            raise OSError(38, "renameat2 not supported")
        write._exchange = no_exchange

    def die_at(name, real):
        def wrapper(*args, **kwargs):
            if name == step:
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(*args, **kwargs)
            if name + "-after" == step:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    write._publish = die_at("publish", write._publish)
    write._exchange = die_at("exchange", write._exchange)
    write._rename = die_at("rename", write._rename)
    write._remove_tree = die_at("remove", write._remove_tree)
    write.write_tree(Path(sys.argv[3]), {"pkg/__init__.py": "NEW = 1\\n"})
    """
)


def kill_during_swap(out: Path, mode: str, step: str) -> None:
    """Run :func:`write_tree` on ``out`` in a child process SIGKILLed at ``step`` (see ``_KILLER``)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, "-c", _KILLER, step, mode, str(out)], env=env, capture_output=True, text=True, check=False
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr


@pytest.mark.parametrize(
    ("mode", "step"),
    [
        ("exchange", "exchange"),
        ("exchange", "exchange-after"),
        ("exchange", "remove"),
        ("fallback", "rename"),
        ("fallback", "rename-after"),
        ("fallback", "remove"),
    ],
)
def test_sigkill_during_the_swap_never_loses_out_and_the_next_build_recovers(
    project: Path, mode: str, step: str
) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    old = snapshot(out)
    kill_during_swap(out, mode, step)
    # OUT is either the old tree, the new tree, or (fallback rename killed mid-way) missing with the old tree
    # restorable beside it, in the build's marked folder; the next build restores it, cleans every leftover
    # and builds
    if out.exists():
        assert snapshot(out) == old or set(snapshot(out)) == {"pkg/__init__.py", MANIFEST}
    else:
        saved = [p for p in project.iterdir() if p.name.startswith(".out.arazzo-gen-")]
        assert any(snapshot(p / "old") == old and (p / LEFTOVER_MARKER).is_file() for p in saved)
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert snapshot(out) == old
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


def test_a_missing_out_is_restored_from_an_interrupted_swap(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    old = snapshot(out)
    kill_during_swap(out, "fallback", "rename-after")  # OUT set aside, the new tree not yet in
    (saved,) = [p.name for p in project.iterdir() if p.name.startswith(".out.arazzo-gen-staging-")]
    assert not out.exists()
    # --check writes nothing, so it only says where the tree is
    code, stderr = run("build", "specs", "-o", "out", "--check")
    assert code == EXIT_ERRORS
    assert f"an interrupted build left out at {saved}/old" in stderr
    assert not out.exists()
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert f"restored out from an interrupted build ({saved}/old)" in stderr
    assert snapshot(out) == old
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


def test_leftovers_of_killed_builds_are_cleaned_by_the_next_build(project: Path) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    kill_during_swap(project / "out", "exchange", "exchange-after")  # its folder holds the old tree
    (project / ".out.arazzo-gen-staging-00000000000000aa").mkdir()  # killed between mkdir and the marker
    (project / ".out.arazzo-gen-staging-00000000000000bb").mkdir()  # killed before writing the marker
    (project / ".out.arazzo-gen-staging-00000000000000bb" / LEFTOVER_MARKER).touch()
    (project / ".out.something-else").mkdir()  # not ours: left alone
    (project / ".out.arazzo-gen-staging-00000000000000cc").mkdir()  # our name, content, no marker: the user's
    (project / ".out.arazzo-gen-staging-00000000000000cc" / "mine.txt").write_text("mine\n", encoding="utf-8")
    leftovers = [p for p in project.iterdir() if p.name.startswith(".out.arazzo-gen-staging-")]
    assert len(leftovers) == 4
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert "note: left .out.arazzo-gen-staging-00000000000000cc alone: it is named like a leftover" in stderr
    assert sorted(p.name for p in project.iterdir()) == [
        ".git", ".out.arazzo-gen-staging-00000000000000cc", ".out.something-else", "notes.txt", "out", "specs"
    ]  # fmt: skip


# -- folders beside OUT that only look like leftovers (issue 18) --------------------------------------------
def _user_lookalikes(project: Path) -> dict[str, dict[str, bytes]]:
    """Folders of the user's beside OUT (``gen``) named like an interrupted build's leftovers: the old loose
    patterns, our exact pattern without a marker, and one whose marker names another folder."""
    made = {
        ".gen.arazzo-gen-old-notes": {"gen/notes.txt": b"the user's notes\n"},
        ".gen.arazzo-gen-staging-mine": {"draft.txt": b"a draft\n"},
        ".gen.arazzo-gen-old-x": {"x.txt": b"x\n"},
        ".gen.arazzo-gen-old-0123456789abcdef": {"old/keep.txt": b"keep\n"},
        ".gen.arazzo-gen-staging-fedcba9876543210": {
            ".arazzo-gen-leftover.json": json.dumps(
                {"generator": "arazzo-gen", "out": str(project.parent / "elsewhere" / "gen"), "token": "fedcba9876543210"}
            ).encode(),
            "old/pkg/__init__.py": b"ELSEWHERE = 1\n",
        },
        ".gen.arazzo-gen-staging-1111111111111111": {  # this OUT's marker, copied under another token
            ".arazzo-gen-leftover.json": json.dumps(
                {"generator": "arazzo-gen", "out": str(project.resolve() / "gen"), "token": "2222222222222222"}
            ).encode(),
            "old/pkg/__init__.py": b"COPIED = 1\n",
        },
    }
    own = {"generator": "arazzo-gen", "out": str(project.resolve() / "gen")}
    deep, listed = "3333333333333333", "4444444444444444"
    made[f".gen.arazzo-gen-staging-{deep}"] = {LEFTOVER_MARKER: b"[" * 4000, "old/pkg/__init__.py": b"DEEP = 1\n"}
    made[f".gen.arazzo-gen-staging-{listed}"] = {
        LEFTOVER_MARKER: json.dumps([{**own, "token": listed}]).encode(),  # the right fields, in a list
        "old/pkg/__init__.py": b"LISTED = 1\n",
    }
    for folder, files in made.items():
        for name, data in files.items():
            (project / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (project / folder / name).write_bytes(data)
    # markers that are not regular files: a link to a right marker, a FIFO, a folder holding a right marker
    for token, make in (
        ("5555555555555555", lambda marker, right: marker.symlink_to(right)),
        ("6666666666666666", lambda marker, right: os.mkfifo(marker)),
        ("7777777777777777", lambda marker, right: (marker.mkdir(), (marker / "x").write_bytes(right.read_bytes()))),
    ):
        folder = project / f".gen.arazzo-gen-staging-{token}"
        (folder / "old").mkdir(parents=True)
        (folder / "old" / "keep.txt").write_bytes(b"keep\n")
        right = project / f"right-{token}.json"
        right.write_text(json.dumps({**own, "token": token}), encoding="utf-8")
        make(folder / LEFTOVER_MARKER, right)
        made[folder.name] = {}
    return {folder: _state(project / folder) for folder in made}


def _state(folder: Path) -> dict[str, object]:
    """Every entry below ``folder``: a file's bytes, a link's target, or the kind of anything else."""
    state: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        mode = path.lstat().st_mode
        name = path.relative_to(folder).as_posix()
        if stat.S_ISLNK(mode):
            state[name] = ("link", os.readlink(path))
        elif stat.S_ISREG(mode):
            state[name] = path.read_bytes()
        else:
            state[name] = stat.S_IFMT(mode)
    return state


@pytest.mark.parametrize("out_exists", [False, True])
def test_folders_that_only_look_like_leftovers_are_never_moved_or_deleted(project: Path, out_exists: bool) -> None:
    if out_exists:
        assert run("build", "specs", "-o", "gen")[0] == EXIT_OK
    before = _user_lookalikes(project)
    code, stderr = run("build", "specs", "-o", "gen", "--check")
    assert code == EXIT_ERRORS if not out_exists else code == EXIT_OK, stderr
    assert "interrupted build" not in stderr
    code, stderr = run("build", "specs", "-o", "gen")
    assert code == EXIT_OK, stderr
    assert "restored" not in stderr
    assert {folder: _state(project / folder) for folder in before} == before
    built = snapshot(project / "gen")
    assert MANIFEST in built and not any(name.endswith(".txt") for name in built)
    assert run("build", "specs", "-o", "gen", "--check")[0] == EXIT_OK


def test_the_folder_of_a_live_build_is_left_alone(project: Path) -> None:
    out = project / "out"
    with write._Leftover(out) as live:
        (live.folder / "new").mkdir()
        assert write.recover_output(out) is None
        assert (live.folder / "new").is_dir()  # a concurrent build's recovery does not touch it
    assert not live.folder.exists()


@pytest.mark.parametrize("name", ["../x", "../../x", "{root}/x", "pkg/../../x", "pkg\\..\\..\\x", ".arazzo-gen-manifest.json"])
def test_write_tree_never_writes_a_name_that_leaves_out(tmp_path: Path, name: str) -> None:
    out = tmp_path / "a" / "out"
    name = name.format(root=tmp_path)
    with pytest.raises(write.OutputRefused, match="refusing to write"):
        write.write_tree(out, {"pkg/__init__.py": "", name: "ESCAPED = 1\n"})
    assert list(tmp_path.iterdir()) == []  # nothing written, not even OUT's parent


def test_a_fifo_in_place_of_the_manifest_is_refused_not_a_hang(project: Path) -> None:
    (project / "out").mkdir()
    os.mkfifo(project / "out" / MANIFEST)  # opening it for reading would wait for a writer forever
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "arazzo_gen", "build", "specs", "-o", "out", "--no-cache"],
        cwd=project, env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "out is not empty and was not written by arazzo-gen" in result.stderr
    assert stat.S_ISFIFO((project / "out" / MANIFEST).lstat().st_mode)


# -- Ctrl-C between the two renames of a swap ---------------------------------------------------------------
def _interrupt_after_setting_out_aside(monkeypatch: pytest.MonkeyPatch, *, restore_fails: bool) -> None:
    """Swap by two renames (no renameat2) and raise KeyboardInterrupt just after OUT is renamed aside, as a
    Ctrl-C landing there would; with ``restore_fails``, putting it back fails as well."""

    def no_exchange(source: Path, target: Path) -> None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")

    real = write._rename

    def rename(source: Path, target: Path) -> None:
        if restore_fails and source.name == "old":
            raise OSError(errno.EIO, "input/output error")
        real(source, target)
        if target.name == "old":
            raise KeyboardInterrupt

    monkeypatch.setattr(write, "_exchange", no_exchange)
    monkeypatch.setattr(write, "_rename", rename)


def test_ctrl_c_after_out_is_set_aside_puts_it_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    old = snapshot(out)
    _interrupt_after_setting_out_aside(monkeypatch, restore_fails=False)
    with pytest.raises(KeyboardInterrupt):
        write.write_tree(out, {"pkg/__init__.py": "NEW = 1\n"})
    assert snapshot(out) == old
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


def test_ctrl_c_after_out_is_set_aside_keeps_it_for_the_next_build(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    out = project / "out"
    old = snapshot(out)
    with monkeypatch.context() as patched:
        _interrupt_after_setting_out_aside(patched, restore_fails=True)
        with pytest.raises(KeyboardInterrupt):
            write.write_tree(out, {"pkg/__init__.py": "NEW = 1\n"})
    assert not out.exists()
    (saved,) = [p for p in project.iterdir() if p.name.startswith(".out.arazzo-gen-staging-")]
    assert snapshot(saved / "old") == old and (saved / LEFTOVER_MARKER).is_file()  # never deleted with it
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert f"restored out from an interrupted build ({saved.name}/old)" in stderr
    assert snapshot(out) == old
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


# -- concurrent builds ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("moment", ["folder made", "marker made"])
def test_a_concurrent_build_never_removes_the_folder_of_a_starting_build(
    project: Path, monkeypatch: pytest.MonkeyPatch, moment: str
) -> None:
    """Another build's recovery runs just after this build made its folder, or its (still empty, unlocked)
    marker: the folder is never taken for a dead build's."""
    out = project / "out"
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    real_mkdir, real_open, busy = os.mkdir, os.open, []

    def concurrent_recovery() -> None:
        if not busy:
            busy.append(True)
            write.recover_output(out)
            busy.clear()

    def mkdir(path: object, *args: object, **kwargs: object) -> None:
        real_mkdir(path, *args, **kwargs)
        if moment == "folder made" and ".arazzo-gen-" in os.fspath(path):  # type: ignore[arg-type]
            concurrent_recovery()

    def open_(path: object, flags: int, *args: object, **kwargs: object) -> int:
        handle = real_open(path, flags, *args, **kwargs)
        if moment == "marker made" and flags & os.O_CREAT and os.fspath(path).endswith(LEFTOVER_MARKER):  # type: ignore[arg-type]
            concurrent_recovery()
        return handle

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)
    write.write_tree(out, {"pkg/__init__.py": "NEW = 1\n"})
    monkeypatch.undo()
    assert snapshot(out) == {"pkg/__init__.py": b"NEW = 1\n", MANIFEST: snapshot(out)[MANIFEST]}
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


def test_a_starting_build_killed_before_its_folder_is_named_is_cleaned_up(project: Path) -> None:
    """A build killed after writing its marker but before its folder got the leftover's name: removed by
    the next build (an empty such folder only once it is old: a build may be starting right now)."""
    assert run("build", "specs", "-o", "out")[0] == EXIT_OK
    kill_during_swap(project / "out", "exchange", "publish")
    (pending,) = [p for p in project.iterdir() if p.name.startswith(".out.arazzo-gen-pending-")]
    assert (pending / LEFTOVER_MARKER).stat().st_size > 0
    young = project / ".out.arazzo-gen-pending-00000000000000aa"
    young.mkdir()
    old = project / ".out.arazzo-gen-pending-00000000000000bb"
    old.mkdir()
    os.utime(old, (0, 0))
    code, stderr = run("build", "specs", "-o", "out")
    assert code == EXIT_OK, stderr
    assert sorted(p.name for p in project.iterdir()) == [".git", young.name, "notes.txt", "out", "specs"]


# -- file systems and platforms without flock ---------------------------------------------------------------
def test_a_file_system_without_locks_still_builds_and_leftovers_are_left_alone(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flock failing with ENOLCK (an NFS mount without a lock daemon) is no error: the build runs without a
    lock; another build cannot tell whether its folder is live, so leaves it alone and says so."""
    import fcntl

    def no_locks(handle: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "no locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    out = project / "out"
    write.write_tree(out, {"pkg/__init__.py": "ONE = 1\n"})
    write.write_tree(out, {"pkg/__init__.py": "TWO = 1\n"})
    assert (out / "pkg" / "__init__.py").read_text(encoding="utf-8") == "TWO = 1\n"
    notes: list[str] = []
    with write._Leftover(out) as live:
        assert write.recover_output(out, notes) is None
        assert live.folder.is_dir()
    assert len(notes) == 1 and "cannot be locked" in notes[0], notes
    assert sorted(p.name for p in project.iterdir()) == [".git", "notes.txt", "out", "specs"]


_NO_POSIX = textwrap.dedent(
    """
    import os, sys
    sys.modules["fcntl"] = None  # as on Windows: no fcntl module, no effective user id, no POSIX open flags
    for name in ("geteuid", "O_NOFOLLOW", "O_NONBLOCK", "O_CLOEXEC"):
        delattr(os, name)
    from arazzo_gen.cli import app
    app(sys.argv[1:])
    """
)


def test_the_compiler_imports_and_builds_without_posix_calls(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):  # the second build is answered by the cache, and swaps OUT
        result = subprocess.run(
            [sys.executable, "-c", _NO_POSIX, "build", "specs", "-o", "out", "--cache-dir", "cache"],
            cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == EXIT_OK, result.stderr
    assert (project / "out" / MANIFEST).is_file()
    assert sorted(p.name for p in project.iterdir()) == [".git", "cache", "notes.txt", "out", "specs"]
