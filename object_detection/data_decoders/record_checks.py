"""In-graph checks of one tf.Example record, and their messages.

A failed check raises tf.errors.InvalidArgumentError with one line

    <INVALID_RECORD_PREFIX><record location>: source_id '<id>': <feature
    key>: <rule>, got <value>

(see object_detection.data.record_errors). `error_line` spells the same
line in Python, for the checks `TfExampleDecoder.find_record_error` makes
eagerly.
"""

import re
from typing import Callable, List, Optional

from google.protobuf import message as message_lib
import tensorflow as tf

from object_detection.core import standard_fields
from object_detection.data import record_errors

tfx = standard_fields.TfExampleFields

# First bytes of each image encoding tf.io.decode_image reads.
JPEG_MAGIC = b"\xff\xd8\xff"
OTHER_MAGICS = (b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")
IMAGE_KINDS = "a JPEG, PNG, GIF or BMP image"

# "Key: image/height.  " at the start of a tf.io.parse_single_example error.
PARSE_KEY = re.compile(r"^Key: (\S+?)\.\s+")


def one_line(text: tf.Tensor) -> tf.Tensor:
  return tf.strings.regex_replace(text, r"[\r\n]+", " ")


def as_text(value: tf.Tensor) -> tf.Tensor:
  """Shortest text of a number tensor ('1.7', not '1.700000')."""
  if value.dtype.is_floating:
    return tf.strings.as_string(value, shortest=True)
  return tf.strings.as_string(value)


def first_failing(values: tf.Tensor, ok: tf.Tensor) -> tf.Tensor:
  """The first element of `values` where `ok` is False."""
  return tf.boolean_mask(values, tf.logical_not(ok))[0]


def is_image(encoded: tf.Tensor) -> tf.Tensor:
  """bool scalar: the bytes start like a JPEG, PNG, GIF or BMP file."""
  ok = tf.strings.substr(encoded, 0, len(JPEG_MAGIC)) == JPEG_MAGIC
  for magic in OTHER_MAGICS:
    ok |= tf.strings.substr(encoded, 0, len(magic)) == magic
  return ok


def not_image_detail(what: str, encoded: tf.Tensor) -> tf.Tensor:
  return tf.strings.join([what, " must be ", IMAGE_KINDS, ", got ",
                          as_text(tf.strings.length(encoded)),
                          " bytes in another format"])


def python_source_id(serialized: bytes) -> Optional[str]:
  """image/source_id read with the protobuf library; None if not an Example."""
  try:
    example = tf.train.Example.FromString(serialized)
  except message_lib.DecodeError:
    return None
  values = example.features.feature[tfx.source_id].bytes_list.value
  return values[0].decode("utf-8", "replace") if values else ""


def error_line(record_location: Optional[str], source_id: Optional[str],
          key: str, detail: str) -> str:
  """The message of a bad record, spelled as `RecordChecks` spells it."""
  parts = [record_location] if record_location else []
  if source_id is not None:
    parts.append("source_id '%s'" % source_id)
  parts += [key, detail]
  return record_errors.INVALID_RECORD_PREFIX + ": ".join(
      " ".join(part.splitlines()) for part in parts)


class RecordChecks:
  """Data checks of one record; a failed one raises its one-line message.

  tf.debugging.Assert would wrap the message in brackets and escape its
  quotes and non-ASCII bytes, so a failed check instead feeds the message to
  tf.strings.to_number, whose InvalidArgumentError quotes it verbatim. The
  message is only built when the check fails.
  """

  def __init__(self, source_id: tf.Tensor,
               record_location: Optional[tf.Tensor]):
    self._source_id = source_id
    self._record_location = record_location
    self.ops: List[tf.Tensor] = []

  def require(self, ok: tf.Tensor, key: str,
              detail: Callable[[], tf.Tensor], collect: bool = True
              ) -> tf.Tensor:
    """Fails the record unless all of `ok` holds.

    Args:
      ok: bool tensor of any shape; the check passes when all are True.
      key: the tf.Example feature key the check is about.
      detail: builds the string scalar "<rule>, got <value>".
      collect: keep the check in `ops` (False inside a loop body, where the
        caller adds the returned tensor as a control dependency itself).

    Returns:
      float32 scalar tensor to use as a control dependency.
    """
    def fail():
      parts = [record_errors.INVALID_RECORD_PREFIX]
      if self._record_location is not None:
        parts += [one_line(self._record_location), ": "]
      parts += ["source_id '", one_line(self._source_id), "': ", key, ": ",
                one_line(detail())]
      # Always fails: the text starts with INVALID_RECORD_PREFIX.
      return tf.strings.to_number(tf.strings.join(parts))

    check = tf.cond(tf.reduce_all(ok), lambda: tf.constant(0.0), fail)
    if collect:
      self.ops.append(check)
    return check

  def require_count(self, values: tf.Tensor, expected: tf.Tensor, key: str,
                    what: str, allow_empty: bool = False) -> tf.Tensor:
    """Requires `values` to hold `expected` elements (or none)."""
    size = tf.size(values)
    ok = tf.equal(size, expected)
    if allow_empty:
      ok |= tf.equal(size, 0)
    rule = "must have %s%s (" % ("0 values or " if allow_empty else "", what)
    return self.require(ok, key, lambda: tf.strings.join(
        [rule, as_text(expected), "), got ", as_text(size)]))

