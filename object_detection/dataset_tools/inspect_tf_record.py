r"""Describes TFRecords of detection tf.Examples, and draws one of them.

    python -m object_detection.dataset_tools.inspect_tf_record \
        --input='data/shapes/train-*.tfrecord' --sample_png=sample.png

prints the records per file, every feature key (how many records hold it,
its value type), the instances per class, box widths and heights in pixels
with COCO's small/medium/large counts, instances per image, image sizes and
how many records have masks; with --sample_png it draws record
--sample_index with its boxes, class names and masks. `od-inspect-tf-record`
and `python scripts/inspect_tf_record.py` are the same program. Exit status
2 with one line for bad input (no file matched, a corrupt record).
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "inspect_tf_record"

flags.DEFINE_multi_string("input", [], "TFRecord files or globs "
                          "(repeatable, comma-separated).")
flags.DEFINE_string("label_map_path", None,
                    "Label map for class names (default: class/text).")
flags.DEFINE_integer("max_records", None, "Read at most this many records.")
flags.DEFINE_string("sample_png", None,
                    "Draw one record with its boxes and masks here.")
flags.DEFINE_integer("sample_index", 0, "Which record --sample_png draws "
                     "(0 is the first).")

FLAGS = flags.FLAGS


def _sample(example, category_index):
  """The record's image with its groundtruth drawn (uint8 [H, W, 3])."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from object_detection.core import standard_fields as fields  # pylint: disable=g-import-not-at-top
  from object_detection.data_decoders import tf_example_decoder  # pylint: disable=g-import-not-at-top
  from object_detection.utils import visualization_utils as vis_util  # pylint: disable=g-import-not-at-top
  masks = example.features.feature.get("image/object/mask")
  mask_type = (tf_example_decoder.PNG_MASKS
               if masks is not None and masks.WhichOneof("kind") == "bytes_list"
               else tf_example_decoder.NUMERICAL_MASKS)
  decoder = tf_example_decoder.TfExampleDecoder(
      load_instance_masks=masks is not None, instance_mask_type=mask_type)
  decoded = decoder.decode(tf.constant(example.SerializeToString()))
  inputs = fields.InputDataFields
  image = decoded[inputs.image].numpy().astype(np.uint8)
  classes = decoded[inputs.groundtruth_classes].numpy().astype(np.int64)
  instance_masks = decoded.get(inputs.groundtruth_instance_masks)
  vis_util.visualize_boxes_and_labels_on_image_array(
      image, decoded[inputs.groundtruth_boxes].numpy(), classes,
      np.ones(classes.shape, np.float32), category_index,
      instance_masks=(None if instance_masks is None
                      else instance_masks.numpy().astype(np.uint8)),
      use_normalized_coordinates=True, max_boxes_to_draw=None,
      min_score_thresh=0.0, skip_scores=True, line_thickness=1)
  return image


def main(argv) -> int:
  """Prints the statistics of --input."""
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  patterns = [p for value in FLAGS.input for p in value.split(",") if p]
  if not patterns:
    raise ValueError("--input is required")
  for name in ("max_records", "sample_index"):
    value = getattr(FLAGS, name)
    if value is not None and value < (1 if name == "max_records" else 0):
      raise ValueError("--%s is out of range: %d" % (name, value))
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection.dataset_tools import record_stats  # pylint: disable=g-import-not-at-top
  from object_detection.inference import image_sources  # pylint: disable=g-import-not-at-top
  from object_detection.utils import file_io  # pylint: disable=g-import-not-at-top
  from object_detection.utils import label_map_util  # pylint: disable=g-import-not-at-top
  from object_detection.utils import visualization_utils as vis_util  # pylint: disable=g-import-not-at-top
  paths = image_sources.expand(patterns)
  names = {}
  if FLAGS.label_map_path:
    names = {k: v["name"] for k, v in
             label_map_util.create_category_index_from_labelmap(
                 FLAGS.label_map_path, use_display_name=True).items()}
  stats = record_stats.RecordStats()
  sample = None
  for number, (path, _, example) in enumerate(
      record_stats.read_examples(paths, FLAGS.max_records)):
    stats.add(path, example)
    if number == FLAGS.sample_index:
      sample = example
  print(stats.report(names))
  if FLAGS.sample_png:
    if sample is None:
      raise ValueError("--sample_index %d: only %d records were read" % (
          FLAGS.sample_index, stats.num_records))
    class_names = dict(stats.class_texts)
    class_names.update(names)
    category_index = {k: {"id": k, "name": v} for k, v in class_names.items()}
    file_io.write_bytes_atomically(
        FLAGS.sample_png,
        vis_util.encode_image_array_as_png_str(_sample(sample,
                                                       category_index)))
    print("record %d drawn: %s" % (FLAGS.sample_index, FLAGS.sample_png))
  return 0


def run() -> None:
  """Console-script entry point (od-inspect-tf-record)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main)


if __name__ == "__main__":
  run()
