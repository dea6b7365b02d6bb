"""Tests for object_detection/core/preprocessor_ops/image_resize.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core.preprocessor_ops import image_resize as preprocessor


def _ramp_image(height, width, channels=3):
  # Pixel value = column index, in every channel.
  ramp = np.tile(np.arange(width, dtype=np.float32), [height, 1])
  return tf.constant(np.stack([ramp] * channels, axis=-1))


def test_resize_to_range_golden_with_legacy_alignment():
  # 2x4 -> smaller side 2 becomes 3 (scale 1.5) -> 3x6, within max 6.
  # Legacy (no half-pixel) bilinear samples column j at x = j * 4 / 6:
  # [0, 2/3, 4/3, 2, 8/3, 10/3 -> clamped to 3].
  image, shape = preprocessor.resize_to_range(
      _ramp_image(2, 4), min_dimension=3, max_dimension=6)
  np.testing.assert_array_equal(shape, [3, 6, 3])
  np.testing.assert_allclose(image.numpy()[1, :, 0],
                             [0, 2 / 3, 4 / 3, 2, 8 / 3, 3], rtol=1e-6)


def test_resize_to_range_caps_the_larger_side():
  # 100x200, min 80 -> 80x160, too wide for 120 -> scale .6 -> 60x120.
  image, masks, shape = preprocessor.resize_to_range(
      tf.zeros([100, 200, 3]), masks=tf.zeros([2, 100, 200]),
      min_dimension=80, max_dimension=120)
  assert image.shape == (60, 120, 3) and masks.shape == (2, 60, 120)
  np.testing.assert_array_equal(shape, [60, 120, 3])


def test_resize_to_range_dynamic_shape_matches_static():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3])])
  def resize(image):
    return preprocessor.resize_to_range(image, min_dimension=80,
                                        max_dimension=120)

  image, shape = resize(tf.zeros([100, 200, 3]))
  assert image.shape == (60, 120, 3)
  np.testing.assert_array_equal(shape, [60, 120, 3])


def test_resize_to_range_pads_with_per_channel_values():
  # 2x4 -> 3x6 content padded to 6x6; masks padded with zeros.
  image, masks, shape = preprocessor.resize_to_range(
      _ramp_image(2, 4), masks=tf.ones([1, 2, 4]), min_dimension=3,
      max_dimension=6, pad_to_max_dimension=True,
      per_channel_pad_value=(1.0, 2.0, 3.0))
  assert image.shape == (6, 6, 3) and masks.shape == (1, 6, 6)
  np.testing.assert_array_equal(shape, [3, 6, 3])
  np.testing.assert_allclose(image.numpy()[3:, :, :].reshape(-1, 3),
                             [[1.0, 2.0, 3.0]] * 18)
  np.testing.assert_allclose(masks.numpy()[0, :, 0], [1, 1, 1, 0, 0, 0])


def test_nearest_neighbour_keeps_dtype():
  image, shape = preprocessor.resize_to_range(
      tf.zeros([4, 4, 3], tf.uint8), min_dimension=2, max_dimension=2,
      method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
  assert image.dtype == tf.uint8 and image.shape == (2, 2, 3)


def test_resize_image_fixed_shape():
  image, masks, shape = preprocessor.resize_image(
      tf.zeros([10, 20, 3]), masks=tf.zeros([0, 10, 20]), new_height=5,
      new_width=7)
  assert image.shape == (5, 7, 3) and masks.shape == (0, 5, 7)
  np.testing.assert_array_equal(shape, [5, 7, 3])


@pytest.mark.parametrize("fn, size, expected", [
    # 10x20 with min 15 -> ratio 1.5 -> 15x30; 30x40 already large enough.
    (preprocessor.resize_to_min_dimension, (10, 20), [15, 30, 3]),
    (preprocessor.resize_to_min_dimension, (30, 40), [30, 40, 3]),
    # 10x20 with max 15 -> ratio .75 -> 7.5 truncated to 7, 15.
    (preprocessor.resize_to_max_dimension, (10, 20), [7, 15, 3]),
    (preprocessor.resize_to_max_dimension, (10, 12), [10, 12, 3]),
])
def test_resize_to_min_and_max_dimension(fn, size, expected):
  kwarg = ("min_dimension" if fn is preprocessor.resize_to_min_dimension
           else "max_dimension")
  image, shape = fn(tf.zeros(list(size) + [3]), **{kwarg: 15})
  np.testing.assert_array_equal(shape, expected)
  assert image.shape == tuple(expected)


def test_resize_pad_to_multiple():
  image, masks, shape = preprocessor.resize_pad_to_multiple(
      tf.ones([5, 7, 3]), masks=tf.ones([1, 5, 7]), multiple=4)
  assert image.shape == (8, 8, 3) and masks.shape == (1, 8, 8)
  np.testing.assert_array_equal(shape, [5, 7, 3])
  assert float(tf.reduce_sum(image)) == 5 * 7 * 3


@pytest.mark.parametrize("call, message", [
    (lambda: preprocessor.resize_to_range(tf.zeros([1, 4, 4, 3]),
                                          min_dimension=2),
     r"resize_to_range: image must have rank 3"),
    (lambda: preprocessor.resize_to_range(
        tf.zeros([4, 4, 3]), min_dimension=2, max_dimension=4,
        pad_to_max_dimension=True, per_channel_pad_value=(0.0,)),
     "per_channel_pad_value has 1 values but the image has 3 channels"),
    (lambda: preprocessor.resize_to_range(
        tf.zeros([4, 4, 3]), min_dimension=2, pad_to_max_dimension=True),
     "pad_to_max_dimension needs max_dimension > 0"),
])
def test_errors(call, message):
  with pytest.raises(ValueError, match=message):
    call()



_RAW_RESIZE_OPS = {
    tf.image.ResizeMethod.BILINEAR: tf.raw_ops.ResizeBilinear,
    tf.image.ResizeMethod.NEAREST_NEIGHBOR: tf.raw_ops.ResizeNearestNeighbor,
    tf.image.ResizeMethod.BICUBIC: tf.raw_ops.ResizeBicubic,
}


@pytest.mark.parametrize("method", sorted(_RAW_RESIZE_OPS))
@pytest.mark.parametrize("align_corners", [False, True])
def test_same_size_resize_equals_the_resize_op(method, align_corners):
  # An image already at the requested size skips the op; values, dtype and
  # static shape must be what the op gives.
  image = tf.constant(np.random.default_rng(0).integers(
      0, 256, size=(6, 5, 3)), tf.uint8)
  masks = tf.constant(np.random.default_rng(1).integers(
      0, 2, size=(2, 6, 5)), tf.float32)
  expected = _RAW_RESIZE_OPS[method](
      images=image[tf.newaxis], size=[6, 5], align_corners=align_corners,
      half_pixel_centers=False)[0]
  expected_masks = tf.raw_ops.ResizeNearestNeighbor(
      images=masks[..., tf.newaxis], size=[6, 5],
      align_corners=align_corners, half_pixel_centers=False)[..., 0]

  def resize(image, masks):
    return preprocessor.resize_image(image, masks, new_height=6, new_width=5,
                                     method=method,
                                     align_corners=align_corners)[:2]

  dynamic = tf.function(resize, input_signature=[
      tf.TensorSpec([None, None, 3], tf.uint8),
      tf.TensorSpec([None, None, None], tf.float32)])
  traced = dynamic.get_concrete_function().structured_outputs
  assert [t.shape.as_list() for t in traced] == [[6, 5, 3], [None, 6, 5]]
  for result, result_masks in (resize(image, masks), dynamic(image, masks)):
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result.numpy(), expected.numpy())
    np.testing.assert_array_equal(result_masks.numpy(),
                                  expected_masks.numpy())
  # With static sizes equal to the target, no resize op is in the graph.
  static = tf.function(resize).get_concrete_function(
      tf.TensorSpec([6, 5, 3], tf.uint8), tf.TensorSpec([2, 6, 5]))
  assert not [op.type for op in static.graph.get_operations()
              if op.type.startswith("Resize")]
  # Another size still resizes, through the same traced function.
  other, other_masks = dynamic(tf.fill([3, 4, 3], tf.constant(7, tf.uint8)),
                               tf.ones([1, 3, 4]))
  assert other.shape == (6, 5, 3) and other_masks.shape == (1, 6, 5)
  np.testing.assert_allclose(other.numpy(), 7.0)
