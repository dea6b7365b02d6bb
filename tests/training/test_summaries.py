"""Tests for object_detection/training/summaries.py."""

import glob

import numpy as np
import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.training import summaries

_In = fields.InputDataFields
CATEGORIES = {1: {"id": 1, "name": "square"}, 2: {"id": 2, "name": "circle"}}


def _batch(original):
  image = np.full((2, 32, 32, 3), 100, np.uint8)
  features = {_In.image: image.astype(np.float32) / 255.0 - 0.5}
  if original:
    features[_In.original_image] = image
  boxes = np.zeros((2, 3, 4), np.float32)
  boxes[0, 0] = [0.25, 0.25, 0.75, 0.75]  # pixels 8..24
  classes = np.zeros((2, 3, 2), np.float32)
  classes[0, 0, 1] = 1.0
  masks = np.zeros((2, 3, 32, 32), np.float32)
  masks[0, 0, 12:20, 12:20] = 1.0
  labels = {_In.num_groundtruth_boxes: np.array([1, 0], np.int32),
            _In.groundtruth_boxes: boxes, _In.groundtruth_classes: classes,
            _In.groundtruth_instance_masks: masks}
  return features, labels


def test_training_images_draw_boxes_and_masks_only_where_they_are():
  features, labels = _batch(original=True)
  images = summaries.training_images(features, labels, CATEGORIES)
  assert images.shape == (2, 32, 32, 3) and images.dtype == np.uint8
  first = images[0]
  assert not np.array_equal(first[16, 16], [100, 100, 100])  # mask blended
  assert not np.array_equal(first[8, 16], [100, 100, 100])  # box outline
  np.testing.assert_array_equal(first[:4, :4], 100)  # away from the box
  np.testing.assert_array_equal(images[1], 100)  # no groundtruth


def test_preprocessed_images_are_rescaled_for_display():
  features, labels = _batch(original=False)
  images = summaries.training_images(features, labels, CATEGORIES,
                                     max_images=1)
  assert images.shape == (1, 32, 32, 3)
  assert images[0, 0, 0, 0] == 0  # a constant image maps to 0


def test_written_events_hold_scalars_and_images(tmp_path):
  writer = tf.summary.create_file_writer(str(tmp_path))
  summaries.write_scalars(writer, {"Loss/total_loss": 1.5}, step=3)
  features, labels = _batch(original=True)
  summaries.write_training_images(writer, features, labels, CATEGORIES,
                                  step=3, max_images=2)
  tags = {}
  for path in glob.glob(str(tmp_path / "events.out.tfevents.*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        tags[value.tag] = (event.step, tf.make_ndarray(value.tensor))
  step, total = tags["Loss/total_loss"]
  assert step == 3 and float(total) == 1.5
  step, images = tags["train_input_images"]
  assert step == 3 and len(images) == 2 + 2  # width, height, 2 PNGs
