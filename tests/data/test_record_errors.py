"""Tests for object_detection/data/record_errors.py.

Every file here holds small tf.Examples (8x8 PNG, one box) written with
tf_example_writer. A TFRecord record takes 16 + len(data) bytes: 8 for the
length, 4 for the length's CRC, the data, 4 for the data's CRC; so record i
of a file whose records all have n data bytes starts at byte i * (16 + n),
and its data at i * (16 + n) + 12.
"""

import logging
from typing import List, Sequence, Tuple

import numpy as np
import pytest
import tensorflow as tf

from object_detection.data import record_errors
from object_detection.data import tf_example_writer
from object_detection.protos import input_reader_pb2


def _serialized(source_id: str) -> bytes:
  image = np.full((8, 8, 3), 7, np.uint8)
  return tf_example_writer.encode_detection_example(
      image, np.array([[1.0, 1.0, 5.0, 5.0]]), [1], {1: "a"},
      source_id).SerializeToString()


def _write(path: str, source_ids: Sequence[str]) -> Tuple[str, List[int]]:
  """Writes the records; returns the path and each record's data size."""
  records = [_serialized(s) for s in source_ids]
  with tf.io.TFRecordWriter(path) as writer:
    for record in records:
      writer.write(record)
  return path, [len(r) for r in records]


def _flip(path: str, offset: int) -> None:
  data = bytearray(open(path, "rb").read())
  data[offset] ^= 0xFF
  with open(path, "wb") as stream:
    stream.write(bytes(data))


def _truncate(path: str, size: int) -> None:
  data = open(path, "rb").read()
  with open(path, "wb") as stream:
    stream.write(data[:size])


@pytest.fixture
def four_records(tmp_path):
  """A file of 4 records of equal size; returns (path, record size)."""
  path, sizes = _write(str(tmp_path / "a.tfrecord"), ["r0", "r1", "r2", "r3"])
  assert len(set(sizes)) == 1
  return path, sizes[0] + 16


def test_location_is_spelled_the_same_in_python_and_in_the_graph():
  assert record_errors.format_location("d/x.tfrecord", 17) == (
      "d/x.tfrecord record 17")
  located = record_errors.location_tensor(tf.constant("d/x.tfrecord"),
                                          tf.constant(17, tf.int64))
  assert located.numpy().decode() == "d/x.tfrecord record 17"


def test_expand_input_paths_sorts_each_pattern(tmp_path):
  for name in ("b.rec", "a.rec", "c.other"):
    (tmp_path / name).write_bytes(b"")
  patterns = [str(tmp_path / "*.rec"), str(tmp_path / "c.other")]
  assert record_errors.expand_input_paths(patterns) == [
      [str(tmp_path / "a.rec"), str(tmp_path / "b.rec")],
      [str(tmp_path / "c.other")]]


def test_a_pattern_that_matches_nothing_names_the_field_and_pattern(
    tmp_path):
  (tmp_path / "a.rec").write_bytes(b"")
  missing = str(tmp_path / "train-*.tfrecord")
  with pytest.raises(record_errors.InputDataError) as raised:
    record_errors.expand_input_paths([str(tmp_path / "a.rec"), missing])
  assert str(raised.value) == (
      "input_reader.tf_record_input_reader.input_path: {!r} matches no "
      "file".format(missing))
  with pytest.raises(record_errors.InputDataError,
                     match=r"^train_input_reader\.x: '.*' matches no file$"):
    record_errors.expand_input_paths([missing], "train_input_reader.x")


def test_no_pattern_at_all_is_an_error():
  with pytest.raises(record_errors.InputDataError,
                     match=r"^f\.input_path: must name at least one file$"):
    record_errors.expand_input_paths([], "f.input_path")


def test_input_files_keeps_config_order_without_repeats(tmp_path):
  for name in ("a.rec", "b.rec", "z.rec"):
    (tmp_path / name).write_bytes(b"")
  config = input_reader_pb2.InputReader()
  config.tf_record_input_reader.input_path.extend([
      str(tmp_path / "z.rec"), str(tmp_path / "*.rec")])
  # z first (its own pattern), then a and b; z is not repeated.
  assert record_errors.input_files(config) == [
      str(tmp_path / n) for n in ("z.rec", "a.rec", "b.rec")]


def test_scan_of_a_sound_file(four_records):
  path, size = four_records
  scan = record_errors.scan_file(path)
  assert scan == record_errors.FileScan(path, 4, 4 * size, 4 * size)


