"""Tests for object_detection/core/preprocessor_ops/patches.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import patches

_F = fields.InputDataFields


def _image(height=8, width=10):
  # Pixel value = 10 * row + column + 1 (never 0), in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width)) + 1
  return tf.constant(np.stack([values] * 3, -1), tf.float32)


def _cache(function_id, **draws):
  cache = preprocessor.PreprocessorCache()
  for key, value in draws.items():
    cache.update(function_id, key, tf.constant(value))
  return cache


# random_black_patches ------------------------------------------------------


def test_black_patch_at_the_drawn_corner():
  # side = int(0.5 * min(8, 10)) = 4; corner (int(0.25 * 8), int(0.5 * 10))
  # = (2, 5): rows 2..5 and columns 5..8 become 0.
  cache = _cache("random_black_patches", apply=[0.0], y=[0.25], x=[0.5])
  image = patches.random_black_patches(
      _image(), max_black_patches=1, probability=1.0, size_to_image_ratio=0.5,
      preprocess_vars_cache=cache)
  expected = _image().numpy()
  expected[2:6, 5:9, :] = 0
  np.testing.assert_array_equal(image, expected)


def test_black_patch_not_added_when_the_draw_is_above_probability():
  cache = _cache("random_black_patches", apply=[0.6, 0.2], y=[0.0, 0.5],
                 x=[0.0, 0.0])
  image = patches.random_black_patches(
      _image(), max_black_patches=2, probability=0.5, size_to_image_ratio=0.5,
      preprocess_vars_cache=cache)
  # Only try 1 (0.2 < 0.5): corner (int(0.5 * 8), 0) = (4, 0), side 4.
  expected = _image().numpy()
  expected[4:8, 0:4, :] = 0
  np.testing.assert_array_equal(image, expected)


def test_black_patches_seeded_count_and_no_op_settings():
  # One patch of side int(0.25 * 8) = 2 always lies inside: 2 * 2 pixels.
  image = patches.random_black_patches(
      _image(), 1, 1.0, 0.25, seed=tf.constant([3, 4]))
  assert np.sum(image.numpy() == 0) == 2 * 2 * 3
  for kwargs in ({"probability": 0.0}, {"max_black_patches": 0}):
    unchanged = patches.random_black_patches(_image(), seed=tf.constant(
        [3, 4]), **kwargs)
    np.testing.assert_array_equal(unchanged, _image())


def test_black_patches_random_seed_is_the_seed():
  seed = tf.constant([5, 6])
  by_name = patches.random_black_patches(_image(), 3, 1.0, 0.3,
                                         random_seed=seed)
  by_seed = patches.random_black_patches(_image(), 3, 1.0, 0.3, seed=seed)
  np.testing.assert_array_equal(by_name, by_seed)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_black_patches": -1},
     "random_black_patches.max_black_patches must be >= 0, got -1"),
    ({"size_to_image_ratio": 0.0},
     r"random_black_patches.size_to_image_ratio must be in \(0, 1\], got 0.0"),
])
def test_black_patches_errors(kwargs, message):
  with pytest.raises(ValueError, match="^" + message + "$"):
    patches.random_black_patches(_image(), **kwargs)


# random_patch_gaussian -----------------------------------------------------


def test_patch_gaussian_adds_the_noise_inside_the_patch_only():
  image = _image().numpy()
  image[0, 9, :] = 250.0
  noise = np.full([8, 10, 3], 0.1, np.float32)
  # Side 3 centred on (0, 9): rows [0 - 1, 0 + 2) and columns [8, 11), cut
  # to rows 0..1 and columns 8..9.
  cache = _cache("random_patch_gaussian", apply=0.5, patch_size=3,
                 gaussian_stddev=0.1, y=0, x=9, gaussian=noise)
  out = patches.random_patch_gaussian(
      tf.constant(image), 3, 4, 0.1, 0.2, preprocess_vars_cache=cache).numpy()
  expected = image.copy()
  # p -> 255 * clip(p / 255 + 0.1, 0, 1) = p + 25.5 below 229.5.
  expected[0:2, 8:10, :] += 25.5
  expected[0, 9, :] = 255.0  # 250 + 25.5 clipped.
  np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_patch_gaussian_random_coef_one_keeps_the_image():
  out = patches.random_patch_gaussian(_image(), 2, 5, 0.5, 1.0,
                                      random_coef=1.0, seed=tf.constant([1, 1]))
  np.testing.assert_array_equal(out, _image())


def test_patch_gaussian_changes_one_square_of_the_drawn_size():
  # Sides are drawn in [3, 4) = 3; the changed pixels fit a 3 x 3 square.
  image = tf.fill([16, 16, 3], 128.0)
  out = patches.random_patch_gaussian(image, 3, 4, 0.2, 0.3,
                                      seed=tf.constant([2, 9])).numpy()
  rows, cols = np.nonzero(np.any(out != 128.0, axis=-1))
  assert 0 < rows.size <= 9
  assert rows.max() - rows.min() < 3 and cols.max() - cols.min() < 3


@pytest.mark.parametrize("kwargs, message", [
    ({"min_patch_size": 0},
     "random_patch_gaussian.min_patch_size must be >= 1, got 0"),
    ({"min_patch_size": 5, "max_patch_size": 5},
     r"random_patch_gaussian.max_patch_size must be > min_patch_size \(5\), "
     "got 5"),
])
def test_patch_gaussian_errors(kwargs, message):
  with pytest.raises(ValueError, match="^" + message + "$"):
    patches.random_patch_gaussian(_image(), **kwargs)


# random_jitter_boxes -------------------------------------------------------

_BOXES = tf.constant([[0.2, 0.2, 0.6, 0.4], [0.1, 0.2, 0.5, 0.6],
                      [0.0, 0.5, 1.0, 1.0]])


@pytest.mark.parametrize("mode", sorted(patches._JITTER_MODES))
def test_jitter_ratio_zero_keeps_boxes(mode):
  out = patches.random_jitter_boxes(_BOXES, 0.0, mode, seed=tf.constant([1, 2]))
  np.testing.assert_allclose(out, _BOXES, atol=1e-6)


def test_jitter_default_moves_each_edge_by_its_own_draw():
  # Box [0.2, 0.2, 0.6, 0.4]: centre (0.4, 0.3), size (0.4, 0.2);
  # factors 1 + [0.1, -0.1, 0.2, 0.0]:
  # ymin = 0.4 - 0.4 * 1.1 / 2 = 0.18, xmin = 0.3 - 0.2 * 0.9 / 2 = 0.21,
  # ymax = 0.4 + 0.4 * 1.2 / 2 = 0.64, xmax = 0.3 + 0.2 * 1.0 / 2 = 0.4.
  cache = _cache("random_jitter_boxes", distortion=[[0.1, -0.1, 0.2, 0.0]])
  out = patches.random_jitter_boxes(_BOXES[:1], 0.2,
                                    preprocess_vars_cache=cache)
  np.testing.assert_allclose(out, [[0.18, 0.21, 0.64, 0.4]], atol=1e-6)


def test_jitter_symmetric_keeps_the_centre_and_stays_in_the_image():
  # Box [0.1, 0.2, 0.5, 0.6]: centre (0.3, 0.4), size (0.4, 0.4).
  # dy = 1 + 1.0 = 2 is limited to min(2 * 0.3, 2 * 0.7) / 0.4 = 1.5:
  # y in 0.3 -+ 0.4 * 1.5 / 2 = [0, 0.6]; dx = 1 - 0.5: x in 0.4 -+ 0.1.
  cache = _cache("random_jitter_boxes", distortion=[[1.0, -0.5]])
  out = patches.random_jitter_boxes(_BOXES[1:2], 1.0, "expand_symmetric",
                                    preprocess_vars_cache=cache)
  np.testing.assert_allclose(out, [[0.0, 0.3, 0.6, 0.5]], atol=1e-6)


def test_jitter_symmetric_xy_uses_one_factor_and_the_tighter_limit():
  # Same box; d = 2 for both axes, limits 1.5 (y) and min(0.8, 1.2) / 0.4
  # = 2 (x), so both use 1.5: x in 0.4 -+ 0.4 * 1.5 / 2 = [0.1, 0.7].
  cache = _cache("random_jitter_boxes", distortion=[[1.0, -0.9]])
  out = patches.random_jitter_boxes(_BOXES[1:2], 1.0, "expand_symmetric_xy",
                                    preprocess_vars_cache=cache)
  np.testing.assert_allclose(out, [[0.0, 0.1, 0.6, 0.7]], atol=1e-6)


def _sides(boxes):
  boxes = np.asarray(boxes)
  return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]


@pytest.mark.parametrize("mode", sorted(patches._JITTER_MODES))
def test_jitter_modes_respect_their_direction(mode):
  ratio = 0.2
  out = patches.random_jitter_boxes(_BOXES, ratio, mode,
                                    seed=tf.constant([4, 2])).numpy()
  boxes = _BOXES.numpy()
  height, width = _sides(boxes)
  # Each edge moves by at most ratio * side / 2.
  limit = np.stack([height, width, height, width], 1) * ratio / 2 + 1e-6
  assert np.all(np.abs(out - boxes) <= limit)
  assert np.all(out >= 0.0) and np.all(out <= 1.0)
  grown = (out[:, :2] <= boxes[:, :2] + 1e-6).all() and (
      out[:, 2:] >= boxes[:, 2:] - 1e-6).all()
  shrunk = (out[:, :2] >= boxes[:, :2] - 1e-6).all() and (
      out[:, 2:] <= boxes[:, 2:] + 1e-6).all()
  if mode != "default":
    assert grown == mode.startswith("expand")
    assert shrunk == mode.startswith("shrink")
  else:  # Some edges move in, others out.
    assert not grown and not shrunk
  if "symmetric" in mode:
    np.testing.assert_allclose(out[:, :2] + out[:, 2:],
                               boxes[:, :2] + boxes[:, 2:], atol=1e-6)
  if mode.endswith("_xy"):  # Equal relative change of height and width.
    new_height, new_width = _sides(out)
    np.testing.assert_allclose(new_height / height, new_width / width,
                               rtol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"jitter_mode": "EXPAND"},
     "random_jitter_boxes.jitter_mode must be one of default, expand, shrink, "
     "expand_symmetric, shrink_symmetric, expand_symmetric_xy, "
     "shrink_symmetric_xy, got 'EXPAND'"),
    ({"ratio": -0.1}, r"random_jitter_boxes.ratio must be >= 0, got -0.1"),
])
def test_jitter_errors(kwargs, message):
  with pytest.raises(ValueError, match="^" + message + "$"):
    patches.random_jitter_boxes(_BOXES, **kwargs)


# random_self_concat_image --------------------------------------------------


def _concat(vertical, horizontal, image=None, boxes=None, **kwargs):
  image = _image(2, 3) if image is None else image
  boxes = tf.constant([[0.0, 0.0, 0.5, 1 / 3]]) if boxes is None else boxes
  num_boxes = boxes.shape[0]
  return patches.random_self_concat_image(
      image, boxes, tf.range(3, 3 + num_boxes),
      tf.fill([num_boxes], 0.5), box_indices=tf.range(num_boxes),
      concat_vertical_probability=vertical,
      concat_horizontal_probability=horizontal, **kwargs)


def test_self_concat_vertical_duplicates_and_rescales():
  # The 2x3 image's pixel (0, 0) is box [0, 0, 1/2, 1/3]; in the 4x3 image
  # it is [0, 0, 1/4, 1/3] (top copy) and [1/2, 0, 3/4, 1/3] (bottom copy).
  mask = tf.constant([[[1, 0, 0], [0, 0, 0]]], tf.float32)
  keypoints = tf.constant([[[0.25, 1 / 6]]])
  visibilities = tf.constant([[True]])
  image, boxes, labels, weights, masks, kps, vis, indices = _concat(
      1.0, 0.0, masks=mask, keypoints=keypoints,
      keypoint_visibilities=visibilities)
  np.testing.assert_array_equal(image[..., 0], [[1, 2, 3], [11, 12, 13]] * 2)
  np.testing.assert_allclose(boxes, [[0, 0, 0.25, 1 / 3],
                                     [0.5, 0, 0.75, 1 / 3]], atol=1e-6)
  np.testing.assert_array_equal(labels, [3, 3])
  np.testing.assert_array_equal(weights, [0.5, 0.5])
  np.testing.assert_array_equal(masks, [[[1, 0, 0], [0, 0, 0], [0, 0, 0],
                                         [0, 0, 0]],
                                        [[0, 0, 0], [0, 0, 0], [1, 0, 0],
                                         [0, 0, 0]]])
  # Pixel centre (0.25, 1/6) -> (0.125, 1/6) and (0.625, 1/6).
  np.testing.assert_allclose(kps, [[[0.125, 1 / 6]], [[0.625, 1 / 6]]],
                             atol=1e-6)
  np.testing.assert_array_equal(vis, [[True], [True]])
  np.testing.assert_array_equal(indices, [0, 0])


def test_self_concat_both_gives_four_copies_in_order():
  # Vertical first: [0, 0, .25, 1/3], [.5, 0, .75, 1/3]; then x halves and
  # the right copies add 0.5 to x: 1/3 / 2 = 1/6, 1/6 + 0.5 = 2/3.
  image, boxes, labels, weights, indices = _concat(
      1.0, 1.0, boxes=tf.constant([[0.0, 0.0, 0.5, 1 / 3],
                                   [0.5, 0.0, 1.0, 1.0]]))
  assert image.shape == (4, 6, 3)
  np.testing.assert_array_equal(image[0, :, 0], [1, 2, 3, 1, 2, 3])
  np.testing.assert_allclose(boxes, [
      [0.0, 0.0, 0.25, 1 / 6], [0.25, 0.0, 0.5, 0.5],
      [0.5, 0.0, 0.75, 1 / 6], [0.75, 0.0, 1.0, 0.5],
      [0.0, 0.5, 0.25, 2 / 3], [0.25, 0.5, 0.5, 1.0],
      [0.5, 0.5, 0.75, 2 / 3], [0.75, 0.5, 1.0, 1.0]], atol=1e-6)
  np.testing.assert_array_equal(labels, [3, 4] * 4)
  np.testing.assert_array_equal(weights, [0.5] * 8)
  np.testing.assert_array_equal(indices, [0, 1] * 4)


def test_self_concat_probability_zero_and_multiclass_scores():
  scores = tf.constant([[0.1, 0.9]])
  image, boxes, labels, _, _, out_scores, indices = _concat(
      0.0, 0.0, label_confidences=tf.constant([0.7]),
      multiclass_scores=scores)
  np.testing.assert_array_equal(image, _image(2, 3))
  np.testing.assert_allclose(boxes, [[0.0, 0.0, 0.5, 1 / 3]])
  np.testing.assert_array_equal(labels, [3])
  np.testing.assert_array_equal(indices, [0])
  np.testing.assert_array_equal(out_scores, scores)
  _, _, _, _, confidences, out_scores, _ = _concat(
      0.0, 1.0, label_confidences=tf.constant([0.7]),
      multiclass_scores=scores)
  np.testing.assert_allclose(confidences, [0.7, 0.7])
  np.testing.assert_allclose(out_scores, [[0.1, 0.9], [0.1, 0.9]])


# Shared checks ---------------------------------------------------------------


def _run_all(seed):
  image = _image(16, 16)
  return (
      patches.random_black_patches(image, 4, 0.5, 0.25, seed=seed),
      patches.random_patch_gaussian(image, 2, 8, 0.1, 0.5, seed=seed),
      patches.random_jitter_boxes(_BOXES, 0.3, seed=seed),
      _concat(0.5, 0.5, seed=seed)[0])


def test_same_seed_same_output_different_seeds_differ():
  first = _run_all(tf.constant([1, 2]))
  again = _run_all(tf.constant([1, 2]))
  for a, b in zip(first, again):
    np.testing.assert_array_equal(a, b)
  others = [_run_all(tf.constant([s, 3])) for s in range(6)]
  for index in range(4):
    shapes_or_values = {others[i][index].numpy().tobytes() +
                        str(others[i][index].shape).encode()
                        for i in range(6)}
    assert len(shapes_or_values) > 1, index


def test_cache_repeats_the_draws():
  cache = preprocessor.PreprocessorCache()
  image = _image(16, 16)
  first = patches.random_patch_gaussian(image, 2, 8,
                                        preprocess_vars_cache=cache)
  second = patches.random_patch_gaussian(image, 2, 8,
                                         preprocess_vars_cache=cache)
  np.testing.assert_array_equal(first, second)
  jitter = [patches.random_jitter_boxes(_BOXES, 0.3,
                                        preprocess_vars_cache=cache)
            for _ in range(2)]
  np.testing.assert_array_equal(jitter[0], jitter[1])


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([None, None, None])])
  def run(image, boxes, labels, masks):
    seed = tf.constant([1, 2])
    return (patches.random_black_patches(image, 3, 1.0, 0.5, seed=seed),
            patches.random_patch_gaussian(image, 1, 3, seed=seed),
            patches.random_jitter_boxes(boxes, 0.1, "expand_symmetric_xy",
                                        seed=seed),
            patches.random_self_concat_image(
                image, boxes, labels, None, masks=masks,
                box_indices=tf.range(tf.shape(boxes)[0]),
                concat_vertical_probability=1.0,
                concat_horizontal_probability=1.0, seed=seed))

  black, noisy, jittered, concat = run(_image(), tf.zeros([0, 4]),
                                       tf.zeros([0], tf.int32),
                                       tf.zeros([0, 8, 10]))
  assert black.shape == noisy.shape == (8, 10, 3)
  # side int(0.5 * 8) = 4: at least one 4 x 4 patch is black.
  assert np.sum(black.numpy()[..., 0] == 0) >= 16
  assert jittered.shape == (0, 4)
  image, boxes, labels, masks, indices = concat
  assert image.shape == (16, 20, 3) and boxes.shape == (0, 4)
  assert labels.shape == (0,) and masks.shape == (0, 16, 20)
  assert indices.shape == (0,)


def test_func_arg_map_ends_concat_with_box_indices():
  mapping = patches.func_arg_map(arg_fields.ArgFields())
  assert mapping[patches.random_self_concat_image][-1] == (
      arg_fields.BOX_INDICES)
  assert mapping[patches.random_jitter_boxes] == (_F.groundtruth_boxes,)


def test_preprocess_keeps_every_per_box_field_consistent():
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.5, 0.25, 1.0, 1.0]])
  masks = np.zeros([2, 8, 8], np.float32)
  masks[0, 0:4, 0:4] = 1
  masks[1, 4:8, 2:8] = 1
  tensor_dict = {
      _F.image: _image(8, 8)[tf.newaxis],
      _F.groundtruth_boxes: boxes,
      _F.groundtruth_classes: tf.constant([1, 2]),
      _F.groundtruth_weights: tf.constant([1.0, 0.5]),
      _F.groundtruth_instance_masks: tf.constant(masks),
      _F.groundtruth_is_crowd: tf.constant([False, True]),
  }
  out = preprocessor.preprocess(
      tensor_dict,
      [(preprocessor.random_black_patches, {"probability": 0.5}),
       (preprocessor.random_patch_gaussian, {"max_patch_size": 4}),
       (preprocessor.random_jitter_boxes, {"ratio": 0.0}),
       (preprocessor.random_self_concat_image,
        {"concat_vertical_probability": 1.0,
         "concat_horizontal_probability": 0.0})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      seed=tf.constant([7, 8]))
  assert out[_F.image].shape == (1, 16, 8, 3)
  # y halves, the bottom copies add 0.5.
  np.testing.assert_allclose(out[_F.groundtruth_boxes], [
      [0.0, 0.0, 0.25, 0.5], [0.25, 0.25, 0.5, 1.0],
      [0.5, 0.0, 0.75, 0.5], [0.75, 0.25, 1.0, 1.0]], atol=1e-6)
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [1, 2, 1, 2])
  np.testing.assert_array_equal(out[_F.groundtruth_weights],
                                [1.0, 0.5, 1.0, 0.5])
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd],
                                [False, True, False, True])
  out_masks = out[_F.groundtruth_instance_masks].numpy()
  np.testing.assert_array_equal(out_masks[0, :8], masks[0])
  np.testing.assert_array_equal(out_masks[3, 8:], masks[1])
  assert out_masks[0, 8:].sum() == 0 and out_masks[3, :8].sum() == 0
