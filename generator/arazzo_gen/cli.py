"""Command line: ``arazzo-gen build SPECS -o OUT`` and ``arazzo-gen check SPECS``.

Exit codes: 0 built (or up to date with --check); 1 the documents have errors, or --check found OUT out of
date; 2 wrong usage; 3 an internal error of arazzo-gen (a bug: please report it); 4 with build --keep-going,
built without the workflows that have errors.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperArgument, TyperCommand

from . import __version__
from .cache import Cache, default_folder, others_can_write
from .config import ConfigError, PackageOptions, Settings, load_settings, package_name_problem
from .diagnostics import (
    Diagnostics,
    Severity,
    display_path,
    render_json,
    render_sarif,
    render_text,
    use_colour,
)
from .partial import LeftOut, compile_sound
from .pipeline import compile_specs
from .progress import SILENT, Progress
from .resolve.remote import LOCK_NAME, RemoteError, RemoteSources
from .resolve.sources import Rewrites
from .resolve.workspace import default_root
from .write import OutputRefused, differences, is_current, prepare_output, write_tree

EXIT_OK, EXIT_ERRORS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_PARTIAL = (
    4  # build --keep-going: OUT holds the sound workflows; the ones with errors were left out
)


class _Command(TyperCommand):
    """A command whose arguments show as their metavar (``SPECS``), in the usage line as in the list: typer's
    own rendering adds braces (``{SPECS}``) and a type placeholder (``<path>``) that the help text says better."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _Argument


class _Argument(TyperArgument):
    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self.display_name_raw + ("..." if self.nargs != 1 else "")]

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


