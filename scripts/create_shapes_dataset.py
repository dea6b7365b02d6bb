"""Writes the synthetic shapes dataset as TFRecord shards.

    python scripts/create_shapes_dataset.py --output_dir=data/shapes

produces data/shapes/train-0000?-of-00004.tfrecord and
data/shapes/val-00000-of-00001.tfrecord in the TF Object Detection API record
layout (PNG images, normalised boxes, class ids and names, PNG instance
masks), read by pipelines/mask_rcnn_shapes.config.
"""

import os
import sys

from absl import app
from absl import flags
import numpy as np
import PIL.Image
import tensorflow as tf

from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer
from object_detection.utils import flags_util

OUTPUT_DIR = flags.DEFINE_string("output_dir", "data/shapes", "Folder to write to.")
NUM_TRAIN = flags.DEFINE_integer("num_train", 800, "Training images.")
NUM_VAL = flags.DEFINE_integer("num_val", 200, "Validation images.")
SIZE = flags.DEFINE_integer("image_size", 128, "Image height and width.")
SEED = flags.DEFINE_integer("seed", 0, "Random seed; the same seed gives the same files.")
PREVIEW = flags.DEFINE_string(
    "preview_png", None, "If set, also write the first validation image here.")


def _examples(split: str, count: int, seed: int):
  rng = np.random.default_rng(seed)
  for index in range(count):
    example = shapes_dataset.make_example(rng, SIZE.value, SIZE.value)
    yield tf_example_writer.encode_detection_example(
        example.image, example.boxes, example.classes,
        shapes_dataset.CLASS_NAMES, "%s_%06d" % (split, index), example.masks)


def _write_preview(path: str, seed: int) -> None:
  """Writes the first validation image as a PNG (temporary file, rename)."""
  example = shapes_dataset.make_example(np.random.default_rng(seed),
                                        SIZE.value, SIZE.value)
  os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
  temporary = path + ".tmp"
  PIL.Image.fromarray(example.image).save(temporary, format="PNG")
  os.replace(temporary, path)


def main(argv):
  del argv
  try:
    splits = (("train", NUM_TRAIN.value, 4, SEED.value),
              ("val", NUM_VAL.value, 1, SEED.value + 1))
    for split, count, shards, seed in splits:
      paths = tf_example_writer.write_tfrecord_shards(
          _examples(split, count, seed), "%s/%s" % (OUTPUT_DIR.value, split), shards)
      print("wrote %d %s images to %s" % (count, split, ", ".join(paths)))
    if PREVIEW.value:
      _write_preview(PREVIEW.value, SEED.value + 1)
      print("wrote %s" % PREVIEW.value)
  except (ValueError, OSError, tf.errors.OpError) as e:
    sys.stderr.write("create_shapes_dataset: %s\n" % e)
    sys.exit(2)


if __name__ == "__main__":
  app.run(main, flags_parser=flags_util.flags_parser_for("create_shapes_dataset"))
