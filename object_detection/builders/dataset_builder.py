"""Builds the tf.data input pipeline of an `InputReader` config message.

    from object_detection.builders import dataset_builder
    dataset = dataset_builder.build(configs["train_input_config"],
                                    batch_size=8, transform_input_data_fn=fn,
                                    seed=0)

The pipeline, in order: the `tf_record_input_reader.input_path` globs are
expanded when the dataset is built (a pattern that matches nothing is an
InputDataError naming the field and the pattern); the file list is sharded
by `input_context` (disjoint files per input pipeline), shuffled
(`filenames_shuffle_buffer_size`) and repeated (`num_epochs`, 0 = forever);
`num_readers` files are read at once (interleave with cycle length
min(num_readers, files), `read_block_length` records per turn,
deterministic when `shuffle` is false or a seed is given); records are
shuffled (`shuffle_buffer_size`), one in `sample_1_of_n_examples` is kept,
decoded by a `TfExampleDecoder` built from the config (`build_decoder`),
optionally reduced by `reduce_to_frame_fn`, transformed by
`transform_input_data_fn` (parallel map, AUTOTUNE), batched
(`drop_remainder`) and prefetched (`num_prefetch_batches`, -1 = AUTOTUNE).

Every record carries its location "<file> record <index in file>", computed
in the graph, to the decoder (`record_location`), whose errors name it; see
`object_detection.data.record_errors` to turn pipeline errors into one
clean InputDataError. A file that ends inside a record header, which
TensorFlow reads as a clean end of file, fails after its last whole record
with "invalid record: <file> record <index>: the file ends ... (truncated
record)" (the file sizes are read when the dataset is built).

Extensions of this project:
  - `seed`: with an int seed, file and record shuffling are seeded and every
    decoded example gets under SEED_KEY ("preprocessing_seed") an int64 [2]
    stateless seed [seed, ordinal * num_input_pipelines + pipeline id],
    where ordinal counts the examples of this pipeline in read order. The
    transform function (`inputs.py`) hands it to `preprocessor.preprocess`,
    so the same seed gives the same batches whatever the parallelism.
  - `skip_corrupt_records: true` in the InputReader: records that fail
    framing or decoding are skipped instead of stopping the pipeline. At
    build time every file is read once to find framing damage (a corrupt or
    truncated record ends what can be read of its file: the damaged record
    and all after it in that file are skipped); each damaged file and the
    total are logged. While the pipeline runs, a record that fails decoding
    is logged by tf.data ("Error raised with error message ...", with the
    record's location) and the running count of such records is logged as
    soon as the next good record is read (so records that fail at the very
    end of a finite pass are logged by tf.data only).
  - `cache_decoded_examples: true` in the InputReader: the files are read
    and decoded once (per input pattern, after `sample_1_of_n_examples`,
    so every pass sees the same examples) and the decoded examples are
    kept in memory (`tf.data.Dataset.cache`); they are then shuffled and
    repeated, and each pass's augmentation still differs (the seed
    ordinal counts examples over all passes). Memory: every decoded
    example of the dataset at once.

Differences from the TF OD API: the parallelism of the maps is AUTOTUNE,
so `num_parallel_batches` and the deprecated `num_parallel_map_calls`,
`queue_capacity`, `min_after_dequeue` and `prefetch_size` are not used;
the input context shards the file list before it is shuffled (the TF OD
API shuffles first, which can give two workers the same file), and falls
back to sharding records when there are fewer files than input pipelines;
a wrong message type is a TypeError. The TF OD API's
`make_initializable_iterator` is tf.compat.v1 only and is not provided:
iterate the dataset (`iter(dataset)`, or `record_errors.iterate`).
"""

import functools
import math
from typing import Callable, List, Optional, Sequence, Tuple

from absl import logging
import tensorflow as tf

from object_detection.data import record_errors
from object_detection.data_decoders import tf_example_decoder
from object_detection.protos import input_reader_pb2

SEED_KEY = "preprocessing_seed"
DEFAULT_PATH = "input_reader"
# InputReader fields the decoder does not implement (True is an error).
_NOT_IMPLEMENTED = ("load_dense_pose", "expand_labels_hierarchy")
READ_BUFFER_BYTES = 8 * 1000 * 1000

