"""Tests for object_detection/core/preprocessor_ops/flip_rotate.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import flip_rotate

_F = fields.InputDataFields


def _image(height=2, width=3):
  # Pixel value = 10 * row + column, in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width))
  return tf.constant(np.stack([values] * 3, -1), tf.float32)


def _box_and_mask():
  # One box [0.1, 0.2, 0.5, 0.6]; its 2x3 mask has a 1 at (0, 0), 2 at (1, 2).
  boxes = tf.constant([[0.1, 0.2, 0.5, 0.6]])
  masks = tf.constant([[[1, 0, 0], [0, 0, 2]]], tf.float32)
  return boxes, masks


def test_horizontal_flip_maps_image_box_mask_and_keypoints():
  boxes, masks = _box_and_mask()
  keypoints = tf.constant([[[0.1, 0.2], [0.3, 0.9]]])
  visibilities = tf.constant([[True, False]])
  depths = tf.constant([[1.0, 2.0]])
  image, boxes, masks, keypoints, visibilities, depths, depth_weights = (
      flip_rotate.random_horizontal_flip(
          _image(), boxes, masks, keypoints, visibilities, None, None, depths,
          depths * 10, keypoint_flip_permutation=[1, 0], probability=1.0))
  # Row 0 [0, 1, 2] -> [2, 1, 0].
  np.testing.assert_array_equal(image[..., 0], [[2, 1, 0], [12, 11, 10]])
  # x -> 1 - x and swap: xmin = 1 - 0.6, xmax = 1 - 0.2.
  np.testing.assert_allclose(boxes, [[0.1, 0.4, 0.5, 0.8]], atol=1e-6)
  np.testing.assert_array_equal(masks, [[[0, 0, 1], [2, 0, 0]]])
  # x -> 1 - x gives [[.1, .8], [.3, .1]]; permutation [1, 0] swaps them.
  np.testing.assert_allclose(keypoints, [[[0.3, 0.1], [0.1, 0.8]]],
                             atol=1e-6)
  np.testing.assert_array_equal(visibilities, [[False, True]])
  np.testing.assert_array_equal(depths, [[2.0, 1.0]])
  np.testing.assert_array_equal(depth_weights, [[20.0, 10.0]])


def test_probability_zero_leaves_everything():
  boxes, masks = _box_and_mask()
  image, new_boxes, new_masks = flip_rotate.random_horizontal_flip(
      _image(), boxes, masks, probability=0.0)
  np.testing.assert_array_equal(image, _image())
  np.testing.assert_array_equal(new_boxes, boxes)
  np.testing.assert_array_equal(new_masks, masks)


def test_vertical_flip():
  boxes, masks = _box_and_mask()
  image, boxes, masks, keypoints = flip_rotate.random_vertical_flip(
      _image(), boxes, masks, tf.constant([[[0.1, 0.2]]]),
      keypoint_flip_permutation=[0], probability=1.0)
  np.testing.assert_array_equal(image[..., 0], [[10, 11, 12], [0, 1, 2]])
  # ymin = 1 - 0.5, ymax = 1 - 0.1.
  np.testing.assert_allclose(boxes, [[0.5, 0.2, 0.9, 0.6]], atol=1e-6)
  np.testing.assert_array_equal(masks, [[[0, 0, 2], [1, 0, 0]]])
  np.testing.assert_allclose(keypoints, [[[0.9, 0.2]]], atol=1e-6)


def test_rotation90_is_counter_clockwise_and_consistent():
  # The pixel (0, 0) of a 2x3 image is the box [0, 0, 1/2, 1/3]. Rotated
  # counter-clockwise it is pixel (W - 1 - 0, 0) = (2, 0) of a 3x2 image,
  # whose box is [2/3, 0, 1, 1/2] = [1 - xmax, ymin, 1 - xmin, ymax].
  mask = tf.constant([[[1, 0, 0], [0, 0, 0]]], tf.float32)
  image, boxes, masks, keypoints = flip_rotate.random_rotation90(
      _image(), tf.constant([[0.0, 0.0, 0.5, 1 / 3]]), mask,
      tf.constant([[[0.25, 1 / 6]]]), probability=1.0)
  np.testing.assert_array_equal(image[..., 0], [[2, 12], [1, 11], [0, 10]])
  np.testing.assert_allclose(boxes, [[2 / 3, 0.0, 1.0, 0.5]], atol=1e-6)
  np.testing.assert_array_equal(masks, [[[0, 0], [0, 0], [1, 0]]])
  # The pixel centre (0.25, 1/6) -> (1 - 1/6, 0.25), centre of (2, 0).
  np.testing.assert_allclose(keypoints, [[[5 / 6, 0.25]]], atol=1e-6)


def test_rotation90_permutes_keypoints():
  _, keypoints = flip_rotate.random_rotation90(
      _image(), keypoints=tf.constant([[[0.1, 0.2], [0.3, 0.4]]]),
      keypoint_rot_permutation=[1, 0], probability=1.0)
  np.testing.assert_allclose(keypoints, [[[0.6, 0.3], [0.8, 0.1]]],
                             atol=1e-6)


@pytest.mark.parametrize("op", [flip_rotate.random_horizontal_flip,
                                flip_rotate.random_vertical_flip])
def test_keypoints_need_a_permutation(op):
  with pytest.raises(ValueError, match="keypoints are given but "
                     "keypoint_flip_permutation is not"):
    op(_image(), keypoints=tf.zeros([1, 2, 2]))


def test_densepose_needs_both_fields_and_the_uv_table():
  with pytest.raises(ValueError, match="must be given together"):
    flip_rotate.random_horizontal_flip(
        _image(), densepose_part_ids=tf.zeros([1, 1], tf.int32))
  with pytest.raises(ValueError, match="needs densepose_uv_symmetries"):
    flip_rotate.random_horizontal_flip(
        _image(), densepose_part_ids=tf.zeros([1, 1], tf.int32),
        densepose_surface_coords=tf.zeros([1, 1, 4]))


def test_densepose_flip_swaps_sides_and_looks_up_uv():
  # Tables whose entry is a code of (part, v cell, u cell).
  codes = np.arange(24 * 256 * 256, dtype=np.float32).reshape(24, 256, 256)
  v_map, u_map = codes, -codes
  part_ids = tf.constant([[2, 0]])  # right_hand, torso_back
  coords = tf.constant([[[0.1, 0.2, 0.5, 0.25], [0.3, 0.4, 1.0, 0.0]]])
  _, new_ids, new_coords = flip_rotate.random_horizontal_flip(
      _image(), densepose_part_ids=part_ids, densepose_surface_coords=coords,
      probability=1.0, densepose_uv_symmetries=(v_map, u_map))
  # right_hand (2) <-> left_hand (3); torso_back stays 0.
  np.testing.assert_array_equal(new_ids, [[3, 0]])
  # Point 0: part 2, cell (128, 64); point 1: part 0, v = 1 -> last cell 255.
  code0 = 2 * 65536 + 128 * 256 + 64
  code1 = 255 * 256 + 0
  np.testing.assert_allclose(
      new_coords, [[[0.1, 0.8, code0, -code0], [0.3, 0.6, code1, -code1]]],
      rtol=1e-6)


def test_part_mirror_is_an_involution():
  mirror = flip_rotate.DENSEPOSE_PART_MIRROR
  assert [mirror[m] for m in mirror] == list(range(24))
  assert mirror[14] == 15 and mirror[22] == 23 and mirror[1] == 1


def _flips(seed):
  image, = flip_rotate.random_horizontal_flip(_image(), seed=seed)
  return bool(image[0, 0, 0] == 2)


def test_stateless_seed_is_reproducible_and_varies():
  seeds = [tf.constant([s, 7]) for s in range(12)]
  outcomes = [_flips(seed) for seed in seeds]
  assert outcomes == [_flips(seed) for seed in seeds]
  assert any(outcomes) and not all(outcomes)


def test_cache_repeats_the_decision():
  cache = preprocessor.PreprocessorCache()
  first = [_flips_cached(cache) for _ in range(4)]
  assert len(set(first)) == 1


def _flips_cached(cache):
  image, = flip_rotate.random_vertical_flip(
      _image(), preprocess_vars_cache=cache)
  return bool(image[0, 0, 0] == 10)


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None, None, None])])
  def run(image, boxes, masks):
    outputs = []
    for op in (flip_rotate.random_horizontal_flip,
               flip_rotate.random_vertical_flip,
               flip_rotate.random_rotation90):
      outputs.append(op(image, boxes, masks, probability=1.0))
    return outputs

  (h_image, h_boxes, _), _, (r_image, r_boxes, r_masks) = run(
      _image(), tf.zeros([0, 4]), tf.zeros([0, 2, 3]))
  np.testing.assert_array_equal(h_image[0, :, 0], [2, 1, 0])
  assert h_boxes.shape == (0, 4) and r_boxes.shape == (0, 4)
  assert r_image.shape == (3, 2, 3) and r_masks.shape == (0, 3, 2)


def test_preprocess_flips_boxes_and_masks_and_keeps_classes():
  boxes, masks = _box_and_mask()
  tensor_dict = {
      _F.image: _image()[tf.newaxis],
      _F.groundtruth_boxes: boxes,
      _F.groundtruth_classes: tf.constant([3]),
      _F.groundtruth_weights: tf.constant([1.0]),
      _F.groundtruth_instance_masks: masks,
  }
  out = preprocessor.preprocess(
      tensor_dict,
      [(preprocessor.random_horizontal_flip, {"probability": 1.0}),
       (preprocessor.random_vertical_flip, {"probability": 1.0}),
       (preprocessor.random_rotation90, {"probability": 0.0})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      seed=tf.constant([1, 2]))
  assert out[_F.image].shape == (1, 2, 3, 3)
  np.testing.assert_array_equal(out[_F.image][0, ..., 0],
                                [[12, 11, 10], [2, 1, 0]])
  np.testing.assert_allclose(out[_F.groundtruth_boxes],
                             [[0.5, 0.4, 0.9, 0.8]], atol=1e-6)
  np.testing.assert_array_equal(out[_F.groundtruth_instance_masks],
                                [[[2, 0, 0], [0, 0, 1]]])
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [3])