# Plain help (rich_markup_mode=None): flags show no "<bool>", and help texts are printed as written, so
# "[tool.arazzo-gen]" is not taken for markup.  Completion: --install-completion / --show-completion.
app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Compile Arazzo workflows and the OpenAPI/Swagger documents they reference into a typed Python package.",
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"arazzo-gen {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """arazzo-gen: exit codes 0 ok, 1 errors in the documents (or --check differs), 2 usage, 3 internal error,
    4 built with --keep-going, leaving out the workflows with errors."""


_CONFIG_OPTION = typer.Option(
    "--config",
    help="Read [tool.arazzo-gen] from this TOML file instead of the nearest pyproject.toml.",
    metavar="FILE",
)


@app.command(cls=_Command, short_help="Build the package for SPECS into OUT.")
def build(
    specs: Annotated[
        Path,
        typer.Argument(
            help="A folder searched for Arazzo documents, or one Arazzo file.", metavar="SPECS"
        ),
    ],
    out_arg: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="OUT",
            help="Folder to write the generated package into: absent, empty, or written by arazzo-gen before.",
        ),
    ],
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing to OUT; exit 1 if OUT differs from a fresh build (never read from the cache).",
        ),
    ] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            metavar="NAME",
            help="Import name of the generated package (overrides [tool.arazzo-gen] package).",
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", metavar="[text|json|sarif]", help="How to print diagnostics."),
    ] = OutputFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace OUT even though it holds files arazzo-gen did not write (they are deleted).",
        ),
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="Build cache folder (default $ARAZZO_GEN_CACHE_DIR, else ~/.cache/arazzo-gen); keep it private.",
            metavar="DIR",
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the build cache.")
    ] = False,
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root",
            help="Also read files (source urls, $refs) under this folder; by default only the specs root is read.",
            metavar="DIR",
        ),
    ] = None,
    config: Annotated[Path | None, _CONFIG_OPTION] = None,
    fetch: Annotated[
        bool,
        typer.Option(
            "--fetch",
            help=f"Download remote http(s) source urls (pinned by SHA-256 in {LOCK_NAME}); never without it.",
        ),
    ] = False,
    keep_going: Annotated[
        bool,
        typer.Option(
            "--keep-going",
            help="Build the workflows without errors and leave out the others (reported; exit 4 when any is).",
        ),
    ] = False,
    durable: Annotated[
        bool,
        typer.Option(
            "--durable",
            help="Also build the durable variant of every workflow (DBOS Transact: resumes after a crash); "
            "the package then depends on dbos. Same as durable = true in [tool.arazzo-gen].",
        ),
    ] = False,
) -> None:
    """Build the package for every Arazzo document under SPECS into OUT (atomically)."""
    started = time.perf_counter()
    settings = _settings(specs, root, package, config)
    if fetch and check:
        typer.echo(
            "error: --check never downloads; build with --fetch first, then --check", err=True
        )
        raise typer.Exit(EXIT_USAGE)
    remote = _remote(specs, settings, cache_dir, fetch)
    diagnostics = _diagnostics(settings, strict)
    notes: list[str] = []
    try:
        out = prepare_output(out_arg, specs, roots=root, force=force, check=check, notes=notes)
    except OutputRefused as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    # said once the build has a package to name (after the diagnostics, so that they come first)
    unnamed = package is None and not settings.package_set and not quiet
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    shown = out_arg
    options = PackageOptions(
        package=package or settings.package,
        version=settings.version,
        specs_label=_specs_label(specs, settings.source),
        description=settings.description,
        durable=durable or settings.durable,
    )
    left = LeftOut() if keep_going else None
    cache = _cache(None if no_cache else (cache_dir or default_folder()), check)
    files = _compile(
        specs,
        options,
        diagnostics,
        root,
        cache,
        output_format,
        quiet,
        settings.rewrites,
        remote,
        left,
    )
    errors = diagnostics.count(Severity.ERROR)
    warnings = diagnostics.count(Severity.WARNING)
    if files is None:
        nothing = " (no workflow is free of errors)" if left is not None else ""
        typer.echo(
            f"error: {errors} error(s), {warnings} warning(s){nothing}; {shown} was left unchanged",
            err=True,
        )
        raise typer.Exit(EXIT_ERRORS)
    if unnamed:
        typer.echo(
            f"note: no package name is configured; building package '{settings.package}' (name it with "
            '[tool.arazzo-gen] package = "..." in a pyproject.toml beside SPECS or above it, or with --package '
            "NAME)",
            err=True,
        )
    partial = bool(left)
    if left:
        _left_out_notes(left)
    elapsed = time.perf_counter() - started
    if check:
        changed = differences(out, files)
        if changed:
            typer.echo(
                f"{shown} is out of date ({len(changed)} file(s)); rebuild with: arazzo-gen build {specs} -o {shown}",
                err=True,
            )
            for line in changed[:50]:
                typer.echo(f"  {line}", err=True)
            raise typer.Exit(EXIT_ERRORS)
        if not quiet:
            typer.echo(
                f"{shown} is up to date ({len(files)} files, {warnings} warning(s), {elapsed:.1f}s)",
                err=True,
            )
        raise typer.Exit(EXIT_PARTIAL if partial else EXIT_OK)
    if out.is_dir() and is_current(out, files):  # already exactly this build: leave it untouched
        if not quiet:
            typer.echo(
                f"{shown} is up to date, nothing written ({warnings} warning(s), {elapsed:.1f}s)",
                err=True,
            )
        raise typer.Exit(EXIT_PARTIAL if partial else EXIT_OK)
    try:
        with _progress(quiet) as progress:
            progress.stage("write", f"{len(files)} files")
            write_tree(out, files, force=force)
    except OutputRefused as error:  # OUT changed while the build ran
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if partial and left is not None:
        typer.echo(
            f"built {len(files)} files into {shown}, leaving out {len(left.workflows)} workflow(s) with errors "
            f"({errors} error(s), {warnings} warning(s), {elapsed:.1f}s)",
            err=True,
        )
        raise typer.Exit(EXIT_PARTIAL)
    if not quiet:
        typer.echo(
            f"built {len(files)} files into {shown} ({warnings} warning(s), {elapsed:.1f}s)",
            err=True,
        )


@app.command(cls=_Command, short_help="Check SPECS as a build does; write nothing.")
def check(
    specs: Annotated[
        Path,
        typer.Argument(
            help="A folder searched for Arazzo documents, or one Arazzo file.", metavar="SPECS"
        ),
    ],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", metavar="[text|json|sarif]", help="How to print diagnostics."),
    ] = OutputFormat.text,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    root: Annotated[
        list[Path] | None,
        typer.Option(
            "--root", help="Also read files under this folder (see build --help).", metavar="DIR"
        ),
    ] = None,
    config: Annotated[Path | None, _CONFIG_OPTION] = None,
) -> None:
    """Run every check a build runs and report the diagnostics; write nothing. Exit 1 on errors."""
    started = time.perf_counter()
    settings = _settings(specs, root, None, config)
    remote = _remote(specs, settings, None, False)
    diagnostics = _diagnostics(settings, strict)
    options = PackageOptions(package=settings.package, version=settings.version)
    files = _compile(
        specs,
        options,
        diagnostics,
        root,
        Cache(None),
        output_format,
        quiet,
        settings.rewrites,
        remote,
    )
    errors, warnings = diagnostics.count(Severity.ERROR), diagnostics.count(Severity.WARNING)
    if files is None:
        typer.echo(f"error: {errors} error(s), {warnings} warning(s)", err=True)
        raise typer.Exit(EXIT_ERRORS)
    if not quiet:
        elapsed = time.perf_counter() - started
        typer.echo(f"{specs}: no errors, {warnings} warning(s) ({elapsed:.1f}s)", err=True)


def _settings(
    specs: Path, root: list[Path] | None, package: str | None, config: Path | None = None
) -> Settings:
    """Validate the command line and read ``[tool.arazzo-gen]``; a problem is a usage error (exit 2)."""
    if not specs.exists():
        typer.echo(f"error: {specs} does not exist", err=True)
        raise typer.Exit(EXIT_USAGE)
    for folder in root or []:
        if not folder.is_dir():
            typer.echo(f"error: --root {folder} is not a folder", err=True)
            raise typer.Exit(EXIT_USAGE)
    if config is not None and not config.is_file():
        typer.echo(f"error: --config {config} is not a file", err=True)
        raise typer.Exit(EXIT_USAGE)
    try:
        settings = load_settings(specs, config)
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    problem = package_name_problem(package) if package is not None else None
    if problem is not None:
        typer.echo(
            f"error: --package {package!r} cannot be the generated package's name: {problem}",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)
    return settings


def _diagnostics(settings: Settings, strict: bool) -> Diagnostics:
    """The run's collector, holding the warnings about the configuration itself (unknown keys and rule ids)."""
    diagnostics = Diagnostics(strict=strict, rules=settings.rules)
    for message, loc in settings.unknown:
        diagnostics.warning("unknown-setting", message, loc)
    return diagnostics


