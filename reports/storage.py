"""Where the portal's files live: Django's storage (local disk by default, S3-compatible object
storage when configured), and reading a stored file as a local one.

Nothing outside this module asks a stored file for its ``.path``: an object store has none.

- ``local_path(file)``: a context manager giving a stored file as a path on this host — the file
  itself when the storage is a local disk, otherwise a copy in a temporary folder, deleted after.
- ``spool(...)``: a per-job temporary folder with a disk budget; inside it, ``spooled_path(file)``
  gives every stored file once (the compilation reads hundreds of report PDFs through it, and the
  merge's child process opens them by path). Copying more than the budget raises ``SpoolFull``.
- ``download_response(file, ...)``: streams a stored file to the browser in chunks, after the view
  checked the permission; the whole object is never held in memory or on the web host's disk.

Why a spool and not ranged reads: docs/decisions/0011-object-storage-and-queues.md.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

CHUNK = 256 * 1024


class SpoolFull(OSError):
    """The files a job needs do not fit in its temporary disk budget."""


def has_local_path(storage: Storage, name: str) -> str | None:
    """The file's path on this host when ``storage`` keeps files on a local disk, else None."""
    try:
        return storage.path(name)
    except NotImplementedError:
        return None


def _name(file: FieldFile) -> str:
    if not file.name:
        raise ValueError("the field has no file")
    return file.name


def _copy_to(storage: Storage, name: str, target: Path) -> int:
    """Copy stored ``name`` to ``target`` in chunks; the number of bytes written."""
    written = 0
    with storage.open(name, "rb") as src, target.open("wb") as dst:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            dst.write(chunk)
            written += len(chunk)
    return written


@contextlib.contextmanager
def local_path(file: FieldFile) -> Iterator[Path]:
    """``with local_path(submission.pdf) as path:`` — the stored file as a path on this host, for
    tools that need one (pdftotext, the merge's child process). A copy is deleted afterwards."""
    name = _name(file)
    local = has_local_path(file.storage, name)
    if local is not None:
        yield Path(local)
        return
    with tempfile.TemporaryDirectory(prefix="wsis-file-") as tmp:
        target = Path(tmp) / Path(name).name
        _copy_to(file.storage, name, target)
        yield target


class Spool:
    """Local copies of stored files for one job, in its own temporary folder (made at the first
    copy), at most ``max_bytes`` in all. Files on a local-disk storage are used in place and cost
    nothing."""

    def __init__(self, *, max_bytes: int, prefix: str = "wsis-spool-") -> None:
        self.max_bytes = max_bytes
        self.prefix = prefix
        self.used = 0
        self._paths: dict[tuple[int, str], Path] = {}
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    @property
    def directory(self) -> Path:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix=self.prefix)
        return Path(self._folder.name)

    @property
    def made(self) -> bool:
        """Whether anything had to be copied (the folder exists)."""
        return self._folder is not None

    def cleanup(self) -> None:
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def path(self, file: FieldFile) -> Path:
        name = _name(file)
        key = (id(file.storage), name)
        found = self._paths.get(key)
        if found is not None:
            return found
        local = has_local_path(file.storage, name)
        if local is not None:
            found = Path(local)
        else:
            size = file.storage.size(name)
            if self.used + size > self.max_bytes:
                raise SpoolFull(
                    _(
                        "The files of this job need more than %(mb)d MB of temporary disk space "
                        "(COMPILE_SPOOL_MAX_MB)."
                    )
                    % {"mb": self.max_bytes // 2**20}
                )
            free = shutil.disk_usage(self.directory).free
            if size > free:
                raise SpoolFull(_("The temporary disk is full: %(name)s cannot be copied.") % {"name": name})
            # Distinct names: two stored files may share a base name in different folders.
            found = self.directory / f"{len(self._paths):06d}-{Path(name).name}"
            self.used += _copy_to(file.storage, name, found)
        self._paths[key] = found
        return found


_current: ContextVar[Spool | None] = ContextVar("wsis_spool", default=None)


@contextlib.contextmanager
def spool(*, max_bytes: int | None = None, prefix: str = "wsis-spool-") -> Iterator[Spool]:
    """A per-job temporary folder (removed on exit) that ``spooled_path`` copies files into."""
    budget = max_bytes if max_bytes is not None else settings.COMPILE_SPOOL_MAX_MB * 2**20
    active = Spool(max_bytes=budget, prefix=prefix)
    token = _current.set(active)
    try:
        yield active
    finally:
        _current.reset(token)
        active.cleanup()


def spooled_path(file: FieldFile) -> Path:
    """The stored file as a local path: in place on a local disk, otherwise copied once into the
    job's spool (``with spool():`` must be active for a remote storage)."""
    active = _current.get()
    if active is not None:
        return active.path(file)
    local = has_local_path(file.storage, _name(file))
    if local is None:
        raise RuntimeError("a remote file is read as a local path only inside `with storage.spool():`")
    return Path(local)


def download_response(
    file: FieldFile, *, filename: str, content_type: str, as_attachment: bool = True
) -> StreamingHttpResponse | FileResponse:
    """The stored file as a download, streamed in chunks. Raises ``FileNotFoundError`` when the
    stored object is gone (the view answers 404). Call only after the permission check."""
    storage, name = file.storage, _name(file)
    local = has_local_path(storage, name)
    if local is not None:
        return FileResponse(
            open(local, "rb"),  # FileResponse closes it when the response is done
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    handle = storage.open(name, "rb")  # FileNotFoundError when the object is gone
    s3_object = getattr(handle, "obj", None)  # django-storages' S3File: the boto3 object, loaded
    if s3_object is not None:
        size = int(s3_object.content_length)
        body = s3_object.get()["Body"]  # botocore's streaming body: read as it is sent
        chunks: Iterator[bytes] = body.iter_chunks(CHUNK)
        close = body.close
    else:  # another remote storage: its File object reads in chunks
        size = storage.size(name)
        chunks, close = iter(lambda: handle.read(CHUNK), b""), handle.close
    response = StreamingHttpResponse(_closing(chunks, close), content_type=content_type)
    response["Content-Length"] = str(size)
    disposition = content_disposition_header(as_attachment, filename)
    if disposition:
        response["Content-Disposition"] = disposition
    return response


def _closing(chunks: Iterator[bytes], close: Callable[[], object]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        close()
