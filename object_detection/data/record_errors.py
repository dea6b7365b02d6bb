"""Errors about the records of a dataset, located by file and record.

Checks that run inside the tf.data graph (the decoder's) raise
InvalidArgumentError messages that start with INVALID_RECORD_PREFIX and
then say where and what, in one line:

    invalid record: data/train-00000-of-00004.tfrecord record 17:
    source_id 'img_0042': image/object/bbox/ymax: must be in [0, 1], got 1.7

The location "<file> record <index>" (index from 0 within the file) is
built in the graph by `location_tensor` and in Python by `format_location`,
so that both spell it the same way.

`InputDataError` is what users see instead of TensorFlow's error:
`translate` turns the errors of a running input pipeline into one, and
`iterate` runs a dataset and raises translated errors only:

    for features, labels in record_errors.iterate(dataset, input_files):
      ...

A corrupt or truncated TFRecord file makes TensorFlow raise a DataLossError
that names neither the file nor the record ("corrupted record at 244").
`translate` finds them by reading the input files again in order with
`scan_file`, which counts the records each file frames correctly. Each
record takes 16 + len(data) bytes in the file (8 for the length, 4 for its
CRC, the data, 4 for the data's CRC), which gives its byte offset.
"""

import dataclasses
import re
from typing import Callable, Iterable, Iterator, List, Optional, Sequence

from absl import logging
import tensorflow as tf

INVALID_RECORD_PREFIX = "invalid record: "
DEFAULT_FIELD = "input_reader.tf_record_input_reader.input_path"
SKIP_HINT = ("set skip_corrupt_records: true in the input reader to skip "
             "such records")

# Bytes of a record besides its data: length, length CRC, data CRC.
RECORD_OVERHEAD_BYTES = 16
_SCAN_BATCH = 1024
# TensorFlow's own decoration of error messages.
_TF_NOISE = (re.compile(r"\{\{function_node [^}]*\}\}\s*"),
             re.compile(r"\s*\[Op:[^\]]*\].*$"))
_TF_OFFSET = re.compile(r"record at (\d+)")


class InputDataError(ValueError):
  """A dataset record (or file) that cannot be used, with its location."""


@dataclasses.dataclass(frozen=True)
class FileScan:
  """What reading one TFRecord file from its start found.

  Attributes:
    path: the file.
    num_records: records framed correctly before the first damage (all of
      them when `error` is None).
    record_offset: byte offset just past those records: the start of the
      damaged record, or the file size when the file is sound.
    file_size: size of the file in bytes.
    error: None for a sound file, else TensorFlow's reason (or, for a file
      that ends inside a record header, which TensorFlow reads as a clean
      end of file, a description of the trailing bytes).
    num_unread: records that cannot be read because of the damage: the
      damaged one and those after it. Counted from the record headers when
      only the damaged record's data is bad (its length is then known);
      None when the framing past the damage is unknown (a bad length).
  """
  path: str
  num_records: int
  record_offset: int
  file_size: int
  error: Optional[str] = None
  num_unread: Optional[int] = None

  def describe(self) -> str:
    """`<file>: record <i> (byte offset <o>) is corrupt or truncated: ...`."""
    return "{}: record {} (byte offset {}) is corrupt or truncated: {}".format(
        self.path, self.num_records, self.record_offset, self.error)


def format_location(path: str, index: int) -> str:
  """The location of record `index` (from 0) of file `path`."""
  return "{} record {}".format(path, index)


def location_tensor(path: tf.Tensor, index: tf.Tensor) -> tf.Tensor:
  """`format_location` in the graph.

  Args:
    path: string [] file path.
    index: int64 [] index of the record within the file, from 0.

  Returns:
    string [] "<path> record <index>".
  """
  return tf.strings.join([path, tf.strings.as_string(index)],
                         separator=" record ")


