"""Tests for object_detection/builders/dataset_builder.py.

The records are tiny tf.Examples (8x8 PNG, one box [1, 1, 5, 5] pixels =
[0.125, 0.125, 0.625, 0.625] normalised) whose source_id names the file
and the record ("a2" is record 2 of file a), so the tests read the order
of the pipeline off the source ids. A record takes 16 + len(data) bytes in
the file; the ids all have the same length, so every record of a file has
the same size and record i starts at byte i * size.
"""

import logging
import os
import re
from typing import List, Sequence

import numpy as np
import pytest
import tensorflow as tf

from object_detection.builders import dataset_builder
from object_detection.core import standard_fields
from object_detection.data import record_errors
from object_detection.data import tf_example_writer
from object_detection.protos import input_reader_pb2

fields = standard_fields.InputDataFields


def _serialized(source_id: str, ymax: float = 5.0) -> bytes:
  image = np.full((8, 8, 3), 9, np.uint8)
  return tf_example_writer.encode_detection_example(
      image, np.array([[1.0, 1.0, ymax, 5.0]]), [1], {1: "a"},
      source_id).SerializeToString()


def _write(directory, name: str, num_records: int) -> str:
  """Writes `<name>0 .. <name><n-1>` to `<directory>/<name>.tfrecord`."""
  path = os.path.join(str(directory), name + ".tfrecord")
  with tf.io.TFRecordWriter(path) as writer:
    for index in range(num_records):
      writer.write(_serialized("%s%d" % (name, index)))
  return path


def _record_size(name: str = "a") -> int:
  return len(_serialized(name + "0")) + 16


def _config(patterns: Sequence[str], **values) -> input_reader_pb2.InputReader:
  config = input_reader_pb2.InputReader(
      shuffle=False, num_readers=1, num_epochs=1)
  config.tf_record_input_reader.input_path.extend(patterns)
  for key, value in values.items():
    setattr(config, key, value)
  return config


def _ids(dataset: tf.data.Dataset) -> List[str]:
  return [element[fields.source_id].numpy().decode() for element in dataset]


def _source_id(tensor_dict):
  return tensor_dict[fields.source_id]


@pytest.fixture
def two_files(tmp_path):
  """a.tfrecord with a0..a3, b.tfrecord with b0..b3."""
  return [_write(tmp_path, "a", 4), _write(tmp_path, "b", 4)]


