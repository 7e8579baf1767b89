"""Outputs that cannot destroy anything.

Every command writes its files as one staged set (:class:`OutputSet`): each file, or each run folder, is
first written under a hidden temporary name beside its final place; only when all of them are complete are
they renamed into place, the files they replace kept as hidden backups until every rename has succeeded.
An error, Ctrl-C or SIGTERM before that deletes the temporaries and leaves the earlier outputs as they were.

The checks made before any work starts: a run name names one folder (:func:`check_run_name`); no output is
an input of the same command or written twice (:func:`check_outputs`); an existing folder is replaced only
when it is one wfm made (:func:`check_replaceable`, :func:`folder_kind`). Problems raise OutputError with
one line naming the path.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import tempfile
import threading
import unicodedata
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputError, Terminated
from .io import current_umask

MARKER_KEY = "wfm"  # summary.json key marking a folder wfm made: {"kind": "run" | "whatif", "version": ...}
FORECAST_FILES = frozenset({"forecast.csv", "forecast.png"})
# litter a file browser leaves in any folder it shows; not worth refusing to replace a forecast folder for
_BROWSER_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
MAX_NAME_CHARS = 100
KIND_LABEL = {"run": "run folder", "whatif": "what-if folder", "forecast": "forecast folder"}


def run_marker(kind: str) -> dict:
    """The value of summary.json's ``wfm`` key for a folder of ``kind`` ('run' or 'whatif')."""
    from . import __version__

    return {"kind": kind, "version": __version__}


# ------------------------------------------------------------------------------------------------------
# Checks
# ------------------------------------------------------------------------------------------------------


def check_run_name(name: str, source: str | None = None) -> str:
    """Return ``name`` if it can name one folder under --out, else raise OutputError.

    ``source``: where the name came from when the user did not type it (e.g. "the history file's name
    ..csv"); the message then asks for --name."""
    shown = f"--name {name!r}" if source is None else f"run name {name!r} (from {source})"
    hint = "" if source is None else "; give one with --name"

    def bad(why: str):
        raise OutputError(f"{shown}: a run name {why}{hint}")

    if not isinstance(name, str) or not name.strip():
        bad("may not be empty")
    if "/" in name or "\\" in name:
        bad("may not contain path separators (/ or \\): it names one folder under --out")
    if name in (".", ".."):
        bad("may not be '.' or '..'")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") for c in name):
        bad("may not contain control characters")
    if name.startswith("."):
        bad("may not start with '.' (wfm's temporary folders do)")
    if name != name.strip():
        bad("may not start or end with a space")
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8", "surrogatepass")) > 2 * MAX_NAME_CHARS:
        bad(f"may have at most {MAX_NAME_CHARS} characters")
    return name


def resolved(path: str | Path) -> Path:
    """The absolute path with symbolic links and ``..`` resolved (the path need not exist)."""
    return Path(os.path.abspath(path)).resolve()


def inside(path: str | Path, folder: str | Path) -> bool:
    """True if ``path`` is ``folder`` or lies below it (after resolving both)."""
    p, f = resolved(path), resolved(folder)
    return p == f or f in p.parents


def same_file(a: str | Path, b: str | Path) -> bool:
    """True if ``a`` and ``b`` name the same file (hard or symbolic links, ``./`` and ``..`` included)."""
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return resolved(a) == resolved(b)


def check_outputs(outputs, inputs=()) -> None:
    """Raise OutputError if an output is also an input or two outputs are the same file."""
    inputs = [Path(i) for i in inputs if i is not None and str(i) != ""]
    seen: dict[str, Path] = {}
    for o in outputs:
        o = Path(o)
        key = str(resolved(o)).casefold()  # fc.CSV and fc.csv are one file on macOS and Windows
        if key in seen:
            raise OutputError(f"{o}: this command would write the file twice ({seen[key]} and {o}); "
                              "give distinct output names")
        seen[key] = o
        for i in inputs:
            if same_file(o, i):
                raise OutputError(f"{o}: is also an input of this command ({i}); write the output elsewhere")
        if o.is_dir() and not o.is_symlink():
            raise OutputError(f"{o}: is a folder; give a file name")