def expand_input_paths(patterns: Sequence[str],
                       field: str = DEFAULT_FIELD) -> List[List[str]]:
  """The files each glob pattern matches, sorted, one list per pattern.

  Args:
    patterns: file paths or glob patterns (tf.io.gfile.glob syntax).
    field: the config field the patterns come from, for the message.

  Returns:
    One sorted list of paths per pattern, none empty.

  Raises:
    InputDataError: when `patterns` is empty or a pattern matches no file;
      the message names the field and the pattern.
  """
  if not patterns:
    raise InputDataError("{}: must name at least one file".format(field))
  expanded = []
  for pattern in patterns:
    try:
      files = sorted(tf.io.gfile.glob(pattern))
    except tf.errors.OpError as error:
      raise InputDataError("{}: cannot list {!r}: {}".format(
          field, pattern, error.message)) from None
    if not files:
      raise InputDataError("{}: {!r} matches no file".format(field, pattern))
    expanded.append(files)
  return expanded


def input_files(input_reader_config,
                field: str = DEFAULT_FIELD) -> List[str]:
  """The files of an InputReader's tf_record_input_reader, in read order.

  Args:
    input_reader_config: an input_reader_pb2.InputReader.
    field: the config field of the patterns, for the message.

  Returns:
    The files every `input_path` pattern matches, each pattern's sorted,
    patterns in config order, without repeats.

  Raises:
    InputDataError: as `expand_input_paths`.
  """
  patterns = list(input_reader_config.tf_record_input_reader.input_path)
  files = []
  for matched in expand_input_paths(patterns, field):
    files.extend(path for path in matched if path not in files)
  return files


def _record_lengths(path: str, skip: int = 0) -> tf.data.Dataset:
  return tf.data.TFRecordDataset(path).skip(skip).map(
      lambda record: tf.cast(tf.strings.length(record), tf.int64))


def _count_headers(path: str, offset: int, file_size: int) -> Optional[int]:
  """Records framed from `offset` on by their length fields (CRCs unread)."""
  count = 0
  with tf.io.gfile.GFile(path, "rb") as stream:
    while offset < file_size:
      stream.seek(offset)
      header = stream.read(8)
      if len(header) < 8:
        return None
      offset += int.from_bytes(header, "little") + RECORD_OVERHEAD_BYTES
      count += 1
  return count if offset == file_size else None


def scan_file(path: str) -> FileScan:
  """Reads a TFRecord file through and reports where its framing breaks.

  Reads in batches, then record by record over the last batch when an
  error interrupts one, so the cost is one pass over the file (plus a walk
  over the record headers after a record whose data is corrupt).

  Args:
    path: the TFRecord file.

  Returns:
    The FileScan.
  """
  num_records, offset = 0, 0
  error = None
  try:
    for lengths in _record_lengths(path).batch(_SCAN_BATCH):
      num_records += int(lengths.shape[0])
      offset += int(tf.reduce_sum(lengths)) + (
          RECORD_OVERHEAD_BYTES * int(lengths.shape[0]))
  except tf.errors.DataLossError:
    try:
      for length in _record_lengths(path, skip=num_records):
        num_records += 1
        offset += int(length) + RECORD_OVERHEAD_BYTES
    except tf.errors.DataLossError as loss:
      error = clean_message(loss.message)
  file_size = tf.io.gfile.stat(path).length
  if error is None and offset < file_size:
    error = ("the file ends {} bytes into a record header (truncated "
             "record; TensorFlow reads this as the end of the file)".format(
                 file_size - offset))
  num_unread = None
  if error is not None:
    tf_offset = _TF_OFFSET.search(error)
    if tf_offset is not None and int(tf_offset.group(1)) == offset + 12:
      # Only the record's data is bad; its length (CRC-checked) is right.
      num_unread = _count_headers(path, offset, file_size)
    elif error.startswith(("truncated", "the file ends")):
      num_unread = 1
  return FileScan(path, num_records, offset, file_size, error, num_unread)