def test_decodes_every_record_of_a_glob_in_file_order(tmp_path, two_files):
  dataset = dataset_builder.build(_config([str(tmp_path / "*.tfrecord")]))
  elements = list(dataset)
  assert [e[fields.source_id].numpy().decode() for e in elements] == [
      "a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]
  first = elements[0]
  assert first[fields.image].dtype == tf.uint8
  np.testing.assert_array_equal(first[fields.image].numpy(),
                                np.full((8, 8, 3), 9, np.uint8))
  # [1, 1, 5, 5] / 8 = [0.125, 0.125, 0.625, 0.625].
  np.testing.assert_allclose(first[fields.groundtruth_boxes].numpy(),
                             [[0.125, 0.125, 0.625, 0.625]])
  assert first[fields.groundtruth_classes].numpy().tolist() == [1]
  assert dataset_builder.SEED_KEY not in first


def test_several_patterns_are_merged_without_repeats(tmp_path, two_files):
  _write(tmp_path, "c", 1)
  config = _config([str(tmp_path / "c.tfrecord"), str(tmp_path / "*.tfrecord")])
  # c first (its own pattern), then a and b; c is read once.
  assert _ids(dataset_builder.build(config)) == [
      "c0", "a0", "a1", "a2", "a3", "b0", "b1", "b2", "b3"]


def test_num_readers_interleaves_read_block_length_records(two_files):
  config = _config(two_files, num_readers=2, read_block_length=2)
  assert _ids(dataset_builder.build(config)) == [
      "a0", "a1", "b0", "b1", "a2", "a3", "b2", "b3"]
  # More readers than files: cycle over the 2 files.
  config = _config(two_files, num_readers=8, read_block_length=1)
  assert _ids(dataset_builder.build(config)) == [
      "a0", "b0", "a1", "b1", "a2", "b2", "a3", "b3"]


def test_num_epochs_and_forever(two_files):
  config = _config(two_files[:1], num_epochs=3)
  assert _ids(dataset_builder.build(config)) == ["a0", "a1", "a2", "a3"] * 3
  forever = dataset_builder.build(_config(two_files[:1], num_epochs=0))
  # 5 passes and a half, more than any finite setting above.
  assert _ids(forever.take(22)) == ["a0", "a1", "a2", "a3"] * 5 + ["a0", "a1"]


def test_sample_1_of_n_examples_keeps_every_nth(tmp_path):
  path = _write(tmp_path, "a", 7)
  config = _config([path], sample_1_of_n_examples=3)
  # Records 0, 3 and 6 of 0..6.
  assert _ids(dataset_builder.build(config)) == ["a0", "a3", "a6"]


def test_batching_and_drop_remainder(tmp_path):
  path = _write(tmp_path, "a", 5)
  kept = dataset_builder.build(_config([path], drop_remainder=True),
                               batch_size=2,
                               transform_input_data_fn=_source_id)
  # 5 records in batches of 2: 2 full batches, the fifth record dropped.
  assert [b.numpy().tolist() for b in kept] == [[b"a0", b"a1"],
                                                [b"a2", b"a3"]]
  assert kept.element_spec.shape.as_list() == [2]
  all_records = dataset_builder.build(
      _config([path], drop_remainder=False, num_prefetch_batches=-1),
      batch_size=2,
      transform_input_data_fn=_source_id)
  assert [len(b) for b in all_records] == [2, 2, 1]
  assert all_records.element_spec.shape.as_list() == [None]


def test_transform_input_data_fn_sees_the_decoded_dict(tmp_path):
  path = _write(tmp_path, "a", 2)

  def transform(tensor_dict):
    return {"area": tf.reduce_prod(
        tensor_dict[fields.groundtruth_boxes][:, 2:]
        - tensor_dict[fields.groundtruth_boxes][:, :2], axis=1),
            "id": tensor_dict[fields.source_id]}

  dataset = dataset_builder.build(_config([path]), batch_size=2,
                                  transform_input_data_fn=transform)
  batch = next(iter(dataset))
  # Box side 0.625 - 0.125 = 0.5: area 0.25.
  np.testing.assert_allclose(batch["area"].numpy(), [[0.25], [0.25]])
  assert batch["id"].numpy().tolist() == [b"a0", b"a1"]


def test_input_context_shards_files_and_splits_the_batch(tmp_path):
  paths = [_write(tmp_path, name, 2) for name in "abcd"]
  seen = []
  for pipeline_id in range(2):
    context = tf.distribute.InputContext(
        num_input_pipelines=2, input_pipeline_id=pipeline_id,
        num_replicas_in_sync=2)
    dataset = dataset_builder.build(
        _config(paths), batch_size=4, transform_input_data_fn=_source_id,
        input_context=context)
    batches = [b.numpy().tolist() for b in dataset]
    # Global batch 4 over 2 replicas: 2 per batch; files a, c vs b, d.
    assert all(len(b) == 2 for b in batches)
    seen.append([i.decode() for b in batches for i in b])
  assert seen == [["a0", "a1", "c0", "c1"], ["b0", "b1", "d0", "d1"]]


def test_input_context_with_fewer_files_than_pipelines_shards_records(
    tmp_path):
  path = _write(tmp_path, "a", 5)
  shards = [_ids(dataset_builder.build(
      _config([path], shuffle=True, shuffle_buffer_size=8),
      input_context=tf.distribute.InputContext(3, pipeline_id), seed=4))
            for pipeline_id in range(3)]
  assert sorted(sum(shards, [])) == ["a0", "a1", "a2", "a3", "a4"]
  assert [len(s) for s in shards] == [2, 2, 1]
  assert sorted(shards[0]) == ["a0", "a3"]


def _shuffled(paths, seed):
  config = _config(paths, shuffle=True, shuffle_buffer_size=16,
                   filenames_shuffle_buffer_size=4, num_readers=2,
                   num_epochs=2)
  return _ids(dataset_builder.build(config, seed=seed))


def test_shuffle_with_a_seed_is_reproducible(tmp_path):
  paths = [_write(tmp_path, name, 4) for name in "abc"]
  in_order = ["%s%d" % (n, i) for n in "abc" for i in range(4)]
  first = _shuffled(paths, seed=7)
  # Two epochs of the 12 records (the record buffer of 16 mixes them).
  assert sorted(first) == sorted(in_order * 2)
  assert first[:12] != first[12:]
  assert first[:12] != in_order
  assert first == _shuffled(paths, seed=7)
  assert first != _shuffled(paths, seed=8)


def test_filenames_shuffle_without_record_shuffle_keeps_files_whole(
    tmp_path):
  paths = [_write(tmp_path, name, 2) for name in "abcd"]
  orders = set()
  for seed in range(4):
    config = _config(paths, shuffle=True, shuffle_buffer_size=1,
                     filenames_shuffle_buffer_size=4)
    ids = _ids(dataset_builder.build(config, seed=seed))
    files = ids[0::2]
    # Buffer 1 keeps records in read order: each file's 2 records together.
    assert ids == [i for f in files for i in (f[0] + "0", f[0] + "1")]
    assert sorted(f[0] for f in files) == list("abcd")
    orders.add("".join(f[0] for f in files))
  # 4 seeds, the file order is shuffled (not always a, b, c, d).
  assert orders != {"abcd"}


def test_sample_from_datasets_weights(tmp_path, two_files):
  config = _config([two_files[0], two_files[1]])
  config.sample_from_datasets_weights.extend([1.0, 0.0])
  # Weight 0: b is never read.
  assert _ids(dataset_builder.build(config, seed=0)) == [
      "a0", "a1", "a2", "a3"]
  config.sample_from_datasets_weights[:] = [1.0]
  with pytest.raises(ValueError, match=(
      r"^input_reader\.sample_from_datasets_weights: needs one weight >= 0 "
      r"per tf_record_input_reader\.input_path \(2\), not all 0, got "
      r"\[1\.0\]$")):
    dataset_builder.build(config)


def test_seed_gives_every_example_a_stateless_seed(two_files):
  context = tf.distribute.InputContext(2, 1)
  dataset = dataset_builder.build(_config(two_files, num_epochs=2), seed=5,
                                  input_context=context)
  seeds = [e[dataset_builder.SEED_KEY].numpy().tolist() for e in dataset]
  # Pipeline 1 of 2 reads file b twice (8 examples): ordinal * 2 + 1.
  assert seeds == [[5, 2 * ordinal + 1] for ordinal in range(8)]


def test_glob_that_matches_nothing_names_pattern_and_field(tmp_path):
  missing = str(tmp_path / "train-*.tfrecord")
  with pytest.raises(record_errors.InputDataError) as raised:
    dataset_builder.build(_config([missing]), path="train_input_reader")
  assert str(raised.value) == (
      "train_input_reader.tf_record_input_reader.input_path: {!r} matches "
      "no file".format(missing))


@pytest.mark.parametrize("field, value, message", [
    ("num_readers", 0, r"^input_reader\.num_readers: must be >= 1, got 0$"),
    ("read_block_length", 0,
     r"^input_reader\.read_block_length: must be >= 1, got 0$"),
    ("num_prefetch_batches", -2,
     r"^input_reader\.num_prefetch_batches: must be >= -1, got -2$"),
    ("shuffle_buffer_size", 0,
     r"^input_reader\.shuffle_buffer_size: must be >= 1, got 0$"),
])
def test_bad_field_values_name_the_field(two_files, field, value, message):
  config = _config(two_files, shuffle=True, **{field: value})
  with pytest.raises(ValueError, match=message):
    dataset_builder.build(config)


def test_bad_config_kinds():
  with pytest.raises(TypeError, match="expected an InputReader message"):
    dataset_builder.build(input_reader_pb2.TFRecordInputReader())
  with pytest.raises(ValueError, match="only tf_record_input_reader is "
                     "supported, got no reader"):
    dataset_builder.build(input_reader_pb2.InputReader())


def _damage(path: str, offset: int) -> None:
  data = bytearray(open(path, "rb").read())
  data[offset] ^= 0xFF
  with open(path, "wb") as stream:
    stream.write(bytes(data))


def test_corrupt_record_error_names_file_and_record(tmp_path, two_files):
  size = _record_size()
  _damage(two_files[1], 2 * size + 12 + 7)  # Data of b2.
  config = _config([str(tmp_path / "*.tfrecord")])
  seen = []
  with pytest.raises(record_errors.InputDataError) as raised:
    for element in record_errors.iterate(
        dataset_builder.build(config), record_errors.input_files(config)):
      seen.append(element[fields.source_id].numpy().decode())
  assert seen == ["a0", "a1", "a2", "a3", "b0", "b1"]
  assert str(raised.value) == (
      "{}: record 2 (byte offset {}) is corrupt or truncated: corrupted "
      "record at {}; {}".format(two_files[1], 2 * size, 2 * size + 12,
                                record_errors.SKIP_HINT))


def test_truncated_record_error_names_file_and_record(two_files):
  size = _record_size()
  path = two_files[0]
  data = open(path, "rb").read()
  with open(path, "wb") as stream:
    stream.write(data[:3 * size + 40])  # Inside the data of a3.
  with pytest.raises(record_errors.InputDataError,
                     match=r"^{}: record 3 \(byte offset {}\) is corrupt or "
                     r"truncated: truncated record at {}".format(
                         path, 3 * size, 3 * size)):
    list(record_errors.iterate(dataset_builder.build(_config([path])),
                               [path]))


def test_a_file_truncated_inside_a_header_is_not_read_as_a_clean_end(
    two_files):
  # TensorFlow alone reads a3's 5 header bytes as the end of the file.
  size = _record_size()
  path = two_files[0]
  data = open(path, "rb").read()
  with open(path, "wb") as stream:
    stream.write(data[:3 * size + 5])
  assert sum(1 for _ in tf.data.TFRecordDataset(path)) == 3
  seen = []
  with pytest.raises(record_errors.InputDataError) as raised:
    for element in record_errors.iterate(
        dataset_builder.build(_config(two_files)), two_files):
      seen.append(element[fields.source_id].numpy().decode())
  assert seen == ["a0", "a1", "a2"]
  assert str(raised.value) == (
      "invalid record: {} record 3: the file ends 5 bytes into the record's "
      "header (truncated record)".format(path))


def test_a_bad_record_is_named_by_file_and_index(tmp_path):
  path = os.path.join(str(tmp_path), "bad.tfrecord")
  with tf.io.TFRecordWriter(path) as writer:
    writer.write(_serialized("ok0"))
    writer.write(_serialized("bad", ymax=20.0))  # ymax 20 / 8 = 2.5 > 1.
  with pytest.raises(record_errors.InputDataError) as raised:
    list(record_errors.iterate(dataset_builder.build(_config([path]))))
  assert str(raised.value).startswith(
      "invalid record: {} record 1: source_id 'bad': "
      "image/object/bbox/ymax".format(path))


def test_skip_corrupt_records_keeps_the_rest_and_logs_counts(
    tmp_path, two_files, caplog):
  size = _record_size()
  _damage(two_files[0], size + 12 + 7)  # Data of a1: a1..a3 are lost.
  config = _config([str(tmp_path / "*.tfrecord")], skip_corrupt_records=True)
  with caplog.at_level(logging.INFO, logger="absl"):
    ids = _ids(dataset_builder.build(config))
  assert ids == ["a0", "b0", "b1", "b2", "b3"]
  messages = [r.getMessage() for r in caplog.records]
  assert (
      "input_reader.skip_corrupt_records: {}: record 1 (byte offset {}) is "
      "corrupt or truncated: corrupted record at {}; skipping 3 record(s) "
      "from it to the end of the file".format(two_files[0], size, size + 12)
      in messages)
  assert ("input_reader.skip_corrupt_records: 1 of 2 file(s) damaged; 3 "
          "record(s) skipped" in messages)


def test_skip_corrupt_records_skips_undecodable_records(tmp_path, caplog):
  path = os.path.join(str(tmp_path), "mixed.tfrecord")
  with tf.io.TFRecordWriter(path) as writer:
    for source_id in ("ok0", "bad", "bad", "ok3"):
      writer.write(_serialized(source_id, ymax=20.0 if source_id == "bad"
                               else 5.0))
  config = _config([path], skip_corrupt_records=True)
  with caplog.at_level(logging.INFO, logger="absl"):
    ids = _ids(dataset_builder.build(config))
  assert ids == ["ok0", "ok3"]
  assert ("skip_corrupt_records: skipped 2 record(s) that failed decoding "
          "(2 so far this pass)" in [r.getMessage() for r in caplog.records])


def test_without_skip_corrupt_records_a_bad_record_stops_the_pipeline(
    tmp_path):
  path = os.path.join(str(tmp_path), "mixed.tfrecord")
  with tf.io.TFRecordWriter(path) as writer:
    writer.write(_serialized("bad", ymax=20.0))
    writer.write(_serialized("ok1"))
  with pytest.raises(tf.errors.InvalidArgumentError, match="record 0"):
    list(dataset_builder.build(_config([path])))


def test_build_decoder_passes_the_config_fields(tmp_path):
  path = _write(tmp_path, "a", 1)
  config = _config([path], load_instance_masks=True,
                   mask_type=input_reader_pb2.PNG_MASKS)
  # The writer's records have no masks: [0, 8, 8] for the 1 box would fail
  # the count check, so the decoder rejects the record, naming the field.
  with pytest.raises(record_errors.InputDataError, match="image/object/mask"):
    list(record_errors.iterate(dataset_builder.build(config)))


@pytest.mark.parametrize("field", ["load_dense_pose",
                                   "expand_labels_hierarchy"])
def test_build_rejects_what_the_decoder_does_not_implement(tmp_path, field):
  config = _config([_write(tmp_path, "a", 1)], **{field: True})
  with pytest.raises(ValueError, match="^" + re.escape(
      "train_input_reader.{}: not supported by this version's "
      "TfExampleDecoder; set it to false".format(field)) + "$"):
    dataset_builder.build(config, path="train_input_reader")


def test_build_decoder_passes_the_load_flags(tmp_path):
  config = _config([_write(tmp_path, "a", 1)], load_track_id=True,
                   load_context_features=True,
                   load_keypoint_depth_features=True)
  decoder = dataset_builder.build_decoder(config)
  keys = set(decoder.keys_to_features)
  assert "image/object/track/label" in keys
  assert "image/context_features" in keys


def test_an_image_cut_short_is_named_with_the_decoders_record_checker(
    tmp_path):
  # The JPEG starts like one (so the in-graph check passes) but is cut
  # short: only the eager re-check names the record.
  path = os.path.join(str(tmp_path), "jpeg.tfrecord")
  jpeg = tf.io.encode_jpeg(np.full((8, 8, 3), 100, np.uint8)).numpy()
  with tf.io.TFRecordWriter(path) as writer:
    for source_id, encoded in (("ok0", jpeg), ("cut", jpeg[:40])):
      example = tf.train.Example.FromString(_serialized(source_id))
      feature = example.features.feature
      feature["image/encoded"].bytes_list.value[0] = encoded
      feature["image/format"].bytes_list.value[0] = b"jpeg"
      writer.write(example.SerializeToString())
  config = _config([path])
  dataset = dataset_builder.build(config)
  with pytest.raises(tf.errors.InvalidArgumentError):
    list(record_errors.iterate(dataset, [path]))
  checker = dataset_builder.build_decoder(config).find_record_error
  with pytest.raises(record_errors.InputDataError) as raised:
    list(record_errors.iterate(dataset, [path], record_checker=checker))
  assert str(raised.value).startswith(
      "invalid record: {} record 1: source_id 'cut': image/encoded: "
      "bytes cannot be decoded: ".format(path))


def test_cache_decoded_examples_reads_the_files_once(tmp_path):
  path = _write(tmp_path, "a", 4)
  config = _config([path], num_epochs=3, cache_decoded_examples=True)
  iterator = iter(dataset_builder.build(config, seed=5))
  first_pass = [next(iterator) for _ in range(5)]  # the 5th ends pass 1
  os.remove(path)  # later passes come from memory
  elements = first_pass + list(iterator)
  assert [_source_id(e).numpy().decode() for e in elements] == [
      "a0", "a1", "a2", "a3"] * 3
  # Seeds count examples over all passes, so augmentation differs per pass.
  assert [e[dataset_builder.SEED_KEY].numpy().tolist()
          for e in elements] == [[5, ordinal] for ordinal in range(12)]
  np.testing.assert_array_equal(elements[8][fields.image].numpy(),
                                elements[0][fields.image].numpy())
  # Without the cache every pass reads the file again (50 passes: more than
  # the pipeline's buffers can have read ahead).
  _write(tmp_path, "a", 4)
  iterator = iter(dataset_builder.build(_config([path], num_epochs=50)))
  for _ in range(5):
    next(iterator)
  os.remove(path)
  with pytest.raises(tf.errors.NotFoundError):
    list(iterator)


def test_cache_decoded_examples_shuffles_every_pass(tmp_path):
  paths = [_write(tmp_path, name, 4) for name in "abc"]

  def ids(seed):
    config = _config(paths, shuffle=True, shuffle_buffer_size=16,
                     filenames_shuffle_buffer_size=4, num_readers=2,
                     num_epochs=2, cache_decoded_examples=True)
    return _ids(dataset_builder.build(config, seed=seed))

  in_order = ["%s%d" % (n, i) for n in "abc" for i in range(4)]
  first = ids(7)
  assert sorted(first[:12]) == sorted(first[12:]) == in_order
  assert first[:12] != first[12:]
  assert first == ids(7) and first != ids(8)


def test_cache_decoded_examples_with_sampling_and_weights(tmp_path,
                                                          two_files):
  path = _write(tmp_path, "c", 7)
  config = _config([path], num_epochs=2, sample_1_of_n_examples=3,
                   cache_decoded_examples=True)
  assert _ids(dataset_builder.build(config)) == ["c0", "c3", "c6"] * 2
  config = _config(two_files, num_epochs=2, cache_decoded_examples=True)
  config.sample_from_datasets_weights.extend([1.0, 0.0])
  assert _ids(dataset_builder.build(config, seed=0)) == [
      "a0", "a1", "a2", "a3"] * 2


def test_cache_decoded_examples_with_skip_corrupt_records(tmp_path, caplog):
  path = os.path.join(str(tmp_path), "mixed.tfrecord")
  with tf.io.TFRecordWriter(path) as writer:
    for source_id in ("ok0", "bad", "ok2"):
      writer.write(_serialized(source_id, ymax=20.0 if source_id == "bad"
                               else 5.0))
  config = _config([path], num_epochs=3, skip_corrupt_records=True,
                   cache_decoded_examples=True)
  with caplog.at_level(logging.INFO, logger="absl"):
    ids = _ids(dataset_builder.build(config))
  assert ids == ["ok0", "ok2"] * 3
  # Decoded (and its failure logged) once, in the first pass.
  assert [r.getMessage() for r in caplog.records].count(
      "skip_corrupt_records: skipped 1 record(s) that failed decoding "
      "(1 so far this pass)") == 1
