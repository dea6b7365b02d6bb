r"""Converts COCO-format datasets to sharded TFRecords and a label map.

    python -m object_detection.dataset_tools.create_coco_tf_record \
        --train_image_dir=coco/train2017 --val_image_dir=coco/val2017 \
        --train_annotations_file=coco/annotations/instances_train2017.json \
        --val_annotations_file=coco/annotations/instances_val2017.json \
        --include_masks --output_dir=coco/records

writes <output_dir>/coco_train.record-?????-of-00100,
coco_val.record-?????-of-00050 and coco_testdev.record-?????-of-00050 (for
each split given), the TF OD API tool's names and shard counts (set them
with --train_num_shards and the like), and <output_dir>/label_map.pbtxt of
the categories. The flags are the TF OD API tool's; `od-create-coco-tf-record`
and `python scripts/create_coco_tf_record.py` are the same program. See
object_detection.dataset_tools.coco_conversion for the record layout and
the checks. Exit status 2 with one line naming the file and the record for
bad input; shards of a split are renamed into place only when all of it is
written.
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "create_coco_tf_record"

flags.DEFINE_string("train_image_dir", "", "Training image folder.")
flags.DEFINE_string("val_image_dir", "", "Validation image folder.")
flags.DEFINE_string("test_image_dir", "", "Test image folder.")
flags.DEFINE_string("train_annotations_file", "",
                    "Training annotations JSON.")
flags.DEFINE_string("val_annotations_file", "", "Validation annotations JSON.")
flags.DEFINE_string("testdev_annotations_file", "",
                    "Test-dev image info JSON (no annotations needed).")
flags.DEFINE_string("output_dir", "/tmp/", "Where the records go.")
flags.DEFINE_boolean("include_masks", False,
                     "Write instance masks (image/object/mask, PNG).")
flags.DEFINE_integer("train_num_shards", 100, "Shards of coco_train.record.")
flags.DEFINE_integer("val_num_shards", 50, "Shards of coco_val.record.")
flags.DEFINE_integer("testdev_num_shards", 50,
                     "Shards of coco_testdev.record.")

FLAGS = flags.FLAGS

# (split, annotations flag, image dir flag, shards flag, needs annotations)
_SPLITS = (("train", "train_annotations_file", "train_image_dir",
            "train_num_shards", True),
           ("val", "val_annotations_file", "val_image_dir", "val_num_shards",
            True),
           ("testdev", "testdev_annotations_file", "test_image_dir",
            "testdev_num_shards", False))


def main(argv) -> int:
  """Converts each split whose annotations file is given."""
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  splits = [s for s in _SPLITS if getattr(FLAGS, s[1])]
  if not splits:
    raise ValueError("give at least one of --train_annotations_file, "
                     "--val_annotations_file, --testdev_annotations_file")
  for _, annotations_flag, image_dir_flag, shards_flag, _ in splits:
    if not getattr(FLAGS, image_dir_flag):
      raise ValueError("--%s needs --%s" % (annotations_flag, image_dir_flag))
    if getattr(FLAGS, shards_flag) < 1:
      raise ValueError("--%s must be >= 1, got %d" % (
          shards_flag, getattr(FLAGS, shards_flag)))
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection.data import tf_example_writer  # pylint: disable=g-import-not-at-top
  from object_detection.dataset_tools import coco_conversion  # pylint: disable=g-import-not-at-top
  from object_detection.utils import file_io  # pylint: disable=g-import-not-at-top
  # Every annotation file is checked before any record is written.
  datasets = [(split, coco_conversion.load_dataset(
      getattr(FLAGS, annotations), require_annotations=needed),
               getattr(FLAGS, image_dir), getattr(FLAGS, shards))
              for split, annotations, image_dir, shards, needed in splits]
  categories = {}
  for _, dataset, _, _ in datasets:
    categories.update(dataset.categories)
  for split, dataset, image_dir, num_shards in datasets:
    counts = coco_conversion.Counts()
    prefix = os.path.join(FLAGS.output_dir, "coco_%s.record" % split)
    tf_example_writer.write_tfrecord_shards(
        coco_conversion.examples(dataset, image_dir, FLAGS.include_masks,
                                 counts), prefix, num_shards, extension="")
    print("%s: %d images, %d objects (%d crowd; %d zero-size boxes skipped)"
          " -> %s-?????-of-%05d" % (split, counts.images, counts.objects,
                                    counts.crowd, counts.skipped_empty_boxes,
                                    prefix, num_shards))
  label_map = os.path.join(FLAGS.output_dir, "label_map.pbtxt")
  file_io.write_text_atomically(label_map,
                                coco_conversion.label_map_text(categories))
  print("label map of %d categories: %s" % (len(categories), label_map))
  return 0


def run() -> None:
  """Console-script entry point (od-create-coco-tf-record)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main)


if __name__ == "__main__":
  run()