_ORDINAL_KEY = "_dataset_builder_ordinal"
_MASK_TYPES = {
    input_reader_pb2.DEFAULT: tf_example_decoder.NUMERICAL_MASKS,
    input_reader_pb2.NUMERICAL_MASKS: tf_example_decoder.NUMERICAL_MASKS,
    input_reader_pb2.PNG_MASKS: tf_example_decoder.PNG_MASKS,
}


def _check_at_least(config: input_reader_pb2.InputReader, field: str,
                    minimum: int, path: str) -> None:
  value = getattr(config, field)
  if value < minimum:
    raise ValueError("{}.{}: must be >= {}, got {}".format(
        path, field, minimum, value))


def _validate(config: input_reader_pb2.InputReader, path: str) -> None:
  if not isinstance(config, input_reader_pb2.InputReader):
    raise TypeError("{}: expected an InputReader message, got {}".format(
        path, type(config).__name__))
  kind = config.WhichOneof("input_reader")
  if kind != "tf_record_input_reader":
    raise ValueError("{}: only tf_record_input_reader is supported, got "
                     "{}".format(path, kind or "no reader"))
  if config.input_type == input_reader_pb2.TF_SEQUENCE_EXAMPLE:
    raise ValueError("{}.input_type: TF_SEQUENCE_EXAMPLE is not supported; "
                     "use TF_EXAMPLE".format(path))
  for field, minimum in (("num_readers", 1), ("read_block_length", 1),
                         ("num_prefetch_batches", -1)):
    _check_at_least(config, field, minimum, path)
  if config.shuffle:
    _check_at_least(config, "shuffle_buffer_size", 1, path)
    _check_at_least(config, "filenames_shuffle_buffer_size", 1, path)
  weights = list(config.sample_from_datasets_weights)
  num_patterns = len(config.tf_record_input_reader.input_path)
  if weights and (len(weights) != num_patterns or min(weights) < 0
                  or sum(weights) <= 0):
    raise ValueError(
        "{}.sample_from_datasets_weights: needs one weight >= 0 per "
        "tf_record_input_reader.input_path ({}), not all 0, got {}".format(
            path, num_patterns, weights))


def build_decoder(input_reader_config: input_reader_pb2.InputReader,
                  num_classes: Optional[int] = None,
                  path: str = DEFAULT_PATH
                  ) -> tf_example_decoder.TfExampleDecoder:
  """The TfExampleDecoder of an InputReader (the TF OD API's decoder_builder).

  Args:
    input_reader_config: the InputReader; its load_* fields, mask_type,
      label_map_path, use_display_name, num_keypoints,
      num_additional_channels and expand_labels_hierarchy are passed on
      (the decoder rejects the ones it does not implement: dense pose and
      label hierarchies).
    num_classes: optional number of classes; the decoder rejects larger ids.
    path: config path of the reader, for error messages.

  Returns:
    The decoder.

  Raises:
    ValueError: a field asks for decoding this project does not implement.
  """
  config = input_reader_config
  for field in _NOT_IMPLEMENTED:
    if getattr(config, field):
      raise ValueError("{}.{}: not supported by this version's "
                       "TfExampleDecoder; set it to false".format(path, field))
  return tf_example_decoder.TfExampleDecoder(
      load_instance_masks=config.load_instance_masks,
      instance_mask_type=_MASK_TYPES[config.mask_type],
      label_map_proto_file=config.label_map_path or None,
      use_display_name=config.use_display_name,
      num_keypoints=config.num_keypoints,
      num_additional_channels=config.num_additional_channels,
      load_multiclass_scores=config.load_multiclass_scores,
      load_context_features=config.load_context_features,
      expand_hierarchy_labels=config.expand_labels_hierarchy,
      load_dense_pose=config.load_dense_pose,
      load_track_id=config.load_track_id,
      load_keypoint_depth_features=config.load_keypoint_depth_features,
      num_classes=num_classes)


def shard_function_for_context(
    input_context: Optional[tf.distribute.InputContext]
) -> Optional[Callable[[tf.data.Dataset], tf.data.Dataset]]:
  """`dataset -> this pipeline's shard of it`, or None without a context."""
  if input_context is None:
    return None
  return functools.partial(
      tf.data.Dataset.shard, num_shards=input_context.num_input_pipelines,
      index=input_context.input_pipeline_id)


