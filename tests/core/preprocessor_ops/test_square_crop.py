"""Tests for object_detection/core/preprocessor_ops/square_crop.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import random_ops
from object_detection.core.preprocessor_ops import square_crop

_F = fields.InputDataFields
_NAN = float("nan")


def _image(height, width):
  # Pixel value = 100 * row + column, in every channel.
  values = np.add.outer(100 * np.arange(height), np.arange(width))
  return np.stack([values] * 3, -1).astype(np.float32)


def _masks(num, height, width):
  # Mask i is filled with i + 1, so a gathered mask shows which box it is.
  return (np.arange(1, num + 1)[:, None, None] *
          np.ones([num, height, width])).astype(np.float32)


_BOXES = np.array([
    [0.25, 0.25, 0.5, 0.5],  # inside the central window
    [0.0, 0.0, 0.2, 0.2],    # above-left of it
    [0.6, 0.6, 0.9, 0.9],    # overlaps its corner; centre outside it
], np.float32)
_LABELS = np.array([1, 2, 3], np.int32)
_WEIGHTS = np.array([1.0, 0.5, 0.25], np.float32)
_CONFIDENCES = np.array([0.9, 0.8, 0.7], np.float32)
# One keypoint per box; box 0's second keypoint is outside the window.
_KEYPOINTS = np.array([[[0.375, 0.375], [0.1, 0.1]],
                       [[0.1, 0.1], [0.1, 0.1]],
                       [[0.7, 0.7], [0.7, 0.7]]], np.float32)


@pytest.mark.parametrize("max_border, size, expected", [
    (128, 64, 32),    # 2*128/64 = 4 = 2**2 -> 128 // 4
    (128, 32, 16),    # 2*128/32 = 8 = 2**3 -> 128 // 8
    (128, 48, 16),    # 2*128/48 = 5.3 -> 2**3 -> 128 // 8
    (128, 1000, 128),  # 2*128/1000 < 1 -> divisor clipped to 1
    (0, 50, 0),       # no border at all
])
def test_crop_border(max_border, size, expected):
  assert int(square_crop.crop_border(max_border, size)) == expected


def _square(image, scale, max_border=128, **kwargs):
  num = kwargs.pop("num", 3)
  height, width = image.shape[:2]
  return square_crop.random_square_crop_by_scale(
      tf.constant(image), tf.constant(_BOXES[:num]),
      tf.constant(_LABELS[:num]), tf.constant(_WEIGHTS[:num]),
      label_confidences=tf.constant(_CONFIDENCES[:num]),
      masks=tf.constant(_masks(3, height, width)[:num]),
      keypoints=tf.constant(_KEYPOINTS[:num]),
      box_indices=tf.range(num), max_border=max_border, scale_min=scale,
      scale_max=scale, num_scales=1, **kwargs)


def test_square_crop_inside_the_image():
  # 32x32, max_border 128: border 16 on both axes, so the centre can only
  # be (16, 16). Side int(0.5 * 32) = 16, rows/cols [16 - 8, 16 + 8) =
  # [8, 24): normalised window [0.25, 0.75].
  image = _image(32, 32)
  out = _square(image, 0.5)
  assert len(out) == 8
  new_image, boxes, labels, weights, confidences, masks, keypoints, idx = out
  np.testing.assert_array_equal(new_image, image[8:24, 8:24])
  # Box 0: (0.25 - 0.25) / 0.5 = 0, (0.5 - 0.25) / 0.5 = 0.5.
  # Box 1: ymax 0.2 < 0.25, outside: dropped.
  # Box 2: (0.6 - 0.25) / 0.5 = 0.7, (0.9 - 0.25) / 0.5 = 1.3 -> clipped 1.
  np.testing.assert_allclose(boxes, [[0, 0, 0.5, 0.5], [0.7, 0.7, 1, 1]],
                             atol=1e-6)
  np.testing.assert_array_equal(labels, [1, 3])
  np.testing.assert_array_equal(weights, [1.0, 0.25])
  np.testing.assert_array_equal(confidences, _CONFIDENCES[[0, 2]])
  np.testing.assert_array_equal(masks, _masks(3, 16, 16)[[0, 2]])
  np.testing.assert_array_equal(idx, [0, 2])
  # (0.375 - 0.25) / 0.5 = 0.25; (0.1 - 0.25) / 0.5 < 0: NaN;
  # (0.7 - 0.25) / 0.5 = 0.9.
  np.testing.assert_allclose(
      keypoints, [[[0.25, 0.25], [_NAN, _NAN]], [[0.9, 0.9], [0.9, 0.9]]],
      atol=1e-6)


def test_square_crop_larger_than_the_image_pads_with_zeros():
  # Side int(1.5 * 32) = 48, start 16 - 24 = -8: rows/cols [-8, 40), the
  # image lands at [8, 40) of the 48x48 output; window [-0.25, 1.25].
  image = _image(32, 32)
  new_image, boxes, labels, _, _, masks, _, idx = _square(image, 1.5)
  assert new_image.shape == (48, 48, 3)
  np.testing.assert_array_equal(new_image[8:40, 8:40], image)
  assert np.all(new_image[:8] == 0) and np.all(new_image[:, :8] == 0)
  assert np.all(new_image[40:] == 0) and np.all(new_image[:, 40:] == 0)
  # (b + 0.25) / 1.5: 0.25 -> 1/3, 0.5 -> 0.5, 0 -> 1/6, 0.2 -> 0.3,
  # 0.6 -> 17/30, 0.9 -> 23/30.
  np.testing.assert_allclose(
      boxes, [[1 / 3, 1 / 3, 0.5, 0.5], [1 / 6, 1 / 6, 0.3, 0.3],
              [17 / 30, 17 / 30, 23 / 30, 23 / 30]], atol=1e-6)
  np.testing.assert_array_equal(labels, [1, 2, 3])
  np.testing.assert_array_equal(idx, [0, 1, 2])
  np.testing.assert_array_equal(masks[:, 8:40, 8:40], _masks(3, 32, 32))
  assert masks.shape == (3, 48, 48)
  assert masks.numpy().sum() == (1 + 2 + 3) * 32 * 32


def test_square_crop_of_a_wide_image():
  # 16x32: border 128 // 16 = 8 rows (2*128/16 = 16 = 2**4), 16 columns;
  # centre (8, 16). Side int(0.5 * 32) = 16: rows [0, 16), cols [8, 24).
  image = _image(16, 32)
  new_image, boxes, labels = _square(image, 0.5)[:3]
  np.testing.assert_array_equal(new_image, image[:, 8:24])
  # x: (0.25 - 0.25) / 0.5 = 0, (0.5 - 0.25) / 0.5 = 0.5; y unchanged.
  # Box 1: xmax 0.2 < 0.25: dropped. Box 2: x 0.7 -> 1.3 clipped.
  np.testing.assert_allclose(boxes, [[0.25, 0, 0.5, 0.5],
                                     [0.6, 0.7, 0.9, 1.0]], atol=1e-6)
  np.testing.assert_array_equal(labels, [1, 3])


def test_square_crop_centre_stays_out_of_the_border():
  # 32x32 with max_border 8: border 8 (2*8/32 < 1), centre in [8, 24].
  # Side 16 always: the window starts at centre - 8 in [0, 16].
  image = _image(32, 32)
  starts = set()
  for seed in range(12):
    new_image = _square(image, 0.5, max_border=8,
                        seed=tf.constant([seed, 3]))[0].numpy()
    assert new_image.shape == (16, 16, 3)
    row, col = divmod(int(new_image[0, 0, 0]), 100)
    assert 0 <= row <= 16 and 0 <= col <= 16
    np.testing.assert_array_equal(new_image, image[row:row + 16,
                                                   col:col + 16])
    starts.add((row, col))
  assert len(starts) > 1


def test_square_crop_picks_one_of_the_linspace_scales():
  # Scales linspace(0.5, 1.0, 3) = 0.5, 0.75, 1.0 -> sides 16, 24, 32.
  image = tf.constant(_image(32, 32))
  sides = set()
  for seed in range(12):
    out = square_crop.random_square_crop_by_scale(
        image, tf.zeros([0, 4]), tf.zeros([0], tf.int32), tf.zeros([0]),
        scale_min=0.5, scale_max=1.0, num_scales=3,
        seed=tf.constant([seed, 0]))
    sides.add(tuple(out[0].shape))
  assert sides == {(16, 16, 3), (24, 24, 3), (32, 32, 3)}


def test_square_crop_without_boxes():
  image = _image(32, 32)
  out = _square(image, 0.5, num=0)
  np.testing.assert_array_equal(out[0], image[8:24, 8:24])
  assert out[1].shape == (0, 4) and out[5].shape == (0, 16, 16)
  assert out[6].shape == (0, 2, 2) and out[7].shape == (0,)


def test_square_crop_without_optional_fields_returns_fewer_outputs():
  out = square_crop.random_square_crop_by_scale(
      tf.constant(_image(32, 32)), tf.constant(_BOXES),
      tf.constant(_LABELS), None, scale_min=0.5, scale_max=0.5, num_scales=1)
  assert len(out) == 3
  np.testing.assert_array_equal(out[2], [1, 3])


def test_square_crop_errors():
  with pytest.raises(ValueError, match="^random_square_crop_by_scale: image "
                     r"must have rank 3 \[height, width, channels\], got "
                     r"shape \(1, 4, 4, 3\)$"):
    square_crop.random_square_crop_by_scale(
        tf.zeros([1, 4, 4, 3]), tf.zeros([0, 4]), tf.zeros([0], tf.int32),
        None)
  with pytest.raises(ValueError, match="^random_square_crop_by_scale: "
                     "num_scales must be >= 1, got 0$"):
    square_crop.random_square_crop_by_scale(
        tf.zeros([4, 4, 3]), tf.zeros([0, 4]), tf.zeros([0], tf.int32),
        None, num_scales=0)


def _scale_crop(image, scale, output_size, cache=None, num=3, **kwargs):
  height, width = image.shape[:2]
  return square_crop.random_scale_crop_and_pad_to_square(
      tf.constant(image), tf.constant(_BOXES[:num]),
      tf.constant(_LABELS[:num]), tf.constant(_WEIGHTS[:num]),
      masks=tf.constant(_masks(3, height, width)[:num]),
      keypoints=tf.constant(_KEYPOINTS[:num]),
      label_confidences=tf.constant(_CONFIDENCES[:num]),
      box_indices=tf.range(num), scale_min=scale, scale_max=scale,
      output_size=output_size, preprocess_vars_cache=cache, **kwargs)


def test_scale_crop_and_pad_smaller_than_output():
  # 32x32 at scale 0.5 into 32: scaled int(0.5 * 32) = 16, no free range,
  # offset 0. Half-pixel bilinear halving samples input (2i + 0.5,
  # 2j + 0.5): the mean of each 2x2 block.
  image = _image(32, 32)
  out = _scale_crop(image, 0.5, 32)
  new_image, boxes, labels, weights, masks, keypoints, confidences, idx = out
  assert new_image.shape == (32, 32, 3)
  blocks = image.reshape([16, 2, 16, 2, 3]).mean(axis=(1, 3))
  np.testing.assert_allclose(new_image[:16, :16], blocks, rtol=1e-6)
  assert np.all(new_image[16:] == 0) and np.all(new_image[:, 16:] == 0)
  # Window [0, 0, 32/16, 32/16] = [0, 0, 2, 2]: every box halves.
  np.testing.assert_allclose(boxes, _BOXES / 2, atol=1e-6)
  np.testing.assert_allclose(keypoints, _KEYPOINTS / 2, atol=1e-6)
  np.testing.assert_array_equal(labels, _LABELS)
  np.testing.assert_array_equal(weights, _WEIGHTS)
  np.testing.assert_array_equal(confidences, _CONFIDENCES)
  np.testing.assert_array_equal(idx, [0, 1, 2])
  np.testing.assert_allclose(masks[:, :16, :16], _masks(3, 16, 16))
  assert np.all(masks[:, 16:] == 0) and np.all(masks[:, :, 16:] == 0)


def test_scale_crop_and_pad_larger_than_output_crops_at_the_offset():
  # 16x16 at scale 2 into 16: scaled 2 * 16 = 32, free range 16 per axis;
  # the cached fractions (0.5, 0.25) give offset (8, 4). Half-pixel
  # bilinear doubling maps output i to input (i + 0.5) / 2 - 0.5 =
  # i / 2 - 0.25; the image is linear (100 * row + col), so away from the
  # clamped borders (rows/cols 1..30) the value is
  # 100 (i / 2 - 0.25) + j / 2 - 0.25. The crop takes rows [8, 24), cols
  # [4, 20).
  cache = random_ops.PreprocessorCache()
  op = "random_scale_crop_and_pad_to_square"
  cache.update(op, "scale", tf.constant(2.0))
  cache.update(op, "offset", tf.constant([0.5, 0.25]))
  out = _scale_crop(_image(16, 16), 1.0, 16, cache=cache)
  new_image, boxes, labels, _, masks, keypoints, _, idx = out
  rows = np.arange(8, 24)[:, None]
  cols = np.arange(4, 20)[None, :]
  np.testing.assert_allclose(new_image[..., 0],
                             50 * rows - 25 + cols / 2 - 0.25,
                             rtol=1e-5)
  # Window [8/32, 4/32, 24/32, 20/32] = [0.25, 0.125, 0.75, 0.625].
  # Box 0: y (0.25-0.25)/0.5 = 0, 0.5; x (0.25-0.125)/0.5 = 0.25, 0.75.
  # Box 1: ymax 0.2 < 0.25: dropped.
  # Box 2: y 0.7, 1.3 -> 1; x (0.6-0.125)/0.5 = 0.95, 1.55 -> 1. Its
  #   centre (0.75, 0.75) is outside the window: still kept.
  np.testing.assert_allclose(boxes, [[0, 0.25, 0.5, 0.75],
                                     [0.7, 0.95, 1, 1]], atol=1e-6)
  np.testing.assert_array_equal(labels, [1, 3])
  np.testing.assert_array_equal(idx, [0, 2])
  np.testing.assert_allclose(masks, _masks(3, 16, 16)[[0, 2]])
  # (0.375 - 0.25) / 0.5 = 0.25, (0.375 - 0.125) / 0.5 = 0.5; the second
  # keypoint (0.1, 0.1) is outside: NaN. Box 2's: 0.9 and 1.15 -> NaN.
  np.testing.assert_allclose(
      keypoints, [[[0.25, 0.5], [_NAN, _NAN]], [[_NAN, _NAN]] * 2],
      atol=1e-6)


def test_scale_crop_and_pad_nearest_masks_and_no_boxes():
  image = _image(32, 32)
  out = _scale_crop(image, 0.5, 32, num=0,
                    resize_method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
  # Half-pixel nearest halving picks input floor(2i + 1) = 2i + 1.
  np.testing.assert_array_equal(out[0][:16, :16], image[1::2, 1::2])
  assert out[1].shape == (0, 4) and out[4].shape == (0, 32, 32)
  assert out[5].shape == (0, 2, 2) and out[7].shape == (0,)


def test_scale_crop_and_pad_errors():
  with pytest.raises(ValueError, match="^random_scale_crop_and_pad_to_square:"
                     " output_size must be >= 1, got 0$"):
    square_crop.random_scale_crop_and_pad_to_square(
        tf.zeros([4, 4, 3]), tf.zeros([0, 4]), tf.zeros([0], tf.int32),
        None, output_size=0)


_OPS = [
    (square_crop.random_square_crop_by_scale,
     {"max_border": 8, "scale_min": 0.5, "scale_max": 1.3}),
    (square_crop.random_scale_crop_and_pad_to_square,
     {"output_size": 24, "scale_min": 0.5, "scale_max": 2.0}),
]
_IDS = ["square_crop_by_scale", "scale_crop_and_pad"]


def _call(func, kwargs, seed=None, cache=None, num=3):
  return func(tf.constant(_image(32, 32)), tf.constant(_BOXES[:num]),
              tf.constant(_LABELS[:num]), tf.constant(_WEIGHTS[:num]),
              masks=tf.constant(_masks(3, 32, 32)[:num]), seed=seed,
              preprocess_vars_cache=cache, **kwargs)


def _same(first, second):
  return len(first) == len(second) and all(
      a.shape == b.shape and np.array_equal(a, b)
      for a, b in zip(first, second))


@pytest.mark.parametrize("func, kwargs", _OPS, ids=_IDS)
def test_stateless_seed_determinism(func, kwargs):
  first = _call(func, kwargs, seed=tf.constant([3, 4]))
  again = _call(func, kwargs, seed=tf.constant([3, 4]))
  assert _same(first, again)
  others = [_call(func, kwargs, seed=tf.constant([s, 9])) for s in range(4)]
  assert not all(_same(first, other) for other in others)


@pytest.mark.parametrize("func, kwargs", _OPS, ids=_IDS)
def test_cache_repeats_the_draws(func, kwargs):
  cache = random_ops.PreprocessorCache()
  first = _call(func, kwargs, cache=cache)
  for _ in range(3):
    assert _same(first, _call(func, kwargs, cache=cache))


@pytest.mark.parametrize("func, kwargs", _OPS, ids=_IDS)
def test_tf_function_with_unknown_shapes(func, kwargs):
  @tf.function(input_signature=[
      tf.TensorSpec([None, None, 3], tf.float32),
      tf.TensorSpec([None, 4], tf.float32),
      tf.TensorSpec([None], tf.int32), tf.TensorSpec([None], tf.float32),
      tf.TensorSpec([None, None, None], tf.float32),
      tf.TensorSpec([None, None, 2], tf.float32),
      tf.TensorSpec([None], tf.int32), tf.TensorSpec([2], tf.int64)])
  def run(image, boxes, labels, weights, masks, keypoints, indices, seed):
    return func(image, boxes, labels, weights, masks=masks,
                keypoints=keypoints, box_indices=indices, seed=seed,
                **kwargs)

  for num in (3, 0):
    out = run(tf.constant(_image(32, 32)), _BOXES[:num], _LABELS[:num],
              _WEIGHTS[:num], _masks(3, 32, 32)[:num], _KEYPOINTS[:num],
              tf.range(num), tf.constant([1, 2], tf.int64))
    image, boxes, labels, _, masks, _, indices = out
    assert image.shape[0] == image.shape[1]
    assert masks.shape == (boxes.shape[0],) + tuple(image.shape[:2])
    np.testing.assert_array_equal(labels, _LABELS[indices.numpy()])


@pytest.mark.parametrize("func, kwargs", _OPS, ids=_IDS)
def test_preprocess_with_masks_keeps_fields_in_step(func, kwargs):
  masks = _masks(3, 32, 32)
  tensor_dict = {
      _F.image: tf.constant(_image(32, 32)[None]),
      _F.groundtruth_boxes: tf.constant(_BOXES),
      _F.groundtruth_classes: tf.constant(_LABELS),
      _F.groundtruth_weights: tf.constant(_WEIGHTS),
      _F.groundtruth_instance_masks: tf.constant(masks),
      _F.groundtruth_is_crowd: tf.constant([False, True, False]),
  }
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  assert func in func_arg_map
  for seed in range(6):
    out = preprocessor.preprocess(tensor_dict, [(func, kwargs)],
                                  func_arg_map=func_arg_map,
                                  seed=tf.constant([seed, 0]))
    image = out[_F.image]
    assert image.shape[0] == 1 and image.shape[1] == image.shape[2]
    classes = out[_F.groundtruth_classes].numpy()
    # Class c came from box c - 1: weights, crowd flags, masks follow it.
    np.testing.assert_array_equal(out[_F.groundtruth_weights],
                                  _WEIGHTS[classes - 1])
    np.testing.assert_array_equal(out[_F.groundtruth_is_crowd],
                                  classes == 2)
    out_masks = out[_F.groundtruth_instance_masks].numpy()
    assert out_masks.shape == (len(classes),) + tuple(image.shape[1:3])
    for mask, label in zip(out_masks, classes):
      assert set(np.unique(np.round(mask, 4))) <= {0.0, float(label)}


def test_registered_in_preprocessor():
  assert (preprocessor.random_square_crop_by_scale is
          square_crop.random_square_crop_by_scale)
  assert (preprocessor.random_scale_crop_and_pad_to_square is
          square_crop.random_scale_crop_and_pad_to_square)
