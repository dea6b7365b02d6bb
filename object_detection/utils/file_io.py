"""File access for configs and label maps: local paths and URLs alike.

Local paths use Python's own file functions, so tools that only read and
write configs (od-config) start without importing TensorFlow. Paths with a
URL scheme (`gs://...`, `s3://...`, ...) go through `tf.io.gfile`, imported
only then. Both report failures as OSError (FileNotFoundError for a missing
file), so callers handle one kind of error.
"""

import contextlib
import glob as _glob
import os
import uuid
from typing import Iterator, List


def is_remote(path: str) -> bool:
  """Whether `path` names a file system that only tf.io.gfile reaches."""
  return "://" in path


@contextlib.contextmanager
def _gfile_errors_as_os_errors(path: str) -> Iterator[None]:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    yield
  except tf.errors.NotFoundError as e:
    raise FileNotFoundError(2, e.message, path) from None
  except tf.errors.OpError as e:
    raise OSError(e.message) from None


def read_bytes(path: str) -> bytes:
  """The whole content of a file.

  Raises:
    FileNotFoundError: there is no such file.
    OSError: it cannot be read.
  """
  if not is_remote(path):
    with open(path, "rb") as f:
      return f.read()
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with _gfile_errors_as_os_errors(path):
    with tf.io.gfile.GFile(path, "rb") as f:
      return f.read()


def exists(path: str) -> bool:
  """Whether a file or folder exists at `path`."""
  if not is_remote(path):
    return os.path.exists(path)
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    return tf.io.gfile.exists(path)
  except tf.errors.OpError:
    return False


def glob(pattern: str) -> List[str]:
  """Paths matching a glob pattern (`*`, `?`, `[...]`), sorted."""
  if not is_remote(pattern):
    return sorted(_glob.glob(pattern))
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    return sorted(tf.io.gfile.glob(pattern))
  except tf.errors.OpError:
    return []


def write_text_atomically(path: str, text: str) -> None:
  """Writes UTF-8 `text` to `path` atomically; see write_bytes_atomically."""
  write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: str, data: bytes) -> None:
  """Writes `data` to `path` via a temporary file and a rename.

  The temporary file sits beside the target, so on a local disk the rename
  replaces the old file in one step: a failure leaves the old file as it was
  and no partial file behind. Parent folders are created; a new file gets
  the usual permissions (0666 less the umask).

  Args:
    path: destination file, local or a URL tf.io.gfile writes.
    data: the full new content.

  Raises:
    OSError: the folder cannot be created or the file written.
  """
  temporary = "%s.tmp-%s" % (path, uuid.uuid4().hex[:12])
  parent = os.path.dirname(path)
  if not is_remote(path):
    if parent:
      os.makedirs(parent, exist_ok=True)
    try:
      with open(temporary, "wb") as f:
        f.write(data)
      os.replace(temporary, path)
    except BaseException:
      with contextlib.suppress(OSError):
        os.remove(temporary)
      raise
    return
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  with _gfile_errors_as_os_errors(path):
    if parent and not tf.io.gfile.exists(parent):
      tf.io.gfile.makedirs(parent)
    try:
      with tf.io.gfile.GFile(temporary, "wb") as f:
        f.write(data)
      tf.io.gfile.rename(temporary, path, overwrite=True)
    except BaseException:
      with contextlib.suppress(tf.errors.OpError):
        if tf.io.gfile.exists(temporary):
          tf.io.gfile.remove(temporary)
      raise
