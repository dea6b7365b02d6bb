"""Tests for object_detection/core/preprocessor_ops/scale.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import image_resize
from object_detection.core.preprocessor_ops import random_ops
from object_detection.core.preprocessor_ops import scale

_F = fields.InputDataFields


def _image(height, width):
  # Pixel value = 10 * row + column, in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width))
  return np.stack([values] * 3, -1).astype(np.float32)


def _masks(height, width):
  # Two masks: mask 0 is the image's values, mask 1 their negatives.
  values = _image(height, width)[..., 0]
  return np.stack([values, -values]).astype(np.float32)


def test_random_image_scale_halves_with_aligned_corners():
  # 8x8 at factor 0.5: int(8 * 0.5) = 4. align_corners maps output i to
  # input i * 7 / 3; the image is linear so bilinear gives
  # 10 * 7i/3 + 7j/3. Nearest rounds 7i/3 = 0, 2.33, 4.67, 7 to 0, 2, 5, 7.
  image, masks = scale.random_image_scale(
      tf.constant(_image(8, 8)), tf.constant(_masks(8, 8)),
      min_scale_ratio=0.5, max_scale_ratio=0.5)
  grid = np.arange(4) * 7 / 3
  np.testing.assert_allclose(image[..., 1], np.add.outer(10 * grid, grid),
                             rtol=1e-5, atol=1e-4)
  picked = [0, 2, 5, 7]
  np.testing.assert_array_equal(masks, _masks(8, 8)[:, picked][:, :, picked])
  assert image.dtype == tf.float32 and masks.dtype == tf.float32


def test_random_image_scale_draws_the_factor_from_the_range():
  # A 10x20 image scaled by f in [0.5, 1.5): sides int(10 f), int(20 f).
  sizes = set()
  for seed in range(6):
    image, = scale.random_image_scale(tf.zeros([10, 20, 3]),
                                      seed=tf.constant([seed, 1]))
    height, width = image.shape[:2]
    assert 5 <= height < 15 and 10 <= width < 30
    assert abs(width / 20 - height / 10) <= 0.1 + 1e-6
    sizes.add((height, width))
  assert len(sizes) > 1


def test_random_image_scale_without_boxes():
  image, masks = scale.random_image_scale(
      tf.zeros([8, 8, 3]), tf.zeros([0, 8, 8]), min_scale_ratio=2.0,
      max_scale_ratio=2.0)
  assert image.shape == (16, 16, 3) and masks.shape == (0, 16, 16)


def test_downscale_to_target_pixels_halves_each_side():
  # 16 * 16 = 256 pixels, target 64: factor sqrt(64 / 256) = 0.5, 8x8.
  # TF1 bilinear (no aligned corners) halving samples input (2i, 2j).
  image, masks = scale.random_downscale_to_target_pixels(
      tf.constant(_image(16, 16)), tf.constant(_masks(16, 16)),
      min_target_pixels=64, max_target_pixels=64)
  np.testing.assert_allclose(image, _image(16, 16)[::2, ::2])
  np.testing.assert_array_equal(masks, _masks(16, 16)[:, ::2, ::2])


def test_downscale_to_target_pixels_non_square():
  # 12 x 27 = 324 pixels, target 36: factor sqrt(36 / 324) = 1/3 -> 4x9.
  image, = scale.random_downscale_to_target_pixels(
      tf.zeros([12, 27, 3]), min_target_pixels=36, max_target_pixels=36)
  assert image.shape == (4, 9, 3)


@pytest.mark.parametrize("kwargs", [
    {"min_target_pixels": 300, "max_target_pixels": 400},  # 256 <= target
    {"min_target_pixels": 256, "max_target_pixels": 256},  # not above
    {"min_target_pixels": 64, "max_target_pixels": 64, "random_coef": 1.0},
])
def test_downscale_to_target_pixels_leaves_the_image(kwargs):
  image, masks = scale.random_downscale_to_target_pixels(
      tf.constant(_image(16, 16)), tf.constant(_masks(16, 16)), **kwargs)
  np.testing.assert_array_equal(image, _image(16, 16))
  np.testing.assert_array_equal(masks, _masks(16, 16))


def test_downscale_to_target_pixels_uint8_image_comes_back_float():
  image, = scale.random_downscale_to_target_pixels(
      tf.ones([4, 4, 3], tf.uint8), min_target_pixels=100,
      max_target_pixels=200)
  assert image.dtype == tf.float32
  np.testing.assert_array_equal(image, np.ones([4, 4, 3]))


def test_downscale_to_target_pixels_targets_the_range():
  # 32 x 32 = 1024 pixels, target in [100, 400): sides int(32 sqrt(t/1024))
  # = int(sqrt(t)), in [10, 20).
  sides = set()
  for seed in range(6):
    image, masks = scale.random_downscale_to_target_pixels(
        tf.zeros([32, 32, 3]), tf.zeros([0, 32, 32]), min_target_pixels=100,
        max_target_pixels=400, seed=tf.constant([seed, 2]))
    assert 10 <= image.shape[0] < 20 and image.shape[0] == image.shape[1]
    assert masks.shape == (0,) + tuple(image.shape[:2])
    sides.add(image.shape[0])
  assert len(sides) > 1


def test_downscale_to_target_pixels_errors():
  with pytest.raises(ValueError, match="^random_downscale_to_target_pixels: "
                     "min_target_pixels must be > 0, got 0$"):
    scale.random_downscale_to_target_pixels(tf.zeros([4, 4, 3]),
                                            min_target_pixels=0)
  with pytest.raises(ValueError, match="^random_downscale_to_target_pixels: "
                     "max_target_pixels must be > 0, got -5$"):
    scale.random_downscale_to_target_pixels(tf.zeros([4, 4, 3]),
                                            max_target_pixels=-5)


# A 2x4 image whose rows are [0, 1, 4, 9]; resized to 2x3 each method
# samples x = 4j/3 = 0, 1.33, 2.67 (TF1 alignment):
#   nearest floor(x) = 0, 1, 2 -> [0, 1, 4];
#   bilinear [0, 1 + (4 - 1) / 3, 4 + 2 (9 - 4) / 3] = [0, 2, 7.333];
#   area averages spans of 4/3 pixels: [(0 + 1/3) 3/4, (2/3 + 4 2/3) 3/4,
#   (4/3 + 9) 3/4] = [0.25, 2.5, 7.75].
_QUADRATIC = np.stack([np.tile([[0.0, 1.0, 4.0, 9.0]], [2, 1])] * 3,
                      -1).astype(np.float32)
_BY_METHOD = {0: [0, 2, 22 / 3], 1: [0, 1, 4], 3: [0.25, 2.5, 7.75]}


def _resize_with_method(index):
  cache = random_ops.PreprocessorCache()
  cache.update("random_resize_method", "method", tf.constant(index))
  return scale.random_resize_method(tf.constant(_QUADRATIC), (2, 3),
                                    preprocess_vars_cache=cache).numpy()


def test_random_resize_method_methods():
  results = {index: _resize_with_method(index) for index in range(4)}
  for index, row in _BY_METHOD.items():
    np.testing.assert_allclose(results[index],
                               np.tile(np.array(row)[None, :, None],
                                       [2, 1, 3]), rtol=1e-5, atol=1e-5)
  assert all(not np.allclose(results[2], results[index])
             for index in (0, 1, 3))
  # Index 2 is bicubic.
  # pylint: disable=protected-access
  expected = image_resize._resize_4d(tf.constant(_QUADRATIC)[None], [2, 3],
                                     tf.image.ResizeMethod.BICUBIC, False)[0]
  np.testing.assert_allclose(results[2], expected)


def test_random_resize_method_picks_several_methods():
  picked = set()
  for seed in range(10):
    out = scale.random_resize_method(tf.constant(_QUADRATIC), [2, 3],
                                     seed=tf.constant([seed, 5]))
    assert out.shape == (2, 3, 3) and out.dtype == tf.float32
    picked.add(tuple(np.round(out.numpy()[0, :, 0], 3)))
  assert len(picked) >= 3


def test_random_resize_method_errors():
  with pytest.raises(ValueError, match=r"^random_resize_method: target_size "
                     r"must be \(height, width\), got \[2, 3, 4\]$"):
    scale.random_resize_method(tf.zeros([4, 4, 3]), [2, 3, 4])


def test_scale_boxes_to_pixel_coordinates():
  # 4 rows x 8 columns: y * 4, x * 8.
  image = tf.zeros([4, 8, 3])
  out_image, boxes, keypoints = scale.scale_boxes_to_pixel_coordinates(
      image, tf.constant([[0.25, 0.5, 0.75, 1.0]]),
      keypoints=tf.constant([[[0.5, 0.25], [1.0, 0.0]]]))
  assert out_image is image
  np.testing.assert_allclose(boxes, [[1, 4, 3, 8]])
  np.testing.assert_allclose(keypoints, [[[2, 2], [4, 0]]])
  _, empty = scale.scale_boxes_to_pixel_coordinates(image, tf.zeros([0, 4]))
  assert empty.shape == (0, 4)


def test_image_rank_is_checked():
  with pytest.raises(ValueError, match=r"^random_image_scale: image must have "
                     r"rank 3 \[height, width, channels\], got shape "
                     r"\(1, 4, 4, 3\)$"):
    scale.random_image_scale(tf.zeros([1, 4, 4, 3]))


_RANDOM_OPS = [
    (scale.random_image_scale, {"min_scale_ratio": 0.5,
                                "max_scale_ratio": 2.0}),
    (scale.random_downscale_to_target_pixels,
     {"min_target_pixels": 64, "max_target_pixels": 900}),
]
_IDS = ["image_scale", "downscale"]


def _same(first, second):
  return all(a.shape == b.shape and np.array_equal(a, b)
             for a, b in zip(first, second))


@pytest.mark.parametrize("func, kwargs", _RANDOM_OPS, ids=_IDS)
def test_stateless_seed_determinism_and_cache(func, kwargs):
  image, masks = tf.constant(_image(32, 32)), tf.constant(_masks(32, 32))
  first = func(image, masks, seed=tf.constant([4, 4]), **kwargs)
  assert _same(first, func(image, masks, seed=tf.constant([4, 4]), **kwargs))
  others = [func(image, masks, seed=tf.constant([s, 8]), **kwargs)
            for s in range(4)]
  assert not all(_same(first, other) for other in others)
  cache = random_ops.PreprocessorCache()
  cached = func(image, masks, preprocess_vars_cache=cache, **kwargs)
  assert _same(cached, func(image, masks, preprocess_vars_cache=cache,
                            **kwargs))


@pytest.mark.parametrize("func, kwargs", _RANDOM_OPS, ids=_IDS)
def test_tf_function_with_unknown_shapes(func, kwargs):
  @tf.function(input_signature=[
      tf.TensorSpec([None, None, 3], tf.float32),
      tf.TensorSpec([None, None, None], tf.float32),
      tf.TensorSpec([2], tf.int64)])
  def run(image, masks, seed):
    return func(image, masks, seed=seed, **kwargs)

  for num in (2, 0):
    image, masks = run(tf.constant(_image(32, 32)), _masks(32, 32)[:num],
                       tf.constant([1, 2], tf.int64))
    assert masks.shape == (num,) + tuple(image.shape[:2])


def test_tf_function_resize_method_and_pixel_coordinates():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.float32),
                                tf.TensorSpec([None, 4], tf.float32),
                                tf.TensorSpec([2], tf.int64)])
  def run(image, boxes, seed):
    resized = scale.random_resize_method(image, (6, 5), seed=seed)
    return resized, scale.scale_boxes_to_pixel_coordinates(resized, boxes)[1]

  resized, boxes = run(tf.zeros([9, 7, 3]), tf.constant([[0.5, 0.2, 1, 1]]),
                       tf.constant([0, 1], tf.int64))
  assert resized.shape == (6, 5, 3)
  np.testing.assert_allclose(boxes, [[3, 1, 6, 5]])


def _tensor_dict():
  return {
      _F.image: tf.constant(_image(16, 16)[None]),
      _F.groundtruth_boxes: tf.constant([[0.25, 0.25, 0.5, 0.75],
                                         [0.0, 0.5, 1.0, 1.0]]),
      _F.groundtruth_classes: tf.constant([1, 2]),
      _F.groundtruth_weights: tf.constant([1.0, 0.5]),
      _F.groundtruth_instance_masks: tf.constant(_masks(16, 16)),
  }


@pytest.mark.parametrize("func, kwargs, size", [
    (scale.random_image_scale,
     {"min_scale_ratio": 0.5, "max_scale_ratio": 0.5}, (8, 8)),
    (scale.random_downscale_to_target_pixels,
     {"min_target_pixels": 64, "max_target_pixels": 64}, (8, 8)),
    (preprocessor.resize_image, {"new_height": 4, "new_width": 6}, (4, 6)),
], ids=["image_scale", "downscale", "resize_image"])
def test_preprocess_resizes_image_and_masks(func, kwargs, size):
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  assert func in func_arg_map
  tensor_dict = _tensor_dict()
  out = preprocessor.preprocess(tensor_dict, [(func, kwargs)],
                                func_arg_map=func_arg_map)
  assert out[_F.image].shape == (1,) + size + (3,)
  assert out[_F.groundtruth_instance_masks].shape == (2,) + size
  # Mask 1 is the negative of mask 0 everywhere: both resized alike.
  np.testing.assert_array_equal(out[_F.groundtruth_instance_masks][1],
                                -out[_F.groundtruth_instance_masks][0])
  np.testing.assert_array_equal(out[_F.groundtruth_boxes],
                                tensor_dict[_F.groundtruth_boxes])


def test_preprocess_resize_method_and_pixel_coordinates():
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  out = preprocessor.preprocess(
      _tensor_dict(),
      [(preprocessor.random_resize_method, {"target_size": (8, 4)}),
       (preprocessor.scale_boxes_to_pixel_coordinates, {})],
      func_arg_map=func_arg_map)
  assert out[_F.image].shape == (1, 8, 4, 3)
  # [0.25, 0.25, 0.5, 0.75] * [8, 4, 8, 4]; masks are not resized.
  np.testing.assert_allclose(out[_F.groundtruth_boxes],
                             [[2, 1, 4, 3], [0, 2, 8, 4]])
  assert out[_F.groundtruth_instance_masks].shape == (2, 16, 16)


def test_preprocess_with_seed_and_masks():
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  steps = [(preprocessor.random_image_scale, {}),
           (preprocessor.random_downscale_to_target_pixels,
            {"min_target_pixels": 64, "max_target_pixels": 200})]
  first = preprocessor.preprocess(_tensor_dict(), steps,
                                  func_arg_map=func_arg_map,
                                  seed=tf.constant([7, 7]))
  again = preprocessor.preprocess(_tensor_dict(), steps,
                                  func_arg_map=func_arg_map,
                                  seed=tf.constant([7, 7]))
  for key in (_F.image, _F.groundtruth_instance_masks):
    np.testing.assert_array_equal(first[key], again[key])
  height, width = first[_F.image].shape[1:3]
  assert height * width <= 200
  assert first[_F.groundtruth_instance_masks].shape == (2, height, width)


def test_registered_in_preprocessor():
  for name in ("random_image_scale", "random_downscale_to_target_pixels",
               "random_resize_method", "scale_boxes_to_pixel_coordinates"):
    assert getattr(preprocessor, name) is getattr(scale, name)