def test_scan_of_corrupt_data_counts_the_records_left(four_records):
  path, size = four_records
  _flip(path, 2 * size + 12 + 5)  # In the data of record 2.
  scan = record_errors.scan_file(path)
  assert (scan.num_records, scan.record_offset, scan.file_size) == (
      2, 2 * size, 4 * size)
  # TensorFlow names the offset of the data: 2 * size + 12.
  assert scan.error == "corrupted record at {}".format(2 * size + 12)
  # The length is intact, so records 2 and 3 are framed: both are lost.
  assert scan.num_unread == 2
  assert scan.describe() == (
      "{}: record 2 (byte offset {}) is corrupt or truncated: corrupted "
      "record at {}".format(path, 2 * size, 2 * size + 12))


def test_scan_of_a_corrupt_length_cannot_count_what_follows(four_records):
  path, size = four_records
  _flip(path, size + 2)  # In the length field of record 1.
  scan = record_errors.scan_file(path)
  assert (scan.num_records, scan.record_offset) == (1, size)
  assert scan.error == "corrupted record at {}".format(size)
  assert scan.num_unread is None


def test_scan_of_a_file_truncated_inside_the_data(four_records):
  path, size = four_records
  _truncate(path, 3 * size + 100)
  scan = record_errors.scan_file(path)
  assert (scan.num_records, scan.record_offset, scan.num_unread) == (
      3, 3 * size, 1)
  assert scan.error.startswith("truncated record at {}".format(3 * size))


def test_scan_of_a_file_truncated_inside_a_header(four_records):
  # TensorFlow reads a file that ends 5 bytes into a header as a clean end
  # of file with 3 records; the scan still reports the partial record 3.
  path, size = four_records
  _truncate(path, 3 * size + 5)
  assert sum(1 for _ in tf.data.TFRecordDataset(path)) == 3
  scan = record_errors.scan_file(path)
  assert (scan.num_records, scan.record_offset, scan.file_size,
          scan.num_unread) == (3, 3 * size, 3 * size + 5, 1)
  assert scan.error == (
      "the file ends 5 bytes into a record header (truncated record; "
      "TensorFlow reads this as the end of the file)")


def test_clean_message_strips_tensorflow_decoration():
  raw = ("{{function_node __wrapped__IteratorGetNext_output_types_1_device_"
         "/job:localhost/replica:0/task:0/device:CPU:0}} corrupted record "
         "at 459 [Op:IteratorGetNext] name: \nmore lines")
  assert record_errors.clean_message(raw) == "corrupted record at 459"
  checked = ("assertion failed: [invalid record: f.tfrecord record 3: "
             "source_id 'x': image/encoded: must be an image, got b''] "
             "[Condition x <= 0 did not hold]\n\t [[{{node Assert}}]]")
  assert record_errors.clean_message(checked) == (
      "invalid record: f.tfrecord record 3: source_id 'x': image/encoded: "
      "must be an image, got b''")


def test_translate_an_invalid_record():
  error = tf.errors.InvalidArgumentError(
      None, None, "{{function_node f}} invalid record: f record 0: "
      "source_id 'x': k: bad [Op:IteratorGetNext]")
  translated = record_errors.translate(error)
  assert isinstance(translated, record_errors.InputDataError)
  assert str(translated) == "invalid record: f record 0: source_id 'x': k: bad"


def test_translate_leaves_other_errors_alone():
  error = tf.errors.InvalidArgumentError(None, None, "shapes differ")
  assert record_errors.translate(error) is error
  other = RuntimeError("x")
  assert record_errors.translate(other) is other


def test_translate_locates_a_data_loss_among_the_files(tmp_path):
  sound, _ = _write(str(tmp_path / "a.tfrecord"), ["a0", "a1"])
  damaged, sizes = _write(str(tmp_path / "b.tfrecord"), ["b0", "b1", "b2"])
  size = sizes[0] + 16
  _flip(damaged, size + 12 + 3)
  with pytest.raises(tf.errors.DataLossError) as raised:
    list(tf.data.TFRecordDataset([sound, damaged]))
  translated = record_errors.translate(raised.value,
                                       [str(tmp_path / "*.tfrecord")])
  assert isinstance(translated, record_errors.InputDataError)
  assert str(translated) == (
      "{}: record 1 (byte offset {}) is corrupt or truncated: corrupted "
      "record at {}; {}".format(damaged, size, size + 12,
                                record_errors.SKIP_HINT))


def test_locate_data_loss_prefers_the_file_damaged_at_tensorflows_offset(
    tmp_path):
  first, sizes = _write(str(tmp_path / "a.tfrecord"), ["a0", "a1", "a2"])
  second, _ = _write(str(tmp_path / "b.tfrecord"), ["b0", "b1", "b2"])
  size = sizes[0] + 16
  _flip(first, 2 * size + 12 + 3)   # a: record 2.
  _flip(second, size + 12 + 3)      # b: record 1.
  with pytest.raises(tf.errors.DataLossError) as raised:
    list(tf.data.TFRecordDataset(second))
  message = record_errors.locate_data_loss(raised.value, [first, second])
  assert message.startswith("{}: record 1 (byte offset {})".format(
      second, size))