def _located_records(filename: tf.Tensor, skip_corrupt: bool,
                     file_sizes: Optional[tf.lookup.StaticHashTable] = None
                     ) -> tf.data.Dataset:
  """(serialized string [], location string []) of every record of a file.

  Args:
    filename: string [] the file.
    skip_corrupt: end the file quietly at its first framing error.
    file_sizes: file name -> int64 size; with it (and not skip_corrupt) a
      file that ends inside a record header fails after its last record.

  Returns:
    The dataset.
  """
  records = tf.data.TFRecordDataset(filename, buffer_size=READ_BUFFER_BYTES)
  if skip_corrupt or file_sizes is None:
    if skip_corrupt:
      # A framing error ends the file's records, so the indices stay right.
      records = records.ignore_errors(log_warning=True)
    return records.enumerate().map(
        lambda index, record: (record, record_errors.location_tensor(
            filename, index)))
  file_size = file_sizes.lookup(filename)
  ended = tf.data.Dataset.from_tensors((tf.constant(""), tf.constant(True)))
  framed = records.map(lambda record: (record, tf.constant(False)))

  def step(state: Tuple[tf.Tensor, tf.Tensor], element):
    index, num_bytes = state
    record, is_end = element
    check = tf.cond(is_end,
                    lambda: record_errors.truncated_header_check(
                        filename, index, num_bytes, file_size),
                    lambda: tf.constant(0.0))
    with tf.control_dependencies([check]):
      location = record_errors.location_tensor(filename, index)
    num_bytes += tf.cast(tf.strings.length(record), tf.int64) + (
        record_errors.RECORD_OVERHEAD_BYTES)
    return (index + 1, num_bytes), (record, location, is_end)

  initial = (tf.constant(0, tf.int64), tf.constant(0, tf.int64))
  return framed.concatenate(ended).scan(initial, step).filter(
      lambda record, location, is_end: tf.logical_not(is_end)).map(
          lambda record, location, is_end: (record, location))


def _file_size_table(files: Sequence[str]) -> tf.lookup.StaticHashTable:
  """file name -> int64 size in bytes, for `_located_records`."""
  return tf.lookup.StaticHashTable(
      tf.lookup.KeyValueTensorInitializer(
          tf.constant(list(files), tf.string),
          tf.constant([tf.io.gfile.stat(f).length for f in files], tf.int64)),
      default_value=-1)


def read_dataset(file_read_func: Callable[[tf.Tensor], tf.data.Dataset],
                 input_files: Sequence[str],
                 config: input_reader_pb2.InputReader,
                 filename_shard_fn: Optional[Callable] = None,
                 record_shard_fn: Optional[Callable] = None,
                 seed: Optional[int] = None,
                 cache_fn: Optional[Callable[[tf.data.Dataset],
                                             tf.data.Dataset]] = None
                 ) -> tf.data.Dataset:
  """Reads, shards, shuffles and repeats the records of some files.

  Args:
    file_read_func: filename string [] -> dataset of that file's records.
    input_files: the files (already expanded, in order).
    config: the InputReader (shuffle, buffer sizes, num_epochs, num_readers,
      read_block_length).
    filename_shard_fn: optional, applied to the dataset of file names before
      shuffling (see shard_function_for_context).
    record_shard_fn: optional, applied to the records (before shuffling them;
      file shuffling is then seeded or off so that every pipeline reads the
      records in the same order).
    seed: optional int seed of both shuffles.
    cache_fn: optional (extension), records of one pass -> a dataset that
      caches what it makes of them (decoded examples). The files are
      then read once, in their shuffled order, and the cached elements are
      shuffled and repeated instead of the records.

  Returns:
    The dataset of file_read_func's elements (cache_fn's with cache_fn).
  """
  filenames = tf.data.Dataset.from_tensor_slices(list(input_files))
  num_files = len(input_files)
  if filename_shard_fn is not None:
    filenames = filename_shard_fn(filenames)
    num_files = int(filenames.cardinality())
  num_readers = min(config.num_readers, num_files)
  if config.shuffle and (record_shard_fn is None or seed is not None):
    filenames = filenames.shuffle(config.filenames_shuffle_buffer_size,
                                  seed=seed)
  elif not config.shuffle and num_readers > 1:
    logging.warning("shuffle is false but %d files are read in turn "
                    "(num_readers): records alternate between files.",
                    num_readers)
  if cache_fn is None:
    filenames = filenames.repeat(config.num_epochs or None)
  deterministic = (not config.shuffle or seed is not None
                   or record_shard_fn is not None)
  parallel = dict(num_parallel_calls=tf.data.AUTOTUNE,
                  deterministic=deterministic) if num_readers > 1 else {}
  records = filenames.interleave(
      file_read_func, cycle_length=num_readers,
      block_length=config.read_block_length, **parallel)
  if record_shard_fn is not None:
    records = record_shard_fn(records)
  if cache_fn is not None:
    records = cache_fn(records)
  if config.shuffle:
    records = records.shuffle(config.shuffle_buffer_size,
                              seed=None if seed is None else seed + 1)
  if cache_fn is not None:
    records = records.repeat(config.num_epochs or None)
  return records