def _cache(folder: Path | None, check: bool) -> Cache:
    """The build cache in ``folder`` (``None``: off), with a warning when other users can write it.

    ``--check`` stores results but never reads them: it compares OUT with what the compiler produces now,
    so a cache entry (right or forged) can never make it say "up to date".
    """
    exposed = others_can_write(folder) if folder is not None else None
    if exposed is not None:
        where, how = exposed
        typer.echo(
            f"warning: the build cache folder {folder} is writable by other users ({where} {how}); arazzo-gen "
            f"ignores entries it did not write itself, but make the folder private (chmod go-w {where}) or choose "
            "another with --cache-dir",
            err=True,
        )
    return Cache(folder, read=not check)


def _remote(specs: Path, settings: Settings, cache_dir: Path | None, fetch: bool) -> RemoteSources:
    """The lock file (next to the configuration, else in the specs root) and the downloaded sources, kept in
    ``remote/`` of the cache folder (also with --no-cache: they are pinned inputs, not a cache of outputs)."""
    folder = settings.source.parent if settings.source is not None else default_root(specs)
    try:
        store = (cache_dir or default_folder()) / "remote"
        return RemoteSources.load(folder / LOCK_NAME, store, fetch, settings.fetch_redirects)
    except RemoteError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def _compile(
    specs: Path,
    options: PackageOptions,
    diagnostics: Diagnostics,
    root: list[Path] | None,
    cache: Cache,
    output_format: OutputFormat,
    quiet: bool,
    rewrites: Rewrites | None = None,
    remote: RemoteSources | None = None,
    left: LeftOut | None = None,
) -> dict[str, str] | None:
    """Compile and report every diagnostic; an exception is an internal error (exit 3), reported as such.

    With ``left`` (``--keep-going``), the workflows with errors are left out and recorded there.
    """
    try:
        with _progress(quiet) as progress:  # erased before the diagnostics are printed
            if left is not None:
                files = compile_sound(
                    specs, options, diagnostics, root, cache, left, rewrites, remote, progress
                )
            else:
                files = compile_specs(
                    specs, options, diagnostics, root, cache, rewrites, remote, progress
                )
    except Exception:  # noqa: BLE001 - a bug in arazzo-gen: report it without a bare traceback
        _report(diagnostics, output_format, quiet)
        typer.echo(
            "internal error: arazzo-gen failed unexpectedly; details follow for a bug report:",
            err=True,
        )
        typer.echo(traceback.format_exc(limit=-3), err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    _report(diagnostics, output_format, quiet)
    return files


PROGRESS_DELAY = 1.0  # seconds a build runs before its progress is drawn: a quick one stays silent


class _TerminalProgress:
    """The stage a build is in, drawn with rich on stderr (spinner, stage, elapsed time) once the build has
    run :data:`PROGRESS_DELAY` seconds, and erased when it ends."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress as Bar
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self._bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task = self._bar.add_task("starting", total=None)
        self._timer = threading.Timer(PROGRESS_DELAY, self._bar.start)
        self._timer.daemon = True
        self._timer.start()

    def stage(self, name: str, detail: str = "") -> None:
        self._bar.update(self._task, description=f"{name} {detail}".rstrip())

    def close(self) -> None:
        self._timer.cancel()
        self._timer.join()  # a start under way ends before the stop
        self._bar.stop()


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress]:
    """A display of the build's stages on a terminal (stderr), nothing when stderr is not one, is a dumb
    terminal, or with --quiet."""
    if quiet or not sys.stderr.isatty() or os.environ.get("TERM", "") in ("dumb", "unknown"):
        yield SILENT
        return
    display = _TerminalProgress()
    try:
        yield display
    finally:
        display.close()


def _specs_label(specs: Path, config: Path | None) -> str:
    """How the generated README names SPECS: relative to the configuring pyproject.toml, else by name.

    Never relative to the working directory, so the output does not depend on where the build runs.
    """
    folder = specs.resolve() if specs.is_dir() else specs.resolve().parent
    if config is not None:
        try:
            return folder.relative_to(config.parent.resolve()).as_posix().rstrip("/") + "/"
        except ValueError:
            pass
    return folder.name + "/"


def _left_out_notes(left: LeftOut) -> None:
    """One ``note:`` line per left-out workflow and API description, in file and id order."""
    for file, workflow_id, why in sorted(left.workflows):
        typer.echo(
            f"note: left out workflow '{workflow_id}' of {display_path(file)}: {why}", err=True
        )
    for file, why in sorted(left.apis):
        typer.echo(f"note: left out the API description {display_path(file)}: {why}", err=True)


def _report(diagnostics: Diagnostics, output_format: OutputFormat, quiet: bool) -> None:
    items = [d for d in diagnostics.sorted() if not quiet or d.severity is Severity.ERROR]
    if output_format is OutputFormat.json:
        typer.echo(render_json(items))
        return
    if output_format is OutputFormat.sarif:
        typer.echo(render_sarif(items, __version__))
        return
    colour = use_colour(sys.stderr)
    for diagnostic in items:
        typer.echo(render_text(diagnostic, colour=colour), err=True, color=colour)


def main() -> None:
    try:
        app(
            prog_name="arazzo-gen"
        )  # also under ``python -m arazzo_gen``: help and completion name the command
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
