"""Tests for object_detection/core/preprocessor_ops/pad.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import pad

_F = fields.InputDataFields


def _image(height=4, width=6):
  # Pixel value = 10 * row + column + 1 (never 0), in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width)) + 1
  return tf.constant(np.stack([values] * 3, -1), tf.float32)


# On a 4x6 image the first box is the pixels rows 0..1, columns 0..2.
_BOXES = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.25, 0.5, 1.0, 1.0]])


def _masks(height=4, width=6):
  # Mask i is 1 on box i's pixels.
  masks = np.zeros([2, height, width], np.float32)
  masks[0, :height // 2, :width // 2] = 1
  masks[1, height // 4:, width // 2:] = 1
  return tf.constant(masks)


def _find(canvas, image):
  """(row, column) of the top-left pixel of `image` inside `canvas`."""
  rows, cols = np.nonzero(canvas[..., 0] == image[0, 0, 0])
  assert rows.size == 1
  return int(rows[0]), int(cols[0])


def test_centered_pad_to_a_fixed_size():
  # min == max == 6x10 on a 4x6 image: offsets ((6 - 4) // 2, (10 - 6) // 2)
  # = (1, 2). The canvas is the image window [-1/4, -2/6, 5/4, 8/6].
  keypoints = tf.constant([[[0.25, 0.5]], [[1.0, 0.0]]])
  densepose = tf.constant([[[0.5, 0.5, 0.3, 0.7]], [[0.0, 1.0, 0.1, 0.2]]])
  image, boxes, masks, new_keypoints, new_densepose = pad.random_pad_image(
      _image(), _BOXES, _masks(), keypoints, densepose,
      min_image_size=[6, 10], max_image_size=[6, 10],
      pad_color=[7.0, 8.0, 9.0], center_pad=True)
  assert image.shape == (6, 10, 3)
  np.testing.assert_array_equal(image[1:5, 2:8], _image())
  border = np.ones([6, 10], bool)
  border[1:5, 2:8] = False
  np.testing.assert_array_equal(image.numpy()[border], [[7, 8, 9]] * 36)
  # Box 0, pixels y [0, 2) x [0, 3) -> y [1, 3) / 6, x [2, 5) / 10.
  # Box 1, pixels y [1, 4) x [3, 6) -> y [2, 5) / 6, x [5, 8) / 10.
  np.testing.assert_allclose(boxes, [[1 / 6, 0.2, 0.5, 0.5],
                                     [2 / 6, 0.5, 5 / 6, 0.8]], atol=1e-6)
  np.testing.assert_array_equal(masks[:, 1:5, 2:8], _masks())
  assert masks.shape == (2, 6, 10) and np.sum(masks) == np.sum(_masks())
  # (0.25, 0.5) is pixel (1, 3) -> (2 / 6, 5 / 10); (1, 0) -> (5/6, 2/10).
  np.testing.assert_allclose(new_keypoints, [[[2 / 6, 0.5]], [[5 / 6, 0.2]]],
                             atol=1e-6)
  # DensePose (y, x) move like keypoints, (v, u) stay.
  np.testing.assert_allclose(new_densepose, [[[3 / 6, 0.5, 0.3, 0.7]],
                                             [[1 / 6, 0.8, 0.1, 0.2]]],
                             atol=1e-6)


def test_fixed_size_random_offset_keeps_boxes_on_the_content():
  # 8x8 canvas for a 4x6 image: offsets drawn in [0, 4) x [0, 2).
  offsets = set()
  for seed in range(8):
    image, boxes, masks = pad.random_pad_image(
        _image(), _BOXES, _masks(), min_image_size=[8, 8],
        max_image_size=[8, 8], pad_color=[0.0, 0.0, 0.0],
        seed=tf.constant([seed, 3]))
    assert image.shape == (8, 8, 3)
    top, left = _find(image.numpy(), _image().numpy())
    assert 0 <= top < 4 and 0 <= left < 2
    offsets.add((top, left))
    np.testing.assert_array_equal(image[top:top + 4, left:left + 6],
                                  _image())
    np.testing.assert_array_equal(masks[:, top:top + 4, left:left + 6],
                                  _masks())
    # Box 0 covers pixels y [0, 2), x [0, 3) of the image.
    np.testing.assert_allclose(
        boxes[0], [top / 8, left / 8, (top + 2) / 8, (left + 3) / 8],
        atol=1e-6)
  assert len(offsets) > 1


def test_cached_size_and_offset_and_default_mean_colour():
  # The image's mean: rows average 1 + 10 * 1.5, columns add 2.5 -> 18.5.
  cache = preprocessor.PreprocessorCache()
  cache.update("random_pad_image", pad.SIZE_AND_OFFSET_KEY,
               tf.constant([5, 7, 1, 0]))
  image, boxes = pad.random_pad_image(_image(), _BOXES[:1],
                                      preprocess_vars_cache=cache)
  assert image.shape == (5, 7, 3)
  np.testing.assert_array_equal(image[1:, :6], _image())
  np.testing.assert_array_equal(image[0], np.full([7, 3], 18.5))
  np.testing.assert_array_equal(image[:, 6], np.full([5, 3], 18.5))
  # y [0, 2) -> [1, 3) / 5; x [0, 3) / 7.
  np.testing.assert_allclose(boxes, [[0.2, 0.0, 0.6, 3 / 7]], atol=1e-6)


def test_sizes_below_the_image_are_raised_to_it():
  image, boxes = pad.random_pad_image(_image(), _BOXES,
                                      min_image_size=[2, 2],
                                      max_image_size=[3, 3])
  np.testing.assert_array_equal(image, _image())
  np.testing.assert_allclose(boxes, _BOXES)


def test_default_sizes_are_up_to_twice_the_image():
  for seed in range(4):
    image, _ = pad.random_pad_image(_image(), _BOXES,
                                    seed=tf.constant([seed, 0]))
    height, width = image.shape[:2]
    assert 4 <= height < 8 and 6 <= width < 12


def test_cache_repeats_the_draw():
  cache = preprocessor.PreprocessorCache()
  first = pad.random_pad_image(_image(), _BOXES, preprocess_vars_cache=cache)
  second = pad.random_pad_image(_image(), _BOXES,
                                preprocess_vars_cache=cache)
  np.testing.assert_array_equal(first[0], second[0])
  np.testing.assert_array_equal(first[1], second[1])


def _padded(func, seed, **kwargs):
  image, boxes = func(_image(), _BOXES, seed=seed, **kwargs)
  return image.numpy(), boxes.numpy()


@pytest.mark.parametrize("func, kwargs", [
    (pad.random_pad_image, {}),
    (pad.random_absolute_pad_image,
     {"max_height_padding": 8, "max_width_padding": 8}),
    (pad.random_pad_to_aspect_ratio, {"max_padded_size_ratio": (4, 4)}),
])
def test_stateless_seed_is_reproducible_and_varies(func, kwargs):
  results = [_padded(func, tf.constant([s, 5]), **kwargs) for s in range(6)]
  again = [_padded(func, tf.constant([s, 5]), **kwargs) for s in range(6)]
  for (image, boxes), (image2, boxes2) in zip(results, again):
    np.testing.assert_array_equal(image, image2)
    np.testing.assert_array_equal(boxes, boxes2)
  assert len({image.shape for image, _ in results}) > 1


def test_absolute_pad_of_one_pixel_bound_is_no_padding():
  # The padding is drawn in [0, 1) = 0 rows and columns.
  image, boxes, masks = pad.random_absolute_pad_image(
      _image(), _BOXES, _masks(), max_height_padding=1, max_width_padding=1,
      seed=tf.constant([1, 2]))
  np.testing.assert_array_equal(image, _image())
  np.testing.assert_allclose(boxes, _BOXES)
  np.testing.assert_array_equal(masks, _masks())


def test_absolute_pad_ranges():
  for seed in range(6):
    image, boxes = pad.random_absolute_pad_image(
        _image(), _BOXES, max_height_padding=3, max_width_padding=5,
        pad_color=tf.zeros([3]), seed=tf.constant([seed, 1]))
    height, width = image.shape[:2]
    # 4 + [0, 3) rows, 6 + [0, 5) columns.
    assert 4 <= height < 7 and 6 <= width < 11
    top, left = _find(image.numpy(), _image().numpy())
    np.testing.assert_array_equal(image[top:top + 4, left:left + 6],
                                  _image())
    np.testing.assert_allclose(boxes[1, 2:], [(top + 4) / height,
                                              (left + 6) / width], atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_width_padding": 2},
     "random_absolute_pad_image: max_height_padding must be a number of "
     "pixels >= 0, got None"),
    ({"max_height_padding": 2, "max_width_padding": -1},
     "random_absolute_pad_image: max_width_padding must be a number of "
     "pixels >= 0, got -1"),
])
def test_absolute_pad_errors(kwargs, message):
  with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
    pad.random_absolute_pad_image(_image(), _BOXES, **kwargs)


def test_pad_to_aspect_ratio_smallest_canvas():
  # 4x6 image to ratio 1: the smallest square holding it is 6x6; ratios
  # (1, 1) allow only scale 1. The canvas is the image window
  # [0, 0, 6 / 4, 6 / 6].
  keypoints = tf.constant([[[0.25, 0.5]], [[1.0, 1.0]]])
  image, boxes, masks, new_keypoints = pad.random_pad_to_aspect_ratio(
      _image(), _BOXES, _masks(), keypoints, aspect_ratio=1.0,
      max_padded_size_ratio=(1.0, 1.0))
  assert image.shape == (6, 6, 3)
  np.testing.assert_array_equal(image[:4], _image())
  np.testing.assert_array_equal(image[4:], np.zeros([2, 6, 3]))
  # y / 1.5: box 0 [0, 0, .5 / 1.5, .5], box 1 [.25 / 1.5, .5, 1 / 1.5, 1].
  np.testing.assert_allclose(boxes, [[0, 0, 1 / 3, 0.5],
                                     [1 / 6, 0.5, 2 / 3, 1.0]], atol=1e-6)
  np.testing.assert_array_equal(masks[:, :4], _masks())
  np.testing.assert_array_equal(masks[:, 4:], np.zeros([2, 2, 6]))
  np.testing.assert_allclose(new_keypoints, [[[1 / 6, 0.5]], [[2 / 3, 1.0]]],
                             atol=1e-6)


def test_pad_to_aspect_ratio_scale_range_and_cache():
  # Ratio 2 on 4x6: base 4x8. max ratios (3, 3): max side 12 x 18, scale up
  # to min(12 / 4, 18 / 8) = 2.25; min ratios (1.5, 1): scale from
  # max(6 / 4, 6 / 8) = 1.5. Sides round(4 s) x round(8 s).
  for seed in range(4):
    image, _ = pad.random_pad_to_aspect_ratio(
        _image(), _BOXES, aspect_ratio=2.0, min_padded_size_ratio=(1.5, 1),
        max_padded_size_ratio=(3, 3), seed=tf.constant([seed, 2]))
    height, width = image.shape[:2]
    assert 6 <= height <= 9 and 12 <= width <= 18
    assert abs(width - 2 * height) <= 1
  cache = preprocessor.PreprocessorCache()
  cache.update("random_pad_to_aspect_ratio", pad.SCALE_KEY,
               tf.constant(1.25))
  # round(4 * 1.25) = 5, round(8 * 1.25) = 10.
  image, boxes = pad.random_pad_to_aspect_ratio(
      _image(), _BOXES, aspect_ratio=2.0, preprocess_vars_cache=cache)
  assert image.shape == (5, 10, 3)
  np.testing.assert_allclose(boxes[0], [0, 0, 2 / 5, 3 / 10], atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: pad.random_pad_image(tf.zeros([1, 4, 4, 3]), _BOXES),
     r"^random_pad_image: image must have rank 3 \[height, width, channels\]"
     r", got shape \(1, 4, 4, 3\)$"),
    (lambda: pad.random_pad_image(_image(), _BOXES, pad_color=[1.0, 2.0]),
     r"^random_pad_image: pad_color must have one value per image channel "
     r"\(3\), got shape \(2,\)$"),
    (lambda: pad.random_pad_to_aspect_ratio(_image(), _BOXES,
                                            aspect_ratio=0.0),
     r"^random_pad_to_aspect_ratio: aspect_ratio must be > 0, got 0.0$"),
])
def test_errors(call, message):
  with pytest.raises(ValueError, match=message):
    call()


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None, None, None]),
                                tf.TensorSpec([None, None, 2])])
  def run(image, boxes, masks, keypoints):
    seed = tf.constant([4, 4])
    return (pad.random_pad_image(image, boxes, masks, keypoints, seed=seed),
            pad.random_absolute_pad_image(image, boxes, masks, keypoints,
                                          max_height_padding=4,
                                          max_width_padding=4, seed=seed),
            pad.random_pad_to_aspect_ratio(image, boxes, masks, keypoints,
                                           seed=seed))

  for num_boxes in (0, 2):
    outputs = run(_image(), tf.zeros([num_boxes, 4]),
                  tf.zeros([num_boxes, 4, 6]),
                  tf.zeros([num_boxes, 1, 2]))
    for image, boxes, masks, keypoints in outputs:
      assert image.shape[0] >= 4 and image.shape[1] >= 6
      assert boxes.shape == (num_boxes, 4)
      assert masks.shape == (num_boxes,) + tuple(image.shape[:2])
      assert keypoints.shape == (num_boxes, 1, 2)


def test_preprocess_runs_the_pad_ops():
  tensor_dict = {
      _F.image: _image()[tf.newaxis],
      _F.groundtruth_boxes: _BOXES,
      _F.groundtruth_classes: tf.constant([1, 2]),
      _F.groundtruth_weights: tf.constant([1.0, 0.5]),
      _F.groundtruth_instance_masks: _masks(),
      _F.groundtruth_is_crowd: tf.constant([False, True]),
  }
  steps = [(preprocessor.random_pad_image,
            {"min_image_size": [6, 10], "max_image_size": [6, 10],
             "center_pad": True}),
           (preprocessor.random_absolute_pad_image,
            {"max_height_padding": 1, "max_width_padding": 1}),
           (preprocessor.random_pad_to_aspect_ratio,
            {"max_padded_size_ratio": (1.0, 1.0)})]
  out = preprocessor.preprocess(
      tensor_dict, steps,
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      seed=tf.constant([1, 2]))
  # 4x6 -> centred in 6x10 -> unchanged -> zero-padded to 10x10.
  image = out[_F.image]
  assert image.shape == (1, 10, 10, 3)
  np.testing.assert_array_equal(image[0, 1:5, 2:8], _image())
  # Box 0 is y [1, 3) x [2, 5) in every frame: /10 in the last one.
  np.testing.assert_allclose(out[_F.groundtruth_boxes][0],
                             [0.1, 0.2, 0.3, 0.5], atol=1e-6)
  np.testing.assert_array_equal(
      out[_F.groundtruth_instance_masks][:, 1:5, 2:8], _masks())
  assert out[_F.groundtruth_instance_masks].shape == (2, 10, 10)
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [1, 2])
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd], [False, True])