def log_framing_damage(files: Sequence[str], field: str) -> int:
  """Scans files, logs each damaged one and a total; returns records lost.

  Args:
    files: the TFRecord files.
    field: the config field that asked for it, starting every log line.

  Returns:
    The records lost to the damage where they can be counted (see
    FileScan.num_unread; a file with a bad length field adds none).
  """
  damaged = [scan for scan in map(scan_file, files) if scan.error is not None]
  lost, unknown = 0, 0
  for scan in damaged:
    if scan.num_unread is None:
      unknown += 1
      what = "all records from it to the end of the file"
    else:
      lost += scan.num_unread
      what = "{} record(s) from it to the end of the file".format(
          scan.num_unread)
    logging.warning("%s: %s; skipping %s", field, scan.describe(), what)
  logging.info("%s: %d of %d file(s) damaged; %d record(s) skipped%s", field,
               len(damaged), len(files), lost,
               " plus the unframeable rest of %d file(s)" % unknown
               if unknown else "")
  return lost


def truncated_header_check(path: tf.Tensor, index: tf.Tensor,
                           num_bytes: tf.Tensor,
                           file_size: tf.Tensor) -> tf.Tensor:
  """Fails when bytes follow the last whole record of a file.

  TensorFlow reads a file that ends inside a record header as a clean end
  of file, which would lose that record silently.

  Args:
    path: string [] the file.
    index: int64 [] records read from it (the index of the partial one).
    num_bytes: int64 [] bytes those records take in the file.
    file_size: int64 [] size of the file.

  Returns:
    float32 [] to use as a control dependency; running it raises
    InvalidArgumentError "<INVALID_RECORD_PREFIX><path> record <index>: the
    file ends <n> bytes into the record's header (truncated record)" when
    num_bytes < file_size.
  """

  def fail() -> tf.Tensor:
    # tf.strings.to_number quotes its input verbatim in its error.
    return tf.strings.to_number(tf.strings.join([
        INVALID_RECORD_PREFIX, location_tensor(path, index),
        ": the file ends ", tf.strings.as_string(file_size - num_bytes),
        " bytes into the record's header (truncated record)"]))

  return tf.cond(num_bytes < file_size, fail, lambda: tf.constant(0.0))


def _strip_tf_noise(message: str) -> str:
  message = message.split("\n")[0]
  for pattern in _TF_NOISE:
    message = pattern.sub("", message)
  return message.strip()


def clean_message(message: str) -> str:
  """One line of a TensorFlow error message, without TF's decoration.

  For a message with INVALID_RECORD_PREFIX, the text from the prefix to
  the end of the check's message (dropping tf.debugging's "assertion
  failed: [...]" wrapping, node names and `[Op:...]`).

  Args:
    message: the `message` of a tf.errors.OpError.

  Returns:
    The cleaned line.
  """
  start = message.find(INVALID_RECORD_PREFIX)
  if start < 0:
    return _strip_tf_noise(message)
  line = message[start:].split("\n")[0]
  if start > 0 and message[start - 1] == "[":
    end = line.find("] [")
    line = line[:end] if end >= 0 else line[:line.rfind("]")]
  return _strip_tf_noise(line)


def locate_data_loss(error: tf.errors.DataLossError,
                     input_paths: Iterable[str]) -> str:
  """The message of an InputDataError for a corrupt or truncated record.

  Scans the files in order and names the first damaged one, preferring a
  file damaged at the byte offset TensorFlow's message gives (which is the
  record's start, or its data 12 bytes later).

  Args:
    error: the DataLossError of the input pipeline.
    input_paths: the input files or glob patterns, in config order.

  Returns:
    "<file>: record <i> (byte offset <o>) is corrupt or truncated: <TF's
    reason>; set skip_corrupt_records: true ...", or when no file is found
    damaged, TF's reason and the patterns.
  """
  reason = clean_message(error.message)
  found = _TF_OFFSET.search(reason)
  tf_offset = int(found.group(1)) if found else None
  first = None
  for path in _files_of(input_paths):
    scan = scan_file(path)
    if scan.error is None:
      continue
    first = first or scan
    if tf_offset in (scan.record_offset, scan.record_offset + 12):
      return "{}; {}".format(scan.describe(), SKIP_HINT)
  if first is not None:
    return "{}; {}".format(first.describe(), SKIP_HINT)
  return "{} (in one of {}); {}".format(reason, ", ".join(input_paths),
                                        SKIP_HINT)


