"""Benchmarks the training input pipeline against the training step.

Prints examples per second of the full train input (`inputs.train_input`:
read, decode, augment, model preprocess, pad, batch) for

  (a) shapes records (PNG, 128x128, as scripts/create_shapes_dataset.py
      writes them) with the demo config's own augmentation;
  (b) 640x640 JPEG records with PNG instance masks (random shapes on
      noise) with random_horizontal_flip + random_crop_image, feeding the
      demo model with its fixed_shape_resizer set to 640x640;

and, for each, the examples per second that one training step of that
model consumes (model_builder, the config's batch size, Adam, a
tf.function step: forward, loss, gradient, apply) and the ratio
input / train. Records are written to a temporary folder
and removed afterwards; nothing is downloaded.

    python scripts/bench_input.py
    python scripts/bench_input.py --input_batches=20 --train_steps=5

The input rate is measured after `--input_warmup_batches` batches (tracing,
reader start-up, shuffle buffer), the train rate after one warm-up step.
"""

import os
import sys
import tempfile
import time

from absl import app
from absl import flags

CONFIG = flags.DEFINE_string(
    "pipeline_config_path", "pipelines/mask_rcnn_shapes.config",
    "Demo config: model, train_config and train_input_reader settings.")
NUM_RECORDS = flags.DEFINE_integer(
    "num_records", 64, "Records written for each dataset.", lower_bound=1)
JPEG_SIZE = flags.DEFINE_integer(
    "jpeg_size", 640, "Height and width of the JPEG images.", lower_bound=64)
INPUT_WARMUP = flags.DEFINE_integer(
    "input_warmup_batches", 3, "Batches read before timing the input.",
    lower_bound=1)
INPUT_BATCHES = flags.DEFINE_integer(
    "input_batches", 12, "Timed input batches.", lower_bound=1)
TRAIN_STEPS = flags.DEFINE_integer(
    "train_steps", 3, "Timed training steps (0: skip the train step).",
    lower_bound=0)
SEED = flags.DEFINE_integer("seed", 0, "Seed of the data and the pipeline.")


def _write_records(directory: str, name: str, num_records: int, size: int,
                   jpeg: bool, seed: int) -> str:
  """Writes shapes records; returns the input_path glob."""
  import io  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import PIL.Image  # pylint: disable=g-import-not-at-top
  from object_detection.core.standard_fields import TfExampleFields  # pylint: disable=g-import-not-at-top
  from object_detection.data import shapes_dataset  # pylint: disable=g-import-not-at-top
  from object_detection.data import tf_example_writer  # pylint: disable=g-import-not-at-top

  rng = np.random.default_rng(seed)
  scale = size / 128.0

  def examples():
    for index in range(num_records):
      shapes = shapes_dataset.make_example(
          rng, size, size, max_instances=4, min_size=int(12 * scale),
          max_size=int(48 * scale))
      example = tf_example_writer.encode_detection_example(
          shapes.image, shapes.boxes, shapes.classes,
          shapes_dataset.CLASS_NAMES, "%s_%06d" % (name, index),
          shapes.masks)
      if jpeg:
        buffer = io.BytesIO()
        PIL.Image.fromarray(shapes.image).save(buffer, format="JPEG",
                                               quality=90)
        feature = example.features.feature
        feature[TfExampleFields.image_encoded].bytes_list.value[0] = (
            buffer.getvalue())
        feature[TfExampleFields.image_format].bytes_list.value[0] = b"jpeg"
      yield example

  prefix = os.path.join(directory, name)
  tf_example_writer.write_tfrecord_shards(examples(), prefix, num_shards=4)
  return prefix + "-?????-of-00004.tfrecord"


def _configs(pattern: str, augmentation: str = ""):
  """The demo configs reading `pattern` forever, optionally re-augmented."""
  from google.protobuf import text_format  # pylint: disable=g-import-not-at-top
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top

  configs = config_util.get_configs_from_pipeline_file(CONFIG.value)
  reader = configs["train_input_config"]
  del reader.tf_record_input_reader.input_path[:]
  reader.tf_record_input_reader.input_path.append(pattern)
  reader.num_epochs = 0
  if reader.label_map_path and not os.path.exists(reader.label_map_path):
    beside = os.path.join(os.path.dirname(os.path.abspath(CONFIG.value)),
                          os.path.basename(reader.label_map_path))
    reader.label_map_path = beside
  if augmentation:
    train_config = configs["train_config"]
    del train_config.data_augmentation_options[:]
    text_format.Merge(augmentation, train_config)
  return configs


def _input_rate(configs, model, batch_size: int) -> float:
  """Examples per second of train_input after the warm-up batches."""
  from object_detection import inputs  # pylint: disable=g-import-not-at-top
  from object_detection.core import standard_fields as fields  # pylint: disable=g-import-not-at-top
  from object_detection.data import record_errors  # pylint: disable=g-import-not-at-top

  reader = configs["train_input_config"]
  dataset = inputs.train_input(configs["train_config"], reader,
                               configs["model"], model=model,
                               seed=SEED.value)
  # Bad records raise InputDataError (file, record, field), not TF's error.
  iterator = record_errors.iterate(
      dataset, reader.tf_record_input_reader.input_path)
  for _ in range(INPUT_WARMUP.value):
    next(iterator)
  start = time.perf_counter()
  for _ in range(INPUT_BATCHES.value):
    features, _ = next(iterator)
  features[fields.InputDataFields.image].numpy()
  seconds = time.perf_counter() - start
  return INPUT_BATCHES.value * batch_size / seconds


