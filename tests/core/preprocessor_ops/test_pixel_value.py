"""Tests for object_detection/core/preprocessor_ops/pixel_value.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import pixel_value
from object_detection.core.preprocessor_ops import random_ops

_f = fields.InputDataFields
SEED = tf.constant([3, 7], tf.int64)
OTHER_SEED = tf.constant([4, 9], tf.int64)


def _image(height=8, width=8):
  rng = np.random.RandomState(0)
  return tf.constant(rng.uniform(0, 255, [height, width, 3]).astype(
      np.float32))


def test_normalize_image_exact():
  # [0, 255] -> [-1, 1]: (v - 0) * 2 / 255 - 1: 0 -> -1, 127.5 -> 0,
  # 255 -> 1, 510 -> 3 (no clipping).
  image = tf.constant([[[0.0, 127.5, 255.0]], [[510.0, 51.0, 204.0]]])
  out = pixel_value.normalize_image(image, 0, 255, -1, 1)
  np.testing.assert_allclose(out.numpy().ravel(),
                             [-1.0, 0.0, 1.0, 3.0, -0.6, 0.6], atol=1e-6)


def test_normalize_image_casts_uint8():
  out = pixel_value.normalize_image(tf.constant([[[10, 20, 30]]], tf.uint8),
                                    0, 100, 0, 1)
  assert out.dtype == tf.float32
  np.testing.assert_allclose(out.numpy().ravel(), [0.1, 0.2, 0.3], rtol=1e-6)


def test_normalize_image_rejects_empty_range():
  with pytest.raises(ValueError, match="original_minval and original_maxval "
                                       "must differ, both are 3"):
    pixel_value.normalize_image(tf.zeros([1, 1, 3]), 3, 3, 0, 1)


def test_subtract_channel_mean_exact():
  image = tf.constant([[[10.0, 20.0, 30.0], [1.0, 2.0, 3.0]]])
  out = pixel_value.subtract_channel_mean(image, means=(1.0, 2.0, 3.0))
  np.testing.assert_allclose(out.numpy(),
                             [[[9.0, 18.0, 27.0], [0.0, 0.0, 0.0]]])


@pytest.mark.parametrize("image, means, message", [
    (tf.zeros([2, 2, 3]), (1.0, 2.0),
     "means must have one value per channel: got 2 values for an image "
     "with 3 channels"),
    (tf.zeros([1, 2, 2, 3]), (1.0, 2.0, 3.0),
     r"image must be \[height, width, channels\], got shape \(1, 2, 2, 3\)"),
])
def test_subtract_channel_mean_errors(image, means, message):
  with pytest.raises(ValueError, match=message):
    pixel_value.subtract_channel_mean(image, means)


def test_pixel_value_scale_range_and_clip():
  image = tf.fill([4, 4, 3], 100.0)
  out = pixel_value.random_pixel_value_scale(image, 0.9, 1.1, seed=SEED)
  assert out.numpy().min() >= 90.0 and out.numpy().max() <= 110.0
  # Factors are drawn per value, not shared.
  assert len(np.unique(out.numpy())) > 1
  # 250 * up to 1.1 would exceed 255: clipped.
  high = pixel_value.random_pixel_value_scale(tf.fill([4, 4, 3], 250.0),
                                              1.05, 1.1, seed=SEED)
  np.testing.assert_array_equal(high.numpy(), 255.0)


def test_pixel_value_scale_seeds_and_cache():
  image = _image()
  first = pixel_value.random_pixel_value_scale(image, seed=SEED)
  again = pixel_value.random_pixel_value_scale(image, seed=SEED)
  other = pixel_value.random_pixel_value_scale(image, seed=OTHER_SEED)
  np.testing.assert_array_equal(first.numpy(), again.numpy())
  assert not np.allclose(first.numpy(), other.numpy())
  cache = random_ops.PreprocessorCache()
  a = pixel_value.random_pixel_value_scale(image, preprocess_vars_cache=cache)
  b = pixel_value.random_pixel_value_scale(image, preprocess_vars_cache=cache)
  np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_jpeg_quality_matches_tf_and_random_coef_one_keeps_image():
  image = _image()
  cache = random_ops.PreprocessorCache()
  cache.update("random_jpeg_quality", "do_encoding", tf.constant(0.5))
  cache.update("random_jpeg_quality", "quality", tf.constant(20))
  out = pixel_value.random_jpeg_quality(image, 10, 30, random_coef=0.0,
                                        preprocess_vars_cache=cache)
  # The uint8 cast truncates, as the TF OD API does.
  expected = tf.image.adjust_jpeg_quality(tf.cast(image, tf.uint8), 20)
  np.testing.assert_array_equal(out.numpy(), expected.numpy())
  assert not np.array_equal(out.numpy(), np.floor(image.numpy()))
  kept = pixel_value.random_jpeg_quality(image, 10, 30, random_coef=1.0,
                                         seed=SEED)
  np.testing.assert_array_equal(kept.numpy(), image.numpy())


def test_jpeg_quality_seeded():
  image = _image()
  first = pixel_value.random_jpeg_quality(image, 5, 95, seed=SEED)
  again = pixel_value.random_jpeg_quality(image, 5, 95, seed=SEED)
  np.testing.assert_array_equal(first.numpy(), again.numpy())
  outs = {pixel_value.random_jpeg_quality(
      image, 1, 100, seed=tf.constant([s, 0], tf.int64)).numpy().tobytes()
          for s in range(4)}
  assert len(outs) > 1


def test_jpeg_quality_rejects_bad_range():
  with pytest.raises(ValueError, match="min_jpeg_quality=50 "
                                       "max_jpeg_quality=50"):
    pixel_value.random_jpeg_quality(_image(), 50, 50)


def test_dynamic_shapes_in_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([2], tf.int64)])
  def run(image, seed):
    image = pixel_value.random_pixel_value_scale(image, seed=seed)
    image = pixel_value.random_jpeg_quality(image, 50, 90, seed=seed)
    image = pixel_value.subtract_channel_mean(image, (1.0, 2.0, 3.0))
    return pixel_value.normalize_image(image, 0, 255, 0, 1)

  assert run(_image(5, 7), SEED).shape == (5, 7, 3)


def test_preprocess_keeps_boxes_and_masks():
  boxes = tf.constant([[0.1, 0.2, 0.5, 0.6]])
  masks = tf.ones([1, 8, 8])
  tensor_dict = {
      _f.image: _image()[tf.newaxis],
      _f.groundtruth_boxes: boxes,
      _f.groundtruth_classes: tf.constant([1]),
      _f.groundtruth_instance_masks: masks,
  }
  arg_map = preprocessor.get_default_func_arg_map(include_instance_masks=True)
  options = [(pixel_value.random_pixel_value_scale, {}),
             (pixel_value.random_jpeg_quality,
              {"min_jpeg_quality": 40, "max_jpeg_quality": 60})]
  out = preprocessor.preprocess(tensor_dict, options, func_arg_map=arg_map,
                                seed=SEED)
  assert out[_f.image].shape == (1, 8, 8, 3)
  np.testing.assert_array_equal(out[_f.groundtruth_boxes].numpy(),
                                boxes.numpy())
  np.testing.assert_array_equal(out[_f.groundtruth_instance_masks].numpy(),
                                masks.numpy())
  det = preprocessor.preprocess(
      tensor_dict,
      [(pixel_value.subtract_channel_mean, {"means": (1.0, 1.0, 1.0)}),
       (pixel_value.normalize_image,
        {"original_minval": -1.0, "original_maxval": 254.0,
         "target_minval": 0.0, "target_maxval": 1.0})],
      func_arg_map=arg_map)
  # (v - 1) then (v' + 1) / 255 = v / 255.
  np.testing.assert_allclose(det[_f.image].numpy(),
                             tensor_dict[_f.image].numpy() / 255.0,
                             rtol=1e-5, atol=1e-6)


def test_zero_boxes_through_preprocess():
  tensor_dict = {
      _f.image: _image()[tf.newaxis],
      _f.groundtruth_boxes: tf.zeros([0, 4]),
      _f.groundtruth_classes: tf.zeros([0], tf.int32),
  }
  out = preprocessor.preprocess(
      tensor_dict, [(pixel_value.random_pixel_value_scale, {})], seed=SEED)
  assert out[_f.groundtruth_boxes].shape == (0, 4)