def _files_of(input_paths: Iterable[str]) -> List[str]:
  files = []
  for pattern in input_paths:
    for path in sorted(tf.io.gfile.glob(pattern)):
      if path not in files:
        files.append(path)
  return files


# Checks one serialized record eagerly: (record, location) -> None when it
# decodes, else the one-line message naming it (TfExampleDecoder's
# `find_record_error`).
RecordChecker = Callable[[bytes, str], Optional[str]]


def find_bad_record(input_paths: Iterable[str],
                    record_checker: RecordChecker) -> Optional[str]:
  """The message for the first record of the files that fails to decode.

  Used after an op error that names no record (an image that starts like a
  JPEG but is cut short, bytes that are not a tf.Example): the files are
  read again in order and each record is checked eagerly until one fails.

  Args:
    input_paths: the input files or glob patterns, in config order.
    record_checker: see RecordChecker.

  Returns:
    The checker's message for the first failing record, or None.
  """
  for path in _files_of(input_paths):
    records = tf.data.TFRecordDataset(path).ignore_errors()
    for index, record in enumerate(records.as_numpy_iterator()):
      message = record_checker(record, format_location(path, index))
      if message is not None:
        return message
  return None


def translate(error: Exception,
              input_paths: Iterable[str] = (),
              record_checker: Optional[RecordChecker] = None) -> Exception:
  """The error users should see for an error of an input pipeline.

  Args:
    error: an exception raised while iterating a dataset.
    input_paths: the input files or glob patterns, to locate a DataLossError
      or (with record_checker) an undecodable record.
    record_checker: optional; see RecordChecker and `find_bad_record`.

  Returns:
    An InputDataError for an InvalidArgumentError carrying
    INVALID_RECORD_PREFIX (its cleaned one-line message), for a
    DataLossError (the damaged file and record, see `locate_data_loss`) and,
    with a record_checker, for another InvalidArgumentError when a record of
    the files fails the checker; `error` itself otherwise.
  """
  if isinstance(error, tf.errors.InvalidArgumentError) and (
      INVALID_RECORD_PREFIX in error.message):
    return InputDataError(clean_message(error.message))
  if isinstance(error, tf.errors.DataLossError):
    return InputDataError(locate_data_loss(error, list(input_paths)))
  if isinstance(error, tf.errors.InvalidArgumentError) and record_checker:
    message = find_bad_record(input_paths, record_checker)
    if message is not None:
      return InputDataError(message)
  return error


def iterate(dataset: tf.data.Dataset,
            input_paths: Iterable[str] = (),
            record_checker: Optional[RecordChecker] = None) -> Iterator:
  """Yields the elements of `dataset`, raising translated errors.

  Args:
    dataset: the input pipeline.
    input_paths: its input files or glob patterns (see `translate`).
    record_checker: optional (see `translate`), e.g.
      `dataset_builder.build_decoder(config).find_record_error`.

  Yields:
    The elements of the dataset.

  Raises:
    InputDataError: for a bad record, instead of TensorFlow's error (with no
      chained traceback, so the message is the whole story).
  """
  input_paths = list(input_paths)
  iterator = iter(dataset)
  while True:
    try:
      element = next(iterator)
    except StopIteration:
      return
    except tf.errors.OpError as error:
      translated = translate(error, input_paths, record_checker)
      if translated is error:
        raise
      raise translated from None
    yield element