def folder_kind(path: str | Path) -> str | None:
    """What an existing folder is: 'run' or 'whatif' (a summary.json marked by wfm, or an older run's
    summary.json beside requirements.csv), 'forecast' (only forecast.csv / forecast.png), 'empty', or None
    (not a folder wfm made, not a folder, or unreadable)."""
    p = Path(path)
    try:
        if p.is_symlink() or not p.is_dir():
            return None
        names = {c.name for c in p.iterdir()}
    except OSError:
        return None
    if not names - _BROWSER_LITTER:
        return "empty"
    if "summary.json" in names:
        try:
            meta = json.loads((p / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None
        if isinstance(meta, dict):
            mark = meta.get(MARKER_KEY)
            if isinstance(mark, dict) and mark.get("kind") in ("run", "whatif"):
                return mark["kind"]
            if "requirements.csv" in names:  # a run of an older wfm, before the marker
                return "whatif" if isinstance(meta.get("whatif"), dict) else "run"
    if names - _BROWSER_LITTER <= FORECAST_FILES:
        return "forecast"
    return None


def check_replaceable(target: str | Path, kinds: tuple[str, ...], protect=()) -> None:
    """Raise OutputError unless ``target`` is absent, an empty folder, or a folder of one of ``kinds`` (see
    :func:`folder_kind`) that is not the working folder or one of its parents and holds none of
    ``protect`` (input files, a base run)."""
    t = Path(target)
    if t.is_symlink():
        raise OutputError(f"{t}: is a symbolic link; wfm replaces only folders it made itself")
    if not t.exists():
        return
    if not t.is_dir():
        raise OutputError(f"{t}: is a file, not a folder")
    if inside(Path.cwd(), t):
        raise OutputError(f"{t}: is the working folder or one of its parents; wfm will not replace it")
    for p in protect:
        if p is not None and str(p) != "" and inside(p, t):
            raise OutputError(f"{t}: holds {p}, an input of this command; wfm will not replace it")
    kind = folder_kind(t)
    if kind == "empty" or kind in kinds:
        return
    want = " or ".join(KIND_LABEL.get(k, k) for k in kinds)
    raise OutputError(f"{t}: exists and is not a {want} made by wfm; wfm replaces only its own folders "
                      "(choose another name or remove it yourself)")


# ------------------------------------------------------------------------------------------------------
# Signals
# ------------------------------------------------------------------------------------------------------


def _on_sigterm(signum, frame):
    raise Terminated()


def install_signal_handlers() -> None:
    """Make SIGTERM raise :class:`Terminated` (as Ctrl-C raises KeyboardInterrupt), so staged outputs are
    cleaned up on the way out. Only possible in the main thread; elsewhere nothing changes."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)


class _Held(BaseException):
    """A signal arrived while renames were in progress: undo them, then let the signal act."""


@contextmanager
def _held_signals():
    """Hold SIGINT and SIGTERM while files are renamed or removed, so that an interruption never leaves a
    set half renamed or a temporary half deleted; a held signal acts when the block ends."""
    pending: list[int] = []
    old = {}
    if threading.current_thread() is threading.main_thread():
        for s in (signal.SIGINT, signal.SIGTERM):
            try:
                prev = signal.getsignal(s)
                if prev in (signal.SIG_IGN, None):
                    continue
                old[s] = signal.signal(s, lambda signum, frame: pending.append(signum))
            except (ValueError, OSError):
                continue
    try:
        yield pending
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if pending:
            s = pending[0]
            h = old[s]
            if callable(h):
                h(s, None)  # raises KeyboardInterrupt or Terminated
                raise OutputError("interrupted by a signal; no output was changed")
            signal.raise_signal(s)  # SIG_DFL: the process ends as the signal says


# ------------------------------------------------------------------------------------------------------
# Staged sets
# ------------------------------------------------------------------------------------------------------

_OPEN: list["OutputSet"] = []  # sets not yet committed or aborted, innermost last


def _remove(p: Path) -> None:
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()
    except OSError:
        pass


class OutputSet:
    """The files (and run folders) one command writes, all or nothing.

    ``folder``: the output folder; relative names given to :meth:`path` are under it. ``files``: every
    file the command will write (checked at once: not an input, not twice, folders creatable and
    writable). ``inputs``: the command's input files. Write each file to ``path(name)`` and each folder
    into ``dir(final)``, then :meth:`commit`; :meth:`abort` (or any exception inside :func:`output_set`)
    deletes everything staged and every folder the set created. Raises OutputError naming the path.
    """

    def __init__(self, folder: str | Path | None = None, files=(), inputs=()):
        self.folder = Path(folder) if folder is not None else None
        self.inputs = [Path(i) for i in inputs if i is not None and str(i) != ""]
        self._entries: dict[Path, tuple] = {}  # resolved final -> (final, temp, is_dir, kinds, protect)
        self._created: list[Path] = []
        self._writable: set[Path] = set()
        self._declared: set[Path] | None = None
        self._state = "open"
        _OPEN.append(self)
        try:
            finals = [self._final(f) for f in files]
            check_outputs(finals, self.inputs)
            if self.folder is not None:
                self._prepare(self.folder)
            for f in finals:
                self._prepare(f.parent)
            if finals:
                self._declared = {resolved(f) for f in finals}
        except BaseException:
            self.abort()
            raise

    def _final(self, name: str | Path) -> Path:
        p = Path(name)
        if self.folder is not None and not p.is_absolute() and p.parent == Path("."):
            p = self.folder / p
        return p

    def _prepare(self, folder: Path) -> None:
        """Create ``folder`` (and missing parents, remembered to be removed on abort) and check that a file
        can be created in it."""
        with _held_signals():  # a folder made is always remembered, a probe file always removed
            self._prepare_held(Path(folder))

    def _prepare_held(self, folder: Path) -> None:
        key = resolved(folder)
        if key in self._writable:
            return
        missing = []
        q = folder
        while not q.exists() and not q.is_symlink() and q != q.parent:
            missing.append(q)
            q = q.parent
        if q.exists() and not q.is_dir():
            raise OutputError(f"{folder}: cannot create the folder: {q} is a file" if q != folder
                              else f"{folder}: is a file, not a folder")
        for m in reversed(missing):
            try:
                m.mkdir()
            except FileExistsError:
                if not m.is_dir():
                    raise OutputError(f"{folder}: cannot create the folder: {m} is a file") from None
                continue
            except OSError as err:
                raise OutputError(f"{folder}: cannot create the folder ({err.strerror or err})") from None
            self._created.append(m)
        try:
            fd, probe = tempfile.mkstemp(prefix=".wfm-probe.", suffix=".tmp", dir=folder)
            os.close(fd)
            os.unlink(probe)
        except OSError as err:
            raise OutputError(f"{folder}: cannot write into this folder ({err.strerror or err})") from None
        self._writable.add(key)

    def path(self, name: str | Path) -> Path:
        """The temporary path to write the output ``name`` to (a name in ``folder`` or a path)."""
        final = self._final(name)
        key = resolved(final)
        if self._state != "open":
            raise RuntimeError("this output set is closed")
        if self._declared is not None and key not in self._declared:
            raise RuntimeError(f"{final} is not among the outputs declared for this set")
        if key in self._entries:
            raise OutputError(f"{final}: this command would write the file twice; give distinct output names")
        if self._declared is None:
            check_outputs([final, *[e[0] for e in self._entries.values()]], self.inputs)
        self._prepare(final.parent)
        tmp = final.parent / f".{final.stem}.{secrets.token_hex(4)}.tmp{final.suffix}"
        self._entries[key] = (final, tmp, False, (), ())
        return tmp

    def dir(self, final: str | Path, kinds: tuple[str, ...] = ("run",), protect=()) -> Path:
        """A temporary folder that replaces the folder ``final`` on commit. ``final`` may already exist only
        as a folder of one of ``kinds`` that holds none of the inputs or ``protect`` (see
        :func:`check_replaceable`); checked now and again on commit."""
        final = Path(final)
        key = resolved(final)
        if self._state != "open":
            raise RuntimeError("this output set is closed")
        if key in self._entries or any(inside(key, k) or inside(k, key) for k in self._entries):
            raise OutputError(f"{final}: overlaps another output folder of this command")
        protect = (*self.inputs, *[p for p in protect if p is not None])
        check_replaceable(final, kinds, protect)
        self._prepare(final.parent)
        try:
            # the name ".<name>.<random>.tmp" is what wfm.runs.folder_run_name recognises as a staging folder
            tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
        except OSError as err:
            raise OutputError(f"{final.parent}: cannot write into this folder ({err.strerror or err})") from None
        self._entries[key] = (final, tmp, True, tuple(kinds), protect)
        try:
            os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes the folder private; a run folder is an ordinary one
        except OSError:
            pass
        return tmp

    def commit(self) -> None:
        """Rename every staged output into place; on any failure or signal undo the renames already made
        and delete the temporaries, so that the earlier outputs stay as they were."""
        if self._state != "open":
            raise RuntimeError("this output set is closed")
        entries = list(self._entries.values())
        done: list[tuple[Path, Path | None, bool]] = []
        token = secrets.token_hex(4)
        current = None
        with _held_signals() as pending:
            try:
                for final, tmp, is_dir, kinds, protect in entries:
                    if not (tmp.exists() or tmp.is_symlink()):
                        raise RuntimeError(f"{final} was declared as an output but never written")
                    if is_dir:  # the folder may have changed while the command worked
                        check_replaceable(final, kinds, protect)
                for final, tmp, is_dir, _, _ in entries:
                    current = final
                    backup = None
                    if final.exists() or final.is_symlink():
                        backup = final.parent / f".{final.name}.{token}.old"
                        if is_dir:
                            os.rename(final, backup)
                        else:
                            try:  # a hard link keeps the old file in place until the new one replaces it
                                os.link(final, backup, follow_symlinks=False)
                            except OSError:
                                os.rename(final, backup)
                    try:
                        os.replace(tmp, final)
                    except BaseException:
                        if backup is not None:
                            if final.exists() or final.is_symlink():
                                _remove(backup)
                            else:
                                os.rename(backup, final)
                        raise
                    done.append((final, backup, is_dir))
                if pending:
                    raise _Held()
            except BaseException as err:
                self._rollback(done)
                self._discard()
                if isinstance(err, _Held):
                    return  # the held signal acts as the block ends
                if isinstance(err, OSError):
                    raise OutputError(f"{current}: cannot write ({err.strerror or err}); "
                                      "no output was changed") from None
                raise
            for _, backup, _ in done:
                if backup is not None:
                    _remove(backup)
            self._state = "committed"

    def _rollback(self, done) -> None:
        for final, backup, is_dir in reversed(done):
            try:
                if backup is None:
                    _remove(final)
                elif is_dir or not (final.exists() or final.is_symlink()):
                    _remove(final)
                    os.rename(backup, final)
                else:
                    os.replace(backup, final)
            except OSError:
                pass  # the backup stays beside the output, never deleted

    def _discard(self) -> None:
        for _, tmp, _, _, _ in self._entries.values():
            _remove(tmp)
        for d in reversed(self._created):
            try:
                d.rmdir()  # only if still empty: never remove what someone else put there
            except OSError:
                pass
        self._state = "aborted"

    def abort(self) -> None:
        """Delete every staged output and the folders this set created; earlier outputs stay untouched."""
        if self._state == "open":
            with _held_signals():
                self._discard()
        _forget(self)

    @property
    def committed(self) -> bool:
        return self._state == "committed"


def _forget(st: OutputSet) -> None:
    if st in _OPEN:
        _OPEN.remove(st)


@contextmanager
def output_set(folder: str | Path | None = None, *, files=(), inputs=()):
    """``with output_set(folder, files=[...], inputs=[...]) as st: write(st.path("a.csv"))``: the files are
    renamed into place together when the block ends without an error; see :class:`OutputSet`."""
    st = OutputSet(folder, files=files, inputs=inputs)
    try:
        yield st
        st.commit()
    finally:
        st.abort()  # nothing left to do once committed


@contextmanager
def command_scope():
    """Abort every output set opened in this scope and not committed (a command that failed or was
    interrupted between opening its outputs and committing them)."""
    mark = len(_OPEN)
    try:
        yield
    finally:
        for st in reversed(_OPEN[mark:]):
            st.abort()
        del _OPEN[mark:]


def output_path(out, name: str) -> Path:
    """Where file ``name`` goes in ``out``: a staged output set's path for it (:class:`OutputSet`), else
    inside the folder ``out``."""
    return out.path(name) if hasattr(out, "path") else Path(out) / name
