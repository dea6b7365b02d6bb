"""Tests for object_detection/core/preprocessor_ops/crop.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import crop

_F = fields.InputDataFields
_NAN = float("nan")


def _image(height, width):
  # Pixel value = 10 * row + column, in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width))
  return tf.constant(np.stack([values] * 3, -1), tf.float32)


def _masks(num, height, width):
  # Mask i is filled with i + 1, so a gathered mask shows which box it is.
  return tf.constant(np.arange(1, num + 1)[:, None, None] *
                     np.ones([num, height, width]), tf.float32)


# On a 4x6 image the pixel window at (0, 0) of size 2x3 is [0, 0, .5, .5].
_BOXES = tf.constant([
    [0.0, 0.0, 0.5, 0.5],      # inside: kept as [0, 0, 1, 1]
    [0.5, 0.5, 1.0, 1.0],      # touches the window's corner: dropped
    [0.25, 0.25, 0.75, 0.75],  # window covers .25 * .25 / .25 = 25% of it
])


def test_crop_to_window_keeps_covered_boxes_with_their_fields():
  out = crop.crop_to_window(
      _image(4, 6), [0, 0], [2, 3], _BOXES,
      per_box_fields=(tf.constant([1, 2, 3]), None),
      masks=_masks(3, 4, 6), overlap_thresh=0.3)
  np.testing.assert_array_equal(out.image[..., 0], [[0, 1, 2], [10, 11, 12]])
  np.testing.assert_allclose(out.window, [0, 0, 0.5, 0.5])
  np.testing.assert_allclose(out.boxes, [[0, 0, 1, 1]])
  np.testing.assert_array_equal(out.per_box_fields[0], [1])
  assert out.per_box_fields[1] is None
  np.testing.assert_array_equal(out.masks, np.ones([1, 2, 3]))
  np.testing.assert_array_equal(out.kept_indices, [0])


def test_crop_to_window_threshold_and_clipping():
  # 25% >= 0.2 keeps box 2: (0.25 - 0) / 0.5 = 0.5 and 0.75 / 0.5 = 1.5.
  out = crop.crop_to_window(_image(4, 6), [0, 0], [2, 3], _BOXES,
                            masks=_masks(3, 4, 6), overlap_thresh=0.2,
                            clip_boxes=False)
  np.testing.assert_allclose(out.boxes, [[0, 0, 1, 1], [.5, .5, 1.5, 1.5]])
  np.testing.assert_array_equal(out.masks[:, 0, 0], [1, 3])
  clipped = crop.crop_to_window(_image(4, 6), [0, 0], [2, 3], _BOXES,
                                overlap_thresh=0.2)
  np.testing.assert_allclose(clipped.boxes, [[0, 0, 1, 1], [.5, .5, 1, 1]])


def test_crop_to_window_keypoints_and_densepose():
  # Window [0, 0, .5, .5]: (.25, .25) -> (.5, .5); (.9, .9) leaves it.
  out = crop.crop_to_window(
      _image(4, 6), [0, 0], [2, 3], _BOXES[:1],
      keypoints=tf.constant([[[0.25, 0.25], [0.9, 0.9]]]),
      keypoint_visibilities=tf.constant([[True, True]]),
      dp_num_points=tf.constant([2]), dp_part_ids=tf.constant([[3, 4]]),
      dp_surface_coords=tf.constant([[[.9, .9, .1, .2], [.1, .1, .3, .4]]]))
  np.testing.assert_allclose(out.keypoints, [[[0.5, 0.5], [_NAN, _NAN]]])
  np.testing.assert_array_equal(out.keypoint_visibilities, [[True, False]])
  # The first DensePose point leaves; the second moves to the front.
  np.testing.assert_array_equal(out.dp_num_points, [1])
  np.testing.assert_array_equal(out.dp_part_ids, [[4]])
  np.testing.assert_allclose(out.dp_surface_coords, [[[.2, .2, .3, .4]]])


def test_crop_to_window_densepose_all_or_none():
  with pytest.raises(ValueError, match="must be given together"):
    crop.crop_to_window(_image(4, 6), [0, 0], [2, 3], _BOXES,
                        dp_num_points=tf.constant([1, 1, 1]))


def _forced_window_cache(offset, size, **constraints):
  cache = preprocessor.PreprocessorCache()
  key = crop.window_cache_key(constraints.get("min_object_covered", 1.0),
                              constraints.get("aspect_ratio_range",
                                              (0.75, 1.33)),
                              constraints.get("area_range", (0.1, 1.0)))
  cache.update("random_crop_image", key,
               (tf.constant(offset), tf.constant(size)))
  return cache


def test_random_crop_image_with_a_cached_window_drops_outside_boxes():
  outputs = crop.random_crop_image(
      _image(4, 6), _BOXES, tf.constant([1, 2, 3]),
      tf.constant([.5, .6, .7]), masks=_masks(3, 4, 6),
      keypoints=tf.zeros([3, 1, 2]),
      keypoint_visibilities=tf.ones([3, 1], tf.bool), clip_boxes=False,
      box_indices=tf.range(3),
      preprocess_vars_cache=_forced_window_cache([0, 0], [2, 3]))
  image, boxes, labels, weights, masks, keypoints, visible, indices = outputs
  assert image.shape == (2, 3, 3)
  np.testing.assert_allclose(boxes, [[0, 0, 1, 1]])
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_allclose(weights, [.5])
  np.testing.assert_array_equal(masks, np.ones([1, 2, 3]))
  np.testing.assert_allclose(keypoints, [[[0, 0]]])
  np.testing.assert_array_equal(visible, [[True]])
  np.testing.assert_array_equal(indices, [0])


def test_random_crop_image_full_area_square_window_is_the_image():
  # area_range (1, 1) with aspect (1, 1) on an 8x8 image: the whole image.
  boxes = tf.constant([[0.1, 0.2, 0.6, 0.9]])
  image, new_boxes, labels = crop.random_crop_image(
      _image(8, 8), boxes, tf.constant([4]), None, min_object_covered=0.0,
      aspect_ratio_range=(1.0, 1.0), area_range=(1.0, 1.0),
      seed=tf.constant([3, 4]))
  np.testing.assert_array_equal(image, _image(8, 8))
  np.testing.assert_allclose(new_boxes, boxes, atol=1e-6)
  np.testing.assert_array_equal(labels, [4])


def test_random_coef_one_returns_the_inputs():
  image, boxes, labels = crop.random_crop_image(
      _image(4, 6), _BOXES, tf.constant([1, 2, 3]), None, random_coef=1.0,
      preprocess_vars_cache=_forced_window_cache([0, 0], [2, 3]))
  np.testing.assert_array_equal(image, _image(4, 6))
  np.testing.assert_array_equal(boxes, _BOXES)
  np.testing.assert_array_equal(labels, [1, 2, 3])


def _crop_shape(seed):
  image, _, _ = crop.random_crop_image(
      _image(32, 32), tf.constant([[0.4, 0.4, 0.6, 0.6]]), tf.constant([1]),
      None, seed=seed)
  return tuple(image.shape.as_list())


def test_stateless_seed_is_reproducible_and_varies():
  shapes = [_crop_shape(tf.constant([s, 9])) for s in range(4)]
  assert shapes == [_crop_shape(tf.constant([s, 9])) for s in range(4)]
  assert len(set(shapes)) > 1


def test_crop_to_aspect_ratio_with_a_cached_offset():
  # 4x8 image, ratio 1: a 4x4 window; offset (0, 4) -> [0, .5, 1, 1].
  cache = preprocessor.PreprocessorCache()
  cache.update("random_crop_to_aspect_ratio", "offset", tf.constant([0, 4]))
  boxes = tf.constant([[0, 0, 1, 0.25],      # outside: dropped
                       [0, 0.25, 1, 0.75]])  # half covered: kept
  image, new_boxes, labels, weights, masks = crop.random_crop_to_aspect_ratio(
      _image(4, 8), boxes, tf.constant([1, 2]), tf.constant([1.0, 0.5]),
      masks=_masks(2, 4, 8), preprocess_vars_cache=cache)
  np.testing.assert_array_equal(image[0, :, 0], [4, 5, 6, 7])
  # x: (0.25 - .5) / .5 = -.5 -> clipped to 0, (.75 - .5) / .5 = .5.
  np.testing.assert_allclose(new_boxes, [[0, 0, 1, 0.5]])
  np.testing.assert_array_equal(labels, [2])
  np.testing.assert_allclose(weights, [0.5])
  np.testing.assert_array_equal(masks, 2 * np.ones([1, 4, 4]))


def test_crop_to_aspect_ratio_random_offset_and_tall_images():
  # A 6x4 image to ratio 2: height round(4 / 2) = 2 rows, all columns.
  image, _, _ = crop.random_crop_to_aspect_ratio(
      _image(6, 4), tf.zeros([0, 4]), tf.zeros([0], tf.int32), None,
      aspect_ratio=2.0, seed=tf.constant([1, 1]))
  assert image.shape == (2, 4, 3)
  first_row = int(image[0, 0, 0]) // 10
  np.testing.assert_array_equal(image[..., 0],
                                _image(6, 4)[first_row:first_row + 2, :, 0])


def test_crop_to_aspect_ratio_errors():
  with pytest.raises(ValueError, match=r"image must be \[height, width"):
    crop.random_crop_to_aspect_ratio(tf.zeros([1, 4, 4, 3]), _BOXES,
                                     tf.constant([1, 2, 3]), None)
  with pytest.raises(ValueError, match="aspect_ratio must be > 0, got 0"):
    crop.random_crop_to_aspect_ratio(_image(4, 4), _BOXES,
                                     tf.constant([1, 2, 3]), None,
                                     aspect_ratio=0)


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([None, None, None])])
  def run(image, boxes, labels, masks):
    first = crop.random_crop_image(image, boxes, labels, None, masks=masks,
                                   random_coef=0.5, seed=tf.constant([1, 2]))
    second = crop.random_crop_to_aspect_ratio(image, boxes, labels, None,
                                              masks=masks)
    return first, second

  (image, boxes, labels, masks), second = run(
      _image(8, 6), tf.zeros([0, 4]), tf.zeros([0], tf.int32),
      tf.zeros([0, 8, 6]))
  assert boxes.shape == (0, 4) and labels.shape == (0,)
  assert masks.shape[1:] == image.shape[:2]
  assert second[0].shape == (6, 6, 3) and second[3].shape == (0, 6, 6)


def test_preprocess_keeps_untracked_fields_in_step():
  tensor_dict = {
      _F.image: _image(4, 6)[tf.newaxis],
      _F.groundtruth_boxes: _BOXES,
      _F.groundtruth_classes: tf.constant([1, 2, 3]),
      _F.groundtruth_weights: tf.constant([1.0, 1.0, 0.5]),
      _F.groundtruth_instance_masks: _masks(3, 4, 6),
      _F.groundtruth_is_crowd: tf.constant([False, True, True]),
  }
  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.random_crop_image, {})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      preprocess_vars_cache=_forced_window_cache([0, 0], [2, 3]))
  assert out[_F.image].shape == (1, 2, 3, 3)
  np.testing.assert_allclose(out[_F.groundtruth_boxes], [[0, 0, 1, 1]])
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [1])
  np.testing.assert_array_equal(out[_F.groundtruth_instance_masks],
                                np.ones([1, 2, 3]))
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd], [False])
