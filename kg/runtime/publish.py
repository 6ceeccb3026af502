"""Putting files in place so that a reader never sees a mix: one file by a rename, a whole
release by swapping its folder in one step.

A release is written into a staging folder beside the target (on the target's own file system,
symlinks followed), under a lock so that two builds cannot interleave, and then exchanged with
the previous release in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``; elsewhere two
renames, between which the folder is briefly absent, never mixed). Staging folders left by a
killed build are removed by the next one. A folder that holds anything but release files is
never replaced (unless forced, and then only the release's own files are written into it).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kg.errors import OutputError

__all__ = [
    "FileStatus",
    "check_target",
    "file_status",
    "holds",
    "is_release_folder",
    "write_file",
    "write_release",
]

#: What tells that a file changed without reading it: its size, inode, mtime and ctime (ns).
#: The kernel sets the ctime on every change of a file's bytes or status through a system
#: call, and no program can set it back (see :mod:`kg.build.manifest`).
FileStatus = tuple[int, int, int, int]


def file_status(status: os.stat_result) -> FileStatus:
    """The :data:`FileStatus` of a file's ``stat`` (or ``lstat``)."""
    return (status.st_size, status.st_ino, status.st_mtime_ns, status.st_ctime_ns)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_HINT = "choose another --out"


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically: a temporary file beside it, then a rename.

    :raises OutputError: the file cannot be written there
    """
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}-", delete=False
        ) as f:
            f.write(data)
        os.replace(f.name, path)
    except OSError as error:
        raise OutputError.from_os_error(path, error, "choose another file") from error


def is_release_folder(folder: Path, names: Iterable[str]) -> bool:
    """Whether ``folder`` is missing, empty, or holds nothing but files named ``names`` (and
    the folders that names such as ``doc/a.html`` put files in)."""
    files = {name for name in names if "/" not in name}
    folders = {name.split("/", 1)[0] for name in names if "/" in name}
    try:
        return all(
            (p.name in files and p.is_file()) or (p.name in folders and p.is_dir())
            for p in folder.iterdir()
        )
    except (FileNotFoundError, NotADirectoryError):  # missing (below a file: made later, fails)
        return not folder.is_file()


def check_target(out: Path, names: Iterable[str], *, force: bool = False) -> Path:
    """The real folder a release at ``out`` is written to (symlinks followed).

    :raises OutputError: ``out`` is the root folder, or holds other files than ``names`` and
        ``force`` is not given
    """
    target = Path(os.path.realpath(out))
    if target.parent == target:
        raise OutputError(f"{out}: the root folder cannot be a release folder ({_HINT})")
    if target.is_file():
        raise OutputError(f"{out}: a file, not a folder ({_HINT})")
    if not force and not is_release_folder(target, names):
        raise OutputError(
            f"{out}: not empty and not a kg release (it holds other files): choose an empty "
            "folder or an earlier release, or pass --force to write the release files into it"
        )
    return target


def write_release(
    files: Mapping[str, bytes | Path],
    out: Path,
    *,
    force: bool = False,
    replaces: Iterable[str] | None = None,
    trees: Mapping[str, Path] | None = None,
) -> Path:
    """Publish ``files`` (name -> its bytes, or a file made for it, which is moved: made on
    ``out``'s file system, beside it, it is renamed, not copied) as the folder ``out``,
    swapped in whole; return the folder written. ``trees``: folders made for it, each moved
    in whole as the folder of that name (a site's hundreds of thousands of documents, which
    are then never listed one by one).

    ``out`` must be missing, empty or an earlier release (only release files in it: those
    ``replaces`` names, by default ``files``'s; a name ending in ``/`` a folder); with
    ``force`` any folder is accepted, and the files are then renamed into it one by one, each
    atomically, nothing else in it touched.

    :raises OutputError: ``out`` is another kind of folder, is locked by another build, or
        cannot be written (nothing is changed)
    """
    trees = trees or {}
    names = [*files, *(f"{name}/" for name in trees)]
    target = check_target(out, names if replaces is None else replaces, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target):
            _remove_stale(target)
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-stage-", dir=target.parent))
            try:
                previous = target if target.is_dir() else None
                _write_all(staging, files, previous=previous, trees=trees)
                if force and target.is_dir() and not is_release_folder(target, names):
                    moved = [*files, *_tree_files(staging, trees)]
                    for name in moved:
                        (target / name).parent.mkdir(parents=True, exist_ok=True)
                        os.replace(staging / name, target / name)
                else:
                    _swap(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except OSError as error:
        raise OutputError.from_os_error(out, error, _HINT) from error
    return target


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold the lock of ``target`` (a file beside it) or fail at once if a build holds it."""
    import fcntl

    lock = target.parent / f".{target.name}-lock"
    try:  # never through a symlink (a planted link would make the lock create or truncate
        # a file elsewhere), and never anything but a regular file
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise  # reported as the release's folder that cannot be written
        raise OutputError(
            f"{lock}: a symbolic link where the release's lock goes; remove it"
        ) from error
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OutputError(f"{lock}: not a regular file; remove it")
    with os.fdopen(fd, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise OutputError(
                f"{target}: another kg build is writing this release now; try again when it "
                "has finished"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_stale(target: Path) -> None:
    """Staging folders of builds that were killed (we hold the lock: no build is running)."""
    for stale in target.parent.glob(f".{target.name}-stage-*"):
        shutil.rmtree(stale, ignore_errors=True)


def _write_all(
    staging: Path,
    files: Mapping[str, bytes | Path],
    *,
    previous: Path | None = None,
    trees: Mapping[str, Path] | None = None,
) -> None:
    """Move the ``trees`` into ``staging``, write every file into it, and make them all
    durable before the swap. A file the ``previous`` release already holds, byte for byte, is
    hard-linked from it instead (it is durable already: an edit of one source leaves most of
    a large release as it was). On
    Linux the file system is synced once (``syncfs``) after every file is written: one flush
    of what a site of half a million files wrote, where an fsync of each file waited for each
    in turn; elsewhere each file is fsynced, on threads (they let go of the GIL)."""
    at_once = _can_syncfs()
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp makes it 0700; a release is read by others
    for name, tree in (trees or {}).items():  # first: a file may go into one of them
        os.replace(tree, staging / name)
    folders = {(staging / name).parent for name in files if "/" in name}
    for folder in sorted(folders):  # a site's pages: folders made with the umask's permissions
        folder.mkdir(parents=True, exist_ok=True)

    def write(item: tuple[str, bytes | Path]) -> None:
        name, data = item
        if previous is not None and holds(previous / name, data):
            try:
                os.link(previous / name, staging / name)
                return
            except OSError:
                pass  # another file system, or links refused: write it
        if isinstance(data, Path):
            _move(data, staging / name, durable=not at_once)
            return
        with open(staging / name, "wb") as handle:
            handle.write(data)
            if not at_once:
                handle.flush()
                os.fsync(handle.fileno())

    if at_once:
        for item in files.items():
            write(item)
        _syncfs(staging)  # the files' data and the folders' entries, in one flush
        return
    with ThreadPoolExecutor(max_workers=16) as pool:
        for _ in pool.map(write, files.items()):
            pass
    for name in trees or {}:
        _sync_tree(staging / name)
    for folder in sorted({staging, *folders}, reverse=True):  # their entries are durable too
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _tree_files(staging: Path, trees: Iterable[str]) -> Iterator[str]:
    """The names of the files of the ``trees`` moved into ``staging``."""
    for name in trees:
        for path in sorted((staging / name).rglob("*")):
            if not path.is_dir():
                yield path.relative_to(staging).as_posix()


def _sync_tree(folder: Path) -> None:
    """Make every file and folder under ``folder`` durable (where there is no syncfs)."""
    for root, _, names in os.walk(folder):
        for name in names:
            descriptor = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        _sync(Path(root))


def _can_syncfs() -> bool:
    return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "syncfs")


def _syncfs(folder: Path) -> None:
    """Make everything written on the file system of ``folder`` durable (Linux ``syncfs``,
    which reports an error of writing back since Linux 5.8).

    :raises OSError: the file system could not write it
    """
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syncfs(descriptor) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), str(folder))
    finally:
        os.close(descriptor)


def holds(path: Path, data: bytes | Path) -> bool:
    """Whether ``path`` is a regular file (not a link) with exactly ``data`` (or the bytes of
    the file ``data``, compared a block at a time)."""
    try:
        status = os.lstat(path)
        if data == path:  # the file itself (kept from that release: WorkFolder.keep)
            return stat.S_ISREG(status.st_mode)
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        if not stat.S_ISREG(status.st_mode) or status.st_size != size:
            return False
        if isinstance(data, Path) and os.path.samestat(status, data.stat()):
            return True  # the file itself (kept from that release: WorkFolder.keep)
        if not isinstance(data, Path):
            return _read_up_to(path, size + 1) == data
        with open(path, "rb") as one, open(data, "rb") as other:
            while block := one.read(1 << 20):
                if block != other.read(1 << 20):
                    return False
        return True
    except OSError:
        return False


def _read_up_to(path: Path, size: int) -> bytes:
    """Up to ``size`` bytes of the regular file ``path`` (never through a link), read as they are:
    not through Python's buffered file, whose making is most of the cost of reading a small
    one (an edit compares 13,000 nanopublication files with the previous release's)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since it was looked at
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        blocks = []
        while size > 0 and (block := os.read(fd, size)):
            blocks.append(block)
            size -= len(block)
        return b"".join(blocks)
    finally:
        os.close(fd)


def _move(source: Path, path: Path, *, durable: bool) -> None:
    """Put the file ``source`` at ``path``: renamed, or copied from another file system."""
    try:
        os.replace(source, path)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        shutil.copyfile(source, path)
    if durable:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _swap(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target`` in one step; the old release ends up in ``staging``."""
    if not target.exists():
        os.rename(staging, target)
    elif not _exchange(staging, target):
        old = target.parent / f".{target.name}-stage-old"
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(staging, target)
        os.rename(old, staging)
    _sync(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _sync(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
