"""Tests for object_detection/core/preprocessor_ops/color.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import color
from object_detection.core.preprocessor_ops import random_ops

_f = fields.InputDataFields
SEED = tf.constant([3, 7], tf.int64)
OTHER_SEED = tf.constant([4, 9], tf.int64)


def _image(height=4, width=5, channels=3):
  # Distinct values spread over [0, 255].
  size = height * width * channels
  values = np.linspace(0.0, 255.0, size, dtype=np.float32)
  return tf.constant(values.reshape(height, width, channels))


def _cache_with(function_id, key, value):
  cache = random_ops.PreprocessorCache()
  cache.update(function_id, key, tf.constant(value, tf.float32))
  return cache


def test_rgb_to_gray_weights():
  # 0.2989 * 10 + 0.5870 * 20 + 0.1140 * 30 = 2.989 + 11.74 + 3.42 = 18.149
  image = tf.constant([[[10.0, 20.0, 30.0], [255.0, 255.0, 255.0]]])
  gray = color.rgb_to_gray(image)
  assert gray.shape == (1, 2, 1)
  # 255 * (0.2989 + 0.5870 + 0.1140) = 255 * 0.9999 = 254.9745
  np.testing.assert_allclose(gray.numpy()[0, :, 0], [18.149, 254.9745],
                             rtol=1e-6)


def test_random_rgb_to_gray_always_and_never():
  image = tf.constant([[[10.0, 20.0, 30.0, 99.0]]])  # RGB + one extra.
  gray = color.random_rgb_to_gray(image, probability=1.0, seed=SEED)
  np.testing.assert_allclose(gray.numpy()[0, 0], [18.149] * 3 + [99.0],
                             rtol=1e-6)
  same = color.random_rgb_to_gray(image, probability=0.0, seed=SEED)
  np.testing.assert_array_equal(same.numpy(), image.numpy())


def test_adjust_gamma_exact():
  # 255 * 1.5 * (51 / 255) ** 2 = 255 * 1.5 * 0.04 = 15.3; 255 -> 382.5,
  # clipped to 255. The fourth channel is not an RGB channel: unchanged.
  image = tf.constant([[[51.0, 255.0, 0.0, 7.0]]])
  out = color.adjust_gamma(image, gamma=2.0, gain=1.5)
  np.testing.assert_allclose(out.numpy()[0, 0], [15.3, 255.0, 0.0, 7.0],
                             rtol=1e-5)


def test_brightness_with_cached_delta_is_exact():
  # delta 0.1 in the [0, 1] range = +25.5; 240 + 25.5 clips to 255.
  cache = _cache_with("random_adjust_brightness", "delta", 0.1)
  image = tf.constant([[[0.0, 100.0, 240.0]]])
  out = color.random_adjust_brightness(image, max_delta=0.2,
                                       preprocess_vars_cache=cache)
  np.testing.assert_allclose(out.numpy()[0, 0], [25.5, 125.5, 255.0],
                             rtol=1e-5)


def test_contrast_with_cached_factor_is_exact():
  # Per-channel mean of [0, 100] is 50; factor 2: 50 + 2 * (v - 50)
  # -> [-50, 150], clipped to [0, 150].
  cache = _cache_with("random_adjust_contrast", "contrast_factor", 2.0)
  image = tf.constant([[[0.0] * 3, [100.0] * 3]])
  out = color.random_adjust_contrast(image, preprocess_vars_cache=cache)
  np.testing.assert_allclose(out.numpy()[0, :, 0], [0.0, 150.0], atol=1e-4)


def test_saturation_factor_zero_gives_gray_value():
  # HSV saturation 0 leaves value = max channel on every channel.
  cache = _cache_with("random_adjust_saturation", "saturation_factor", 0.0)
  image = tf.constant([[[51.0, 102.0, 204.0]]])
  out = color.random_adjust_saturation(image, preprocess_vars_cache=cache)
  np.testing.assert_allclose(out.numpy()[0, 0], [204.0] * 3, rtol=1e-5)


def test_hue_half_turn_swaps_to_complement():
  # Pure red rotated by half the colour wheel is cyan.
  cache = _cache_with("random_adjust_hue", "delta", 0.5)
  image = tf.constant([[[255.0, 0.0, 0.0]]])
  out = color.random_adjust_hue(image, max_delta=0.5,
                                preprocess_vars_cache=cache)
  np.testing.assert_allclose(out.numpy()[0, 0], [0.0, 255.0, 255.0],
                             atol=1e-3)


@pytest.mark.parametrize("op, kwargs", [
    (color.random_adjust_brightness, {"max_delta": 0.2}),
    (color.random_adjust_contrast, {"min_delta": 0.5, "max_delta": 1.5}),
    (color.random_adjust_hue, {"max_delta": 0.2}),
    (color.random_adjust_saturation, {"min_delta": 0.5, "max_delta": 1.5}),
    (color.random_distort_color, {"color_ordering": 0}),
    (color.random_distort_color, {"color_ordering": 1}),
])
def test_random_ops_seeded_in_range_and_shape_kept(op, kwargs):
  image = _image()
  first = op(image, seed=SEED, **kwargs).numpy()
  again = op(image, seed=SEED, **kwargs).numpy()
  other = op(image, seed=OTHER_SEED, **kwargs).numpy()
  assert first.shape == (4, 5, 3)
  assert first.min() >= 0.0 and first.max() <= 255.0
  np.testing.assert_array_equal(first, again)
  assert not np.allclose(first, other)


def test_brightness_delta_range():
  # A mid-grey image moves by at most max_delta * 255 = 51.
  image = tf.fill([2, 2, 3], 128.0)
  for seed in range(5):
    out = color.random_adjust_brightness(
        image, max_delta=0.2, seed=tf.constant([seed, 1], tf.int64))
    shift = out.numpy() - 128.0
    assert np.all(np.abs(shift) <= 51.0 + 1e-4)
    np.testing.assert_allclose(shift, shift.flat[0], atol=1e-4)


def test_cache_repeats_the_draw():
  cache = random_ops.PreprocessorCache()
  image = _image()
  first = color.random_adjust_hue(image, 0.2, preprocess_vars_cache=cache)
  second = color.random_adjust_hue(image, 0.2, preprocess_vars_cache=cache)
  np.testing.assert_array_equal(first.numpy(), second.numpy())


def test_distort_color_rejects_bad_ordering():
  with pytest.raises(ValueError,
                     match="random_distort_color.color_ordering must be 0 "
                           "or 1, got 2"):
    color.random_distort_color(_image(), color_ordering=2)


def test_dynamic_shapes_in_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, None, None]),
                                tf.TensorSpec([2], tf.int64)])
  def run(image, seed):
    image = color.random_distort_color(image, 1, seed=seed)
    image = color.random_rgb_to_gray(image, 0.5, seed=seed)
    return color.adjust_gamma(image, 0.5), color.rgb_to_gray(image)

  image, gray = run(_image(3, 2), SEED)
  assert image.shape == (3, 2, 3) and gray.shape == (3, 2, 1)


def test_preprocess_keeps_boxes_and_masks():
  boxes = tf.constant([[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0]])
  masks = tf.ones([2, 4, 5])
  tensor_dict = {
      _f.image: _image()[tf.newaxis],
      _f.groundtruth_boxes: boxes,
      _f.groundtruth_classes: tf.constant([1, 2]),
      _f.groundtruth_instance_masks: masks,
  }
  options = [
      (color.random_adjust_brightness, {"max_delta": 0.2}),
      (color.random_adjust_contrast, {}),
      (color.random_adjust_hue, {}),
      (color.random_adjust_saturation, {}),
      (color.random_distort_color, {"color_ordering": 1}),
      (color.random_rgb_to_gray, {"probability": 0.5}),
  ]
  arg_map = preprocessor.get_default_func_arg_map(include_instance_masks=True)
  out = preprocessor.preprocess(tensor_dict, options, func_arg_map=arg_map,
                                seed=SEED)
  again = preprocessor.preprocess(tensor_dict, options, func_arg_map=arg_map,
                                  seed=SEED)
  assert out[_f.image].shape == (1, 4, 5, 3)
  np.testing.assert_array_equal(out[_f.image].numpy(),
                                again[_f.image].numpy())
  np.testing.assert_array_equal(out[_f.groundtruth_boxes].numpy(),
                                boxes.numpy())
  np.testing.assert_array_equal(out[_f.groundtruth_instance_masks].numpy(),
                                masks.numpy())

  # The deterministic ops, unseeded.
  det = preprocessor.preprocess(
      tensor_dict, [(color.adjust_gamma, {"gamma": 1.0}),
                    (color.rgb_to_gray, {})], func_arg_map=arg_map)
  assert det[_f.image].shape == (1, 4, 5, 1)


def test_zero_boxes_through_preprocess():
  tensor_dict = {
      _f.image: _image()[tf.newaxis],
      _f.groundtruth_boxes: tf.zeros([0, 4]),
      _f.groundtruth_classes: tf.zeros([0], tf.int32),
  }
  out = preprocessor.preprocess(
      tensor_dict, [(color.random_distort_color, {})], seed=SEED)
  assert out[_f.groundtruth_boxes].shape == (0, 4)
