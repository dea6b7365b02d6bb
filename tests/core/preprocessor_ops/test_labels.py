"""Tests for object_detection/core/preprocessor_ops/labels.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import labels as label_ops
from object_detection.core.preprocessor_ops import random_ops

_f = fields.InputDataFields
SEED = tf.constant([3, 7], tf.int64)

BOXES = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.1, 0.1, 0.6, 0.6],
                     [0.2, 0.2, 0.7, 0.7], [0.3, 0.3, 0.8, 0.8]])
CLASSES = tf.constant([1, 2, 1, 3])


def test_softmax_with_temperature():
  # logits [0, ln 3] / 1 -> [1, 3] / 4; with temperature 2 -> [0, ln 3 / 2]
  # -> [1, sqrt 3] / (1 + sqrt 3).
  logits = tf.constant([[0.0, np.log(3.0)]])
  np.testing.assert_allclose(
      label_ops.convert_class_logits_to_softmax(logits).numpy(),
      [[0.25, 0.75]], rtol=1e-6)
  root3 = np.sqrt(3.0)
  np.testing.assert_allclose(
      label_ops.convert_class_logits_to_softmax(logits, 2.0).numpy(),
      [[1 / (1 + root3), root3 / (1 + root3)]], rtol=1e-6)


@pytest.mark.parametrize("scores, temperature, message", [
    (None, 1.0, "needs the multiclass_scores field"),
    (tf.zeros([1, 2]), 0.0, "temperature must be > 0, got 0.0"),
])
def test_softmax_errors(scores, temperature, message):
  with pytest.raises(ValueError, match=message):
    label_ops.convert_class_logits_to_softmax(scores, temperature)


def test_drop_label_probability_one_drops_every_box_of_that_label():
  weights = tf.constant([1.0, 0.5, 0.25, 0.125])
  masks = tf.reshape(tf.range(4, dtype=tf.float32), [4, 1, 1]) * tf.ones(
      [4, 2, 2])
  out = label_ops.drop_label_probabilistically(
      BOXES, CLASSES, weights, masks=masks, box_indices=tf.range(4),
      dropped_label=1, drop_probability=1.0, seed=SEED)
  boxes, classes, kept_weights, kept_masks, indices = out
  np.testing.assert_array_equal(indices.numpy(), [1, 3])
  np.testing.assert_array_equal(classes.numpy(), [2, 3])
  np.testing.assert_allclose(boxes.numpy(), BOXES.numpy()[[1, 3]])
  np.testing.assert_allclose(kept_weights.numpy(), [0.5, 0.125])
  np.testing.assert_allclose(kept_masks.numpy()[:, 0, 0], [1.0, 3.0])


def test_drop_label_probability_zero_keeps_all():
  out = label_ops.drop_label_probabilistically(
      BOXES, CLASSES, dropped_label=1, drop_probability=0.0, seed=SEED)
  assert len(out) == 2
  np.testing.assert_array_equal(out[1].numpy(), CLASSES.numpy())


def test_drop_label_uses_per_box_draws():
  # Cached draws 0.9 and 0.1 for the two class-1 boxes; p = 0.5 drops the
  # box whose draw is <= 0.5 only (box 2).
  cache = random_ops.PreprocessorCache()
  cache.update("drop_label_probabilistically", "draws",
               tf.constant([0.9, 0.0, 0.1, 0.0]))
  _, classes, indices = label_ops.drop_label_probabilistically(
      BOXES, CLASSES, box_indices=tf.range(4), dropped_label=1,
      drop_probability=0.5, preprocess_vars_cache=cache)
  np.testing.assert_array_equal(indices.numpy(), [0, 1, 3])
  np.testing.assert_array_equal(classes.numpy(), [1, 2, 3])


def test_drop_label_seeds():
  many = tf.ones([64], tf.int32)
  boxes = tf.zeros([64, 4])
  kept = [label_ops.drop_label_probabilistically(
      boxes, many, dropped_label=1, drop_probability=0.5,
      seed=seed)[1].shape[0] for seed in (SEED, SEED, tf.constant([5, 5]))]
  assert kept[0] == kept[1]
  assert 0 < kept[0] < 64
  first = label_ops.drop_label_probabilistically(
      boxes, many, tf.range(64, dtype=tf.float32), dropped_label=1,
      drop_probability=0.5, seed=SEED)[2]
  other = label_ops.drop_label_probabilistically(
      boxes, many, tf.range(64, dtype=tf.float32), dropped_label=1,
      drop_probability=0.5, seed=tf.constant([5, 5]))[2]
  assert not np.array_equal(first.numpy(), other.numpy())


def test_drop_label_requires_label():
  with pytest.raises(ValueError, match="dropped_label must be set"):
    label_ops.drop_label_probabilistically(BOXES, CLASSES)


def test_remap_labels():
  out = label_ops.remap_labels(tf.constant([1, 2, 3, 4, 2], tf.int64),
                               original_labels=[2, 4], new_label=9)
  assert out.dtype == tf.int64
  np.testing.assert_array_equal(out.numpy(), [1, 9, 3, 9, 9])
  empty = label_ops.remap_labels(tf.zeros([0], tf.int32), [1], 2)
  assert empty.shape == (0,)


def test_remap_labels_requires_arguments():
  with pytest.raises(ValueError, match="original_labels=None new_label=3"):
    label_ops.remap_labels(CLASSES, new_label=3)


def test_dynamic_shapes_in_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([None, None])])
  def run(boxes, classes, scores):
    boxes, classes = label_ops.drop_label_probabilistically(
        boxes, classes, dropped_label=1, drop_probability=1.0, seed=SEED)
    return (boxes, label_ops.remap_labels(classes, [3], 7),
            label_ops.convert_class_logits_to_softmax(scores))

  boxes, classes, scores = run(BOXES, CLASSES, tf.zeros([4, 2]))
  assert boxes.shape == (2, 4)
  np.testing.assert_array_equal(classes.numpy(), [2, 7])
  np.testing.assert_allclose(scores.numpy(), 0.5)
  boxes, classes, _ = run(tf.zeros([0, 4]), tf.zeros([0], tf.int32),
                          tf.zeros([0, 2]))
  assert boxes.shape == (0, 4) and classes.shape == (0,)


def _tensor_dict(num_boxes=4):
  return {
      _f.image: tf.zeros([1, 4, 4, 3]),
      _f.groundtruth_boxes: BOXES[:num_boxes],
      _f.groundtruth_classes: CLASSES[:num_boxes],
      _f.groundtruth_weights: tf.constant([1.0, 0.5, 0.25, 0.125])[:num_boxes],
      _f.groundtruth_instance_masks: tf.reshape(
          tf.range(num_boxes, dtype=tf.float32), [-1, 1, 1]) * tf.ones(
              [num_boxes, 4, 4]),
      _f.groundtruth_is_crowd: tf.constant(
          [False, True, False, True])[:num_boxes],
  }


def test_preprocess_drops_with_all_per_box_fields():
  arg_map = preprocessor.get_default_func_arg_map(include_instance_masks=True)
  out = preprocessor.preprocess(
      _tensor_dict(),
      [(label_ops.drop_label_probabilistically,
        {"dropped_label": 1, "drop_probability": 1.0})],
      func_arg_map=arg_map, seed=SEED)
  out = preprocessor.preprocess(
      out, [(label_ops.remap_labels, {"original_labels": [3],
                                      "new_label": 2})],
      func_arg_map=arg_map)
  np.testing.assert_array_equal(out[_f.groundtruth_classes].numpy(), [2, 2])
  np.testing.assert_allclose(out[_f.groundtruth_weights].numpy(),
                             [0.5, 0.125])
  np.testing.assert_allclose(
      out[_f.groundtruth_instance_masks].numpy()[:, 0, 0], [1.0, 3.0])
  # is_crowd is carried by the box_indices extension.
  np.testing.assert_array_equal(out[_f.groundtruth_is_crowd].numpy(),
                                [True, True])
  np.testing.assert_allclose(out[_f.groundtruth_boxes].numpy(),
                             BOXES.numpy()[[1, 3]])


def test_preprocess_zero_boxes():
  arg_map = preprocessor.get_default_func_arg_map(include_instance_masks=True)
  out = preprocessor.preprocess(
      _tensor_dict(0), [(label_ops.drop_label_probabilistically,
                         {"dropped_label": 1, "drop_probability": 0.5})],
      func_arg_map=arg_map, seed=SEED)
  assert out[_f.groundtruth_boxes].shape == (0, 4)
  assert out[_f.groundtruth_instance_masks].shape == (0, 4, 4)