def _read_all(config: input_reader_pb2.InputReader,
              files_per_pattern: List[List[str]],
              input_context: Optional[tf.distribute.InputContext],
              seed: Optional[int], path: str,
              cache_fn: Optional[Callable] = None) -> tf.data.Dataset:
  """Located records of every pattern, mixed by the sampling weights.

  With cache_fn (see read_dataset) each pattern's elements are cached
  before they are mixed, so the weights hold on every pass.
  """
  file_sizes = None
  if not config.skip_corrupt_records:
    file_sizes = _file_size_table(sorted(
        {f for files in files_per_pattern for f in files}))
  file_read_func = functools.partial(
      _located_records, skip_corrupt=config.skip_corrupt_records,
      file_sizes=file_sizes)
  weights = list(config.sample_from_datasets_weights)
  if weights:
    sources = [(files, w) for files, w in zip(files_per_pattern, weights)
               if w > 0]
  else:
    merged = []
    for files in files_per_pattern:
      merged.extend(f for f in files if f not in merged)
    sources = [(merged, 1.0)]
  datasets = []
  for files, weight in sources:
    file_shard = record_shard = None
    if input_context is not None:
      shard_fn = shard_function_for_context(input_context)
      if len(files) >= input_context.num_input_pipelines:
        file_shard = shard_fn
      else:
        logging.warning(
            "%s: %d file(s) for %d input pipelines: sharding records, not "
            "files.", path, len(files), input_context.num_input_pipelines)
        record_shard = shard_fn
    source_config = config
    if weights:
      source_config = input_reader_pb2.InputReader()
      source_config.CopyFrom(config)
      source_config.num_readers = max(1, math.ceil(
          config.num_readers * weight / sum(weights)))
    datasets.append(read_dataset(file_read_func, files, source_config,
                                 file_shard, record_shard, seed, cache_fn))
  if len(datasets) == 1 and not weights:
    return datasets[0]
  return tf.data.Dataset.sample_from_datasets(
      datasets, weights=[w for _, w in sources], seed=seed)


def _log_decode_skips(skipped: tf.Tensor, total: tf.Tensor) -> None:
  logging.warning(
      "skip_corrupt_records: skipped %d record(s) that failed decoding "
      "(%d so far this pass)", int(skipped), int(total))


def _count_decode_skips(dataset: tf.data.Dataset) -> tf.data.Dataset:
  """Logs gaps in the ordinals left by ignore_errors; drops the ordinals."""

  def step(state: Tuple[tf.Tensor, tf.Tensor], element):
    last, total = state
    element = dict(element)
    ordinal = element.pop(_ORDINAL_KEY)
    gap = ordinal - last - 1
    total += gap

    def log() -> tf.Tensor:
      tf.py_function(_log_decode_skips, [gap, total], [])
      return gap

    tf.cond(gap > 0, log, lambda: gap)
    return (ordinal, total), element

  initial = (tf.constant(-1, tf.int64), tf.constant(0, tf.int64))
  return dataset.scan(initial, step)