def _train_rate(model, batch, batch_size: int) -> float:
  """Examples per second consumed by a tf.function train step (Adam)."""
  import keras  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from object_detection.core import standard_fields as fields  # pylint: disable=g-import-not-at-top

  labels_fields = fields.InputDataFields
  features, labels = batch

  def provide(labels):
    counts = tf.unstack(labels[labels_fields.num_groundtruth_boxes])
    def unpad(name):
      return [tensor[:count] for tensor, count in
              zip(tf.unstack(labels[name]), counts)]
    masks = None
    if labels_fields.groundtruth_instance_masks in labels:
      masks = unpad(labels_fields.groundtruth_instance_masks)
    model.provide_groundtruth(
        groundtruth_boxes_list=unpad(labels_fields.groundtruth_boxes),
        groundtruth_classes_list=unpad(labels_fields.groundtruth_classes),
        groundtruth_weights_list=unpad(labels_fields.groundtruth_weights),
        groundtruth_masks_list=masks)

  optimizer = keras.optimizers.Adam(1e-4)

  @tf.function
  def train_step(features, labels):
    provide(labels)
    with tf.GradientTape() as tape:
      prediction_dict = model.predict(
          features[labels_fields.image],
          features[labels_fields.true_image_shape])
      losses = model.loss(prediction_dict,
                          features[labels_fields.true_image_shape])
      total = tf.add_n(list(losses.values()) + model.regularization_losses())
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(total, variables), variables))
    return total

  train_step(features, labels).numpy()  # trace, build variables, warm up
  start = time.perf_counter()
  for _ in range(TRAIN_STEPS.value):
    train_step(features, labels).numpy()
  return TRAIN_STEPS.value * batch_size / (time.perf_counter() - start)


_JPEG_AUGMENTATION = """
  data_augmentation_options { random_horizontal_flip { } }
  data_augmentation_options { random_crop_image { } }
"""


def run() -> None:
  """Writes the records, measures and prints the figures."""
  import keras  # pylint: disable=g-import-not-at-top
  from object_detection.builders import model_builder  # pylint: disable=g-import-not-at-top

  keras.utils.set_random_seed(SEED.value)
  with tempfile.TemporaryDirectory(prefix="bench_input_") as directory:
    start = time.perf_counter()
    shapes_glob = _write_records(directory, "shapes", NUM_RECORDS.value, 128,
                                 jpeg=False, seed=SEED.value)
    jpeg_glob = _write_records(directory, "jpeg", NUM_RECORDS.value,
                               JPEG_SIZE.value, jpeg=True, seed=SEED.value + 1)
    print("wrote %d + %d records in %.1f s" % (
        NUM_RECORDS.value, NUM_RECORDS.value, time.perf_counter() - start))
    shapes_configs = _configs(shapes_glob)
    jpeg_configs = _configs(jpeg_glob, _JPEG_AUGMENTATION)
    # (b) feeds the same model at its own resolution, as a user training
    # on 640x640 images would configure it.
    resizer = jpeg_configs["model"].faster_rcnn.image_resizer
    resizer.fixed_shape_resizer.height = JPEG_SIZE.value
    resizer.fixed_shape_resizer.width = JPEG_SIZE.value
    batch_size = shapes_configs["train_config"].batch_size
    cases = [("(a) shapes 128x128 PNG, config augmentation", shapes_configs),
             ("(b) %dx%d JPEG + PNG masks, flip + crop, model at %d" % (
                 JPEG_SIZE.value, JPEG_SIZE.value, JPEG_SIZE.value),
              jpeg_configs)]
    for name, configs in cases:
      model = model_builder.build(configs["model"], is_training=True)
      rate = _input_rate(configs, model, batch_size)
      print("%s\n  input      %8.1f examples/s (batch %d)" % (
          name, rate, batch_size))
      if not TRAIN_STEPS.value:
        continue
      from object_detection import inputs  # pylint: disable=g-import-not-at-top
      batch = next(iter(inputs.train_input(
          configs["train_config"], configs["train_input_config"],
          configs["model"], model=model, seed=SEED.value)))
      train = _train_rate(model, batch, batch_size)
      print("  train step %8.1f examples/s (%s model, batch %d, Adam)\n"
            "  input/train %6.1fx" % (train, os.path.basename(CONFIG.value),
                                     batch_size, rate / train))


def main(argv):
  del argv
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from object_detection.data import record_errors  # pylint: disable=g-import-not-at-top
  try:
    run()
  except (ValueError, NotImplementedError, OSError, tf.errors.OpError,
          record_errors.InputDataError) as error:
    sys.stderr.write("bench_input: %s\n" % error)
    sys.exit(2)


if __name__ == "__main__":
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  app.run(main, flags_parser=flags_util.flags_parser_for("bench_input"))