def test_locate_data_loss_without_a_damaged_file_names_the_patterns(
    tmp_path):
  sound, _ = _write(str(tmp_path / "a.tfrecord"), ["a0"])
  error = tf.errors.DataLossError(None, None, "corrupted record at 3")
  assert record_errors.locate_data_loss(error, [sound]) == (
      "corrupted record at 3 (in one of {}); {}".format(
          sound, record_errors.SKIP_HINT))


def test_iterate_yields_then_raises_the_translated_error(four_records):
  path, size = four_records
  _flip(path, 3 * size + 12 + 1)
  seen = []
  with pytest.raises(record_errors.InputDataError) as raised:
    for record in record_errors.iterate(tf.data.TFRecordDataset(path),
                                        [path]):
      seen.append(record.numpy())
  assert seen == [_serialized("r0"), _serialized("r1"), _serialized("r2")]
  assert str(raised.value).startswith(
      "{}: record 3 (byte offset {}) is corrupt or truncated".format(
          path, 3 * size))
  assert raised.value.__cause__ is None
  assert raised.value.__suppress_context__


def test_iterate_reraises_untranslated_errors():
  dataset = tf.data.Dataset.from_tensors(tf.constant(0.0)).map(
      lambda x: tf.debugging.check_numerics(x / x, "not a number here"))
  with pytest.raises(tf.errors.InvalidArgumentError, match="not a number"):
    list(record_errors.iterate(dataset))


def test_iterate_of_a_sound_dataset():
  assert [int(x) for x in record_errors.iterate(
      tf.data.Dataset.range(3))] == [0, 1, 2]



def test_log_framing_damage_counts_what_it_can(tmp_path, caplog):
  sound, _ = _write(str(tmp_path / "a.tfrecord"), ["a0", "a1"])
  data_bad, sizes = _write(str(tmp_path / "b.tfrecord"), ["b0", "b1", "b2"])
  length_bad, _ = _write(str(tmp_path / "c.tfrecord"), ["c0", "c1", "c2"])
  header_cut, _ = _write(str(tmp_path / "d.tfrecord"), ["d0", "d1"])
  size = sizes[0] + 16
  _flip(data_bad, 12 + 3)         # b0's data: b0..b2 (3 records) lost.
  _flip(length_bad, size + 1)     # c1's length: the rest is unframeable.
  _truncate(header_cut, size + 7)  # 7 bytes of d1's header: d1 lost.
  with caplog.at_level(logging.INFO, logger="absl"):
    lost = record_errors.log_framing_damage(
        [sound, data_bad, length_bad, header_cut], "train.skip")
  assert lost == 3 + 1
  messages = [r.getMessage() for r in caplog.records]
  assert messages == [
      "train.skip: {}: record 0 (byte offset 0) is corrupt or truncated: "
      "corrupted record at 12; skipping 3 record(s) from it to the end of "
      "the file".format(data_bad),
      "train.skip: {}: record 1 (byte offset {}) is corrupt or truncated: "
      "corrupted record at {}; skipping all records from it to the end of "
      "the file".format(length_bad, size, size),
      "train.skip: {}: record 1 (byte offset {}) is corrupt or truncated: "
      "the file ends 7 bytes into a record header (truncated record; "
      "TensorFlow reads this as the end of the file); skipping 1 record(s) "
      "from it to the end of the file".format(header_cut, size),
      "train.skip: 3 of 4 file(s) damaged; 4 record(s) skipped plus the "
      "unframeable rest of 1 file(s)"]


def test_truncated_header_check():
  path = tf.constant("d/x.tfrecord")
  index = tf.constant(3, tf.int64)
  ok = record_errors.truncated_header_check(
      path, index, tf.constant(40, tf.int64), tf.constant(40, tf.int64))
  assert float(ok) == 0.0
  with pytest.raises(tf.errors.InvalidArgumentError) as raised:
    record_errors.truncated_header_check(
        path, index, tf.constant(40, tf.int64), tf.constant(45, tf.int64))
  # 45 - 40 = 5 bytes past the 3 whole records.
  assert record_errors.clean_message(raised.value.message) == (
      "invalid record: d/x.tfrecord record 3: the file ends 5 bytes into "
      "the record's header (truncated record)")
  assert isinstance(record_errors.translate(raised.value),
                    record_errors.InputDataError)
