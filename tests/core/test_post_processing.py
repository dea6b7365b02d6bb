"""Tests for object_detection/core/post_processing.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import post_processing

# Class 0: boxes 0, 1, 2 overlap (IoU(0, 1) = .9 / 1.1 > .5) -> keep 0 (.9);
# boxes 3 and 4 overlap -> keep 3 (.95); box 5 (.3) alone; boxes 6, 7 are
# below the score threshold .1. Class 1: boxes 6 (.85) and 7 (.5) overlap
# -> keep 6; the rest are below .1.
_BOXES = [[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9], [0, 10, 1, 11],
          [0, 10.1, 1, 11.1], [0, 100, 1, 101], [0, 1000, 1, 1002],
          [0, 1000, 1, 1002.1]]
_SCORES = [[0.9, 0.01], [0.75, 0.05], [0.6, 0.01], [0.95, 0.0],
           [0.5, 0.01], [0.3, 0.01], [0.01, 0.85], [0.01, 0.5]]
_EXPECTED_BOXES = [[0, 10, 1, 11], [0, 0, 1, 1], [0, 1000, 1, 1002],
                   [0, 100, 1, 101]]
_EXPECTED_SCORES = [0.95, 0.9, 0.85, 0.3]
_EXPECTED_CLASSES = [0, 0, 1, 0]


def _batch_inputs():
  boxes = tf.constant(_BOXES, tf.float32)[tf.newaxis, :, tf.newaxis, :]
  return boxes, tf.constant([_SCORES], tf.float32)


def test_batch_nms_golden_and_padding():
  boxes, scores = _batch_inputs()
  (nmsed_boxes, nmsed_scores, nmsed_classes, nmsed_masks, nmsed_fields,
   num_detections) = post_processing.batch_multiclass_non_max_suppression(
       boxes, scores, score_thresh=0.1, iou_thresh=0.5, max_size_per_class=4,
       max_total_size=6)
  assert nmsed_masks is None and nmsed_fields is None
  np.testing.assert_array_equal(num_detections, [4])
  np.testing.assert_allclose(nmsed_boxes.numpy()[0],
                             _EXPECTED_BOXES + [[0, 0, 0, 0]] * 2)
  np.testing.assert_allclose(nmsed_scores.numpy()[0],
                             _EXPECTED_SCORES + [0, 0], rtol=1e-6)
  np.testing.assert_allclose(nmsed_classes.numpy()[0],
                             _EXPECTED_CLASSES + [0, 0])
  assert nmsed_classes.dtype == tf.float32


def test_max_total_size_and_per_class_caps():
  boxes, scores = _batch_inputs()
  outputs = post_processing.batch_multiclass_non_max_suppression(
      boxes, scores, 0.1, 0.5, max_size_per_class=1, max_total_size=2)
  # One box per class: class 0 -> box 3 (.95), class 1 -> box 6 (.85).
  np.testing.assert_allclose(outputs[1].numpy(), [[0.95, 0.85]], rtol=1e-6)
  np.testing.assert_array_equal(outputs[5], [2])


def test_masks_additional_fields_and_indices_follow_detections():
  boxes, scores = _batch_inputs()
  # Per-class boxes (q = 2) and masks whose value encodes (box, class).
  boxes = tf.tile(boxes, [1, 1, 2, 1])
  masks = tf.constant(
      [[[np.full([2, 2], 10.0 * n + c) for c in range(2)] for n in range(8)]],
      tf.float32)
  fields = {"ids": tf.constant([[100 + n for n in range(8)]])}
  (_, _, _, nmsed_masks, nmsed_fields, _,
   indices) = post_processing.batch_multiclass_non_max_suppression(
       boxes, scores, 0.1, 0.5, 4, 5, masks=masks, additional_fields=fields,
       return_indices=True)
  np.testing.assert_array_equal(indices, [[3, 0, 6, 5, 0]])
  np.testing.assert_allclose(nmsed_masks.numpy()[0, :, 0, 0],
                             [30, 0, 61, 50, 0])
  np.testing.assert_array_equal(nmsed_fields["ids"], [[103, 100, 106, 105,
                                                       0]])


def test_num_valid_boxes_ignores_padding():
  boxes, scores = _batch_inputs()
  # Only the first 3 boxes are valid: class 0 keeps box 0, nothing else.
  outputs = post_processing.batch_multiclass_non_max_suppression(
      boxes, scores, 0.1, 0.5, 4, 4, num_valid_boxes=tf.constant([3]))
  np.testing.assert_array_equal(outputs[5], [1])
  np.testing.assert_allclose(outputs[0].numpy()[0, 0], [0, 0, 1, 1])


def test_clip_window_and_change_coordinate_frame():
  # Window [0, 0, 2, 200]: box 3 -> itself, box 0 -> itself, box 6 (x 1000)
  # clips to zero width and is dropped, box 5 stays. Then every box is
  # divided by the window size (2, 200).
  boxes, scores = _batch_inputs()
  outputs = post_processing.batch_multiclass_non_max_suppression(
      boxes, scores, 0.1, 0.5, 4, 4,
      clip_window=tf.constant([0.0, 0.0, 2.0, 200.0]),
      change_coordinate_frame=True)
  np.testing.assert_array_equal(outputs[5], [3])
  np.testing.assert_allclose(
      outputs[0].numpy()[0],
      [[0, 0.05, 0.5, 0.055], [0, 0, 0.5, 0.005], [0, 0.5, 0.5, 0.505],
       [0, 0, 0, 0]], rtol=1e-5)


def test_class_agnostic_nms():
  # Each box competes with its best class: box 6's best is class 1 (.85).
  boxes, scores = _batch_inputs()
  outputs = post_processing.batch_multiclass_non_max_suppression(
      boxes, scores, 0.1, 0.5, 4, 4, use_class_agnostic_nms=True)
  np.testing.assert_allclose(outputs[1].numpy()[0], _EXPECTED_SCORES,
                             rtol=1e-6)
  np.testing.assert_allclose(outputs[2].numpy()[0], _EXPECTED_CLASSES)


def test_graph_mode_with_unknown_batch_and_boxes():
  @tf.function(input_signature=[
      tf.TensorSpec([None, None, 1, 4], tf.float32),
      tf.TensorSpec([None, None, 2], tf.float32)])
  def nms(boxes, scores):
    return post_processing.batch_multiclass_non_max_suppression(
        boxes, scores, 0.1, 0.5, 4, 4)

  boxes, scores = _batch_inputs()
  outputs = nms(tf.concat([boxes, boxes], 0), tf.concat([scores, scores], 0))
  assert outputs[0].shape == (2, 4, 4)
  np.testing.assert_allclose(outputs[1].numpy(), [_EXPECTED_SCORES] * 2,
                             rtol=1e-6)


@pytest.mark.parametrize("pad", [False, True])
def test_single_image_nms(pad):
  boxlist, num_valid = post_processing.multiclass_non_max_suppression(
      tf.constant(_BOXES, tf.float32)[:, tf.newaxis, :],
      tf.constant(_SCORES), 0.1, 0.5, 4, max_total_size=5,
      masks=tf.zeros([8, 1, 3, 3]), pad_to_max_output_size=pad)
  assert int(num_valid) == 4
  expected_size = 5 if pad else 4
  assert boxlist.get().shape == (expected_size, 4)
  np.testing.assert_allclose(boxlist.get_field("scores").numpy()[:4],
                             _EXPECTED_SCORES, rtol=1e-6)
  np.testing.assert_allclose(boxlist.get_field("classes").numpy()[:4],
                             _EXPECTED_CLASSES)
  assert boxlist.get_field("masks").shape == (expected_size, 3, 3)


def test_soft_nms_decays_overlapping_scores():
  # Two identical boxes: soft-NMS keeps both, the second with a lower score.
  outputs = post_processing.batch_multiclass_non_max_suppression(
      tf.constant([[[[0.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0, 1.0]]]]),
      tf.constant([[[0.9], [0.8]]]), 0.0, 1.0, 2, 2, soft_nms_sigma=0.5)
  scores = outputs[1].numpy()[0]
  assert scores[0] == pytest.approx(0.9) and 0.0 < scores[1] < 0.8


@pytest.mark.parametrize("boxes_shape, scores_shape, kwargs, message", [
    ([1, 8, 1, 4], [1, 8], {}, "scores must have shape"),
    ([1, 8, 3, 4], [1, 8, 2], {}, r"third dimension of boxes \(3\) must be 1 "
     r"or equal to the number of classes \(2\)"),
    ([1, 8, 1, 4], [1, 8, 2], {"iou_thresh": 1.5},
     r"iou_thresh must be in \[0, 1\], got 1.5"),
    ([1, 8, 1, 4], [1, 8, 2], {"max_classes_per_detection": 2},
     "max_classes_per_detection must be 1, got 2"),
])
def test_errors(boxes_shape, scores_shape, kwargs, message):
  args = dict(score_thresh=0.0, iou_thresh=0.5, max_size_per_class=2)
  args.update(kwargs)
  with pytest.raises(ValueError, match=message):
    post_processing.batch_multiclass_non_max_suppression(
        tf.zeros(boxes_shape), tf.zeros(scores_shape), **args)