def build(input_reader_config: input_reader_pb2.InputReader,
          batch_size: Optional[int] = None,
          transform_input_data_fn: Optional[Callable] = None,
          input_context: Optional[tf.distribute.InputContext] = None,
          reduce_to_frame_fn: Optional[Callable] = None,
          num_classes: Optional[int] = None,
          seed: Optional[int] = None,
          path: str = DEFAULT_PATH) -> tf.data.Dataset:
  """The tf.data.Dataset of an InputReader (see the module docstring).

  Args:
    input_reader_config: the InputReader with a tf_record_input_reader.
    batch_size: the global batch size; None for no batching. With an
      input_context, each pipeline batches its per-replica share.
    transform_input_data_fn: optional, decoded tensor dict -> any structure
      (e.g. inputs.py's transform and padding); its outputs must have one
      shape per batch. Without it, elements are the decoder's dicts.
    input_context: optional tf.distribute.InputContext: this pipeline reads
      its shard of the files and batches the per-replica batch size.
    reduce_to_frame_fn: optional, (dataset, map_fn, batch_size, config) ->
      dataset, applied after decoding (the TF OD API's hook for sequences).
    num_classes: optional number of classes, passed to the decoder.
    seed: optional int (extension): seeds shuffling and adds SEED_KEY.
    path: the config path of input_reader_config, for messages (e.g.
      "train_input_reader").

  Returns:
    The dataset: elements of transform_input_data_fn's structure (or
    decoded dicts), batched when batch_size is set.

  Raises:
    TypeError: input_reader_config is not an InputReader.
    ValueError: a field value that cannot be honoured (named with its path).
    InputDataError: an input_path pattern matches no file.
  """
  _validate(input_reader_config, path)
  config = input_reader_config
  files_per_pattern = record_errors.expand_input_paths(
      list(config.tf_record_input_reader.input_path),
      path + ".tf_record_input_reader.input_path")
  decoder = build_decoder(config, num_classes, path)
  if input_context is not None and batch_size:
    batch_size = input_context.get_per_replica_batch_size(batch_size)
  skip_corrupt = config.skip_corrupt_records
  if skip_corrupt:
    record_errors.log_framing_damage(
        sorted({f for files in files_per_pattern for f in files}),
        path + ".skip_corrupt_records")

  num_pipelines, pipeline_id = ((input_context.num_input_pipelines,
                                 input_context.input_pipeline_id)
                                if input_context is not None else (1, 0))

  def add_seed(ordinal: tf.Tensor, tensor_dict):
    if seed is not None:
      tensor_dict = dict(tensor_dict)
      tensor_dict[SEED_KEY] = tf.stack([
          tf.constant(seed, tf.int64),
          ordinal * num_pipelines + pipeline_id])
    return tensor_dict

  def decode(records: tf.data.Dataset) -> tf.data.Dataset:
    """(serialized, location) records -> decoded dicts, in order."""

    def decode_one(ordinal: tf.Tensor, serialized: tf.Tensor,
                   location: tf.Tensor):
      tensor_dict = decoder.decode(serialized, record_location=location)
      if skip_corrupt:
        tensor_dict[_ORDINAL_KEY] = ordinal
      return tensor_dict

    decoded = records.enumerate().map(
        lambda ordinal, located: decode_one(ordinal, *located),
        num_parallel_calls=tf.data.AUTOTUNE)
    if skip_corrupt:
      decoded = _count_decode_skips(decoded.ignore_errors(log_warning=True))
    return decoded

  def sample_and_decode(records: tf.data.Dataset) -> tf.data.Dataset:
    if config.sample_1_of_n_examples > 1:
      records = records.shard(config.sample_1_of_n_examples, 0)
    return decode(records)

  if config.cache_decoded_examples:
    dataset = _read_all(
        config, files_per_pattern, input_context, seed, path,
        cache_fn=lambda records: sample_and_decode(records).cache())
  else:
    dataset = sample_and_decode(
        _read_all(config, files_per_pattern, input_context, seed, path))
  if seed is not None:
    dataset = dataset.enumerate().map(add_seed)

  def map_fn(dataset: tf.data.Dataset, fn: Callable, batch_size=None,
             input_reader_config=None) -> tf.data.Dataset:
    del batch_size, input_reader_config  # The TF OD API's signature.
    return dataset.map(fn, num_parallel_calls=tf.data.AUTOTUNE)

  if reduce_to_frame_fn is not None:
    dataset = reduce_to_frame_fn(dataset, map_fn, batch_size, config)
  if transform_input_data_fn is not None:
    dataset = map_fn(dataset, transform_input_data_fn)
  if batch_size:
    dataset = dataset.batch(batch_size, drop_remainder=config.drop_remainder)
  return dataset.prefetch(config.num_prefetch_batches)
