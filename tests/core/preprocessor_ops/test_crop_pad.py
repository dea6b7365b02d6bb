"""Tests for object_detection/core/preprocessor_ops/crop_pad.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import crop_pad
from object_detection.core.preprocessor_ops import pad

_F = fields.InputDataFields
_NAN = float("nan")


def _image(height=4, width=6):
  # Pixel value = 10 * row + column + 1 (never 0), in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width)) + 1
  return tf.constant(np.stack([values] * 3, -1), tf.float32)


def _masks(num=3, height=4, width=6):
  # Mask i is filled with i + 1, so a gathered mask shows which box it is.
  return tf.constant(np.arange(1, num + 1)[:, None, None] *
                     np.ones([num, height, width]), tf.float32)


# On a 4x6 image the pixel window at (0, 0) of size 2x3 is [0, 0, .5, .5].
_BOXES = tf.constant([
    [0.0, 0.0, 0.5, 0.5],      # inside: kept as [0, 0, 1, 1]
    [0.5, 0.5, 1.0, 1.0],      # touches the window's corner: dropped
    [0.25, 0.25, 0.75, 0.75],  # window covers .25 * .25 / .25 = 25% of it
])
_LABELS = tf.constant([1, 2, 3])
_WEIGHTS = tf.constant([0.5, 0.6, 0.7])
_CONFIDENCES = tf.constant([0.1, 0.2, 0.3])
_SCORES = tf.constant([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])


def _cache(op_name, window=(0, 0, 2, 3), **values):
  cache = preprocessor.PreprocessorCache()
  cache.update(op_name, crop_pad.WINDOW_KEY, tf.constant(window))
  for key, value in values.items():
    cache.update(op_name, key, tf.constant(value))
  return cache


def _find(canvas, image):
  """(row, column) of the top-left pixel of `image` inside `canvas`."""
  rows, cols = np.nonzero(canvas[..., 0] == image[0, 0, 0])
  assert rows.size == 1
  return int(rows[0]), int(cols[0])


def test_crop_pad_with_cached_window_and_canvas():
  # The 2x3 crop [[1, 2, 3], [11, 12, 13]] goes at (1, 2) of a 4x6 canvas;
  # padding is its mean colour (1 + 2 + 3 + 11 + 12 + 13) / 6 = 7.
  cache = _cache("random_crop_pad_image",
                 **{pad.SIZE_AND_OFFSET_KEY: [4, 6, 1, 2]})
  keypoints = tf.constant([[[0.25, 0.25], [0.75, 0.1]]] * 3)
  (image, boxes, labels, weights, confidences, scores, masks, new_keypoints,
   indices) = crop_pad.random_crop_pad_image(
       _image(), _BOXES, _LABELS, _WEIGHTS, _CONFIDENCES, _SCORES, _masks(),
       keypoints, tf.range(3), preprocess_vars_cache=cache)
  assert image.shape == (4, 6, 3)
  np.testing.assert_array_equal(image[1:3, 2:5, 0], [[1, 2, 3], [11, 12, 13]])
  border = np.ones([4, 6], bool)
  border[1:3, 2:5] = False
  np.testing.assert_array_equal(image.numpy()[border], np.full([18, 3], 7.0))
  # Box 0 fills the crop: y [1, 3) / 4, x [2, 5) / 6.
  np.testing.assert_allclose(boxes, [[0.25, 2 / 6, 0.75, 5 / 6]], atol=1e-6)
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_allclose(weights, [0.5])
  np.testing.assert_allclose(confidences, [0.1])
  np.testing.assert_allclose(scores, [[1.0, 0.0]])
  np.testing.assert_array_equal(indices, [0])
  # Mask 0 (all 1) cut to the crop, then zero-padded like the image.
  expected_masks = np.zeros([1, 4, 6])
  expected_masks[0, 1:3, 2:5] = 1
  np.testing.assert_array_equal(masks, expected_masks)
  # (.25, .25) -> (.5, .5) in the crop = pixel (1, 1.5) -> (2 / 4, 3.5 / 6);
  # (.75, .1) leaves the crop: NaN.
  np.testing.assert_allclose(new_keypoints, [[[0.5, 3.5 / 6], [_NAN, _NAN]]],
                             atol=1e-6)


def test_whole_image_crop_then_fixed_size_pad():
  # Area (1, 1) with aspect (1, 1) on 8x8 keeps the whole image; padded
  # ratios min == max (1.5, 1.25) make an int(8 * 1.5) x int(8 * 1.25) =
  # 12x10 canvas; the offsets are drawn in [0, 4) x [0, 2).
  offsets = set()
  for seed in range(6):
    image, boxes, labels = crop_pad.random_crop_pad_image(
        _image(8, 8), tf.constant([[0.1, 0.2, 0.6, 0.9]]), tf.constant([4]),
        None, min_object_covered=0.0, aspect_ratio_range=(1.0, 1.0),
        area_range=(1.0, 1.0), min_padded_size_ratio=(1.5, 1.25),
        max_padded_size_ratio=(1.5, 1.25), pad_color=[0.0, 0.0, 0.0],
        seed=tf.constant([seed, 1]))
    assert image.shape == (12, 10, 3)
    top, left = _find(image.numpy(), _image(8, 8).numpy())
    assert 0 <= top < 4 and 0 <= left < 2
    offsets.add((top, left))
    np.testing.assert_array_equal(image[top:top + 8, left:left + 8],
                                  _image(8, 8))
    # Pixels y [0.8, 4.8), x [1.6, 7.2) of the image.
    np.testing.assert_allclose(
        boxes, [[(top + 0.8) / 12, (left + 1.6) / 10, (top + 4.8) / 12,
                 (left + 7.2) / 10]], atol=1e-5)
    np.testing.assert_array_equal(labels, [4])
  assert len(offsets) > 1


def test_random_coef_one_skips_the_crop_but_pads():
  # No crop: all three boxes stay; min == max ratio 2 pads 4x6 to 8x12.
  image, boxes, labels = crop_pad.random_crop_pad_image(
      _image(), _BOXES, _LABELS, None, random_coef=1.0,
      min_padded_size_ratio=(2.0, 2.0), max_padded_size_ratio=(2.0, 2.0),
      seed=tf.constant([3, 3]),
      preprocess_vars_cache=_cache("random_crop_pad_image"))
  assert image.shape == (8, 12, 3)
  top, left = _find(image.numpy(), _image().numpy())
  np.testing.assert_array_equal(image[top:top + 4, left:left + 6], _image())
  np.testing.assert_allclose(
      boxes[0], [top / 8, left / 12, (top + 2) / 8, (left + 3) / 12],
      atol=1e-6)
  np.testing.assert_array_equal(labels, [1, 2, 3])


def _ssd_two_operations(operation):
  """ssd_random_crop_pad with two operations, the given one cached."""
  cache = _cache("ssd_random_crop_pad",
                 **{crop_pad.OPERATION_KEY: operation})
  return crop_pad.ssd_random_crop_pad(
      _image(), _BOXES, _LABELS, _WEIGHTS, box_indices=tf.range(3),
      min_object_covered=(0.0, 0.0), aspect_ratio_range=((0.5, 2),) * 2,
      area_range=((0.1, 1),) * 2, overlap_thresh=(0.3, 0.2),
      clip_boxes=(True, True), random_coef=(0.0, 0.0),
      min_padded_size_ratio=((1, 1), (1.5, 1.5)),
      max_padded_size_ratio=((1, 1), (1.5, 1.5)),
      pad_color=((100.0, 100.0, 100.0), None), seed=tf.constant([2, 2]),
      preprocess_vars_cache=cache)


def test_ssd_crop_pad_uses_the_chosen_operation():
  # Operation 0: overlap 0.3 drops box 2 (25% covered); canvas
  # int(4 * 1) x int(6 * 1) = 4x6; colour 100.
  image, boxes, labels, weights, indices = _ssd_two_operations(0)
  assert image.shape == (4, 6, 3)
  top, left = _find(image.numpy(), _image().numpy())
  assert 0 <= top < 2 and 0 <= left < 3
  border = np.ones([4, 6], bool)
  border[top:top + 2, left:left + 3] = False
  np.testing.assert_array_equal(image.numpy()[border], np.full([18, 3], 100))
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_array_equal(indices, [0])
  np.testing.assert_allclose(weights, [0.5])
  np.testing.assert_allclose(
      boxes, [[top / 4, left / 6, (top + 2) / 4, (left + 3) / 6]], atol=1e-6)
  # Operation 1: overlap 0.2 keeps box 2; canvas int(4 * 1.5) x int(6 * 1.5)
  # = 6x9; colour None: the crop's mean, 7.
  image, boxes, labels, weights, indices = _ssd_two_operations(1)
  assert image.shape == (6, 9, 3)
  top, left = _find(image.numpy(), _image().numpy())
  assert image[0 if top else 5, 0 if left else 8, 0] == 7.0
  np.testing.assert_array_equal(labels, [1, 3])
  np.testing.assert_array_equal(indices, [0, 2])
  np.testing.assert_allclose(weights, [0.5, 0.7])
  # Box 2 in the crop: [.5, .5, 1.5, 1.5] clipped to [.5, .5, 1, 1], i.e.
  # pixels y [1, 2), x [1.5, 3) of the crop.
  np.testing.assert_allclose(
      boxes[1], [(top + 1) / 6, (left + 1.5) / 9, (top + 2) / 6,
                 (left + 3) / 9], atol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_object_covered": (0.1, 0.2), "overlap_thresh": (0.3,)},
     "ssd_random_crop_pad: aspect_ratio_range must have one entry per "
     "operation (2, as min_object_covered), got 6"),
    ({"min_object_covered": ()},
     "ssd_random_crop_pad: min_object_covered must have one entry per "
     "operation, got none"),
    ({"pad_color": (None,) * 5},
     "ssd_random_crop_pad: pad_color must have one entry per operation "
     "(6, as min_object_covered), got 5"),
])
def test_ssd_crop_pad_per_operation_lengths(kwargs, message):
  with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")
                     .replace(")", r"\)")):
    crop_pad.ssd_random_crop_pad(_image(), _BOXES, _LABELS, None, **kwargs)


def test_ssd_crop_pad_fixed_aspect_ratio_with_cached_draws():
  # Operation 2 (overlap 0.3), window 2x3 at (0, 0), crop applied (draw 1 >
  # 0.15), scale 1: the 2x3 crop zero-padded to the smallest square, 3x3,
  # whose frame is the crop window [0, 0, 3 / 2, 1].
  cache = _cache("ssd_random_crop_pad_fixed_aspect_ratio",
                 **{crop_pad.OPERATION_KEY: 2, crop_pad.APPLY_KEY: 1.0,
                    pad.SCALE_KEY: 1.0})
  keypoints = tf.constant([[[0.25, 0.25], [0.75, 0.1]]] * 3)
  (image, boxes, labels, weights, scores, masks, new_keypoints,
   indices) = crop_pad.ssd_random_crop_pad_fixed_aspect_ratio(
       _image(), _BOXES, _LABELS, _WEIGHTS, None, _SCORES, _masks(),
       keypoints, tf.range(3), preprocess_vars_cache=cache)
  assert image.shape == (3, 3, 3)
  np.testing.assert_array_equal(image[:2, :, 0], [[1, 2, 3], [11, 12, 13]])
  np.testing.assert_array_equal(image[2], np.zeros([3, 3]))
  np.testing.assert_allclose(boxes, [[0, 0, 2 / 3, 1]], atol=1e-6)
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_allclose(weights, [0.5])
  np.testing.assert_allclose(scores, [[1.0, 0.0]])
  np.testing.assert_array_equal(indices, [0])
  np.testing.assert_array_equal(masks, [[[1, 1, 1], [1, 1, 1], [0, 0, 0]]])
  # (.25, .25) -> (.5, .5) in the crop -> (.5 / 1.5, .5); (.75, .1) leaves
  # the crop: NaN.
  np.testing.assert_allclose(new_keypoints, [[[1 / 3, 0.5], [_NAN, _NAN]]],
                             atol=1e-6)


def test_ssd_crop_pad_fixed_aspect_ratio_is_square_and_consistent():
  for seed in range(4):
    image, boxes, labels, masks = (
        crop_pad.ssd_random_crop_pad_fixed_aspect_ratio(
            _image(8, 8), _BOXES, _LABELS, None, masks=_masks(3, 8, 8),
            seed=tf.constant([seed, 6])))
    height, width = image.shape[:2]
    assert height == width
    assert masks.shape == (labels.shape[0], height, width)
    assert boxes.shape == (labels.shape[0], 4)
    assert np.all(boxes.numpy() >= 0) and np.all(boxes.numpy() <= 1)
    # Mask i + 1 belongs to label i + 1 (masks are filled with 1, 2, 3).
    np.testing.assert_array_equal(np.max(masks, axis=(1, 2)), labels)


def _outputs(func, seed, **kwargs):
  return [t.numpy() for t in func(_image(8, 8), _BOXES, _LABELS, None,
                                  seed=seed, **kwargs)]


@pytest.mark.parametrize("func", [
    crop_pad.random_crop_pad_image, crop_pad.ssd_random_crop_pad,
    crop_pad.ssd_random_crop_pad_fixed_aspect_ratio])
def test_stateless_seed_is_reproducible_and_varies(func):
  kwargs = {}
  if func is crop_pad.random_crop_pad_image:
    kwargs = {"min_object_covered": 0.0}
  results = [_outputs(func, tf.constant([s, 8]), **kwargs) for s in range(6)]
  again = [_outputs(func, tf.constant([s, 8]), **kwargs) for s in range(6)]
  for first, second in zip(results, again):
    for a, b in zip(first, second):
      np.testing.assert_array_equal(a, b)
  assert len({outputs[0].shape for outputs in results}) > 1


def test_errors():
  with pytest.raises(ValueError, match=r"^random_crop_pad_image: image must "
                     r"have rank 3 \[height, width, channels\], got shape "
                     r"\(1, 4, 6, 3\)$"):
    crop_pad.random_crop_pad_image(_image()[tf.newaxis], _BOXES, _LABELS,
                                   None)
  with pytest.raises(ValueError, match=r"^random_crop_pad_image: pad_color "
                     r"must have one value per image channel \(3\), got "
                     r"shape \(2,\)$"):
    crop_pad.random_crop_pad_image(_image(), _BOXES, _LABELS, None,
                                   pad_color=[1.0, 2.0])
  with pytest.raises(ValueError, match="^ssd_random_crop_pad_fixed_aspect_"
                     "ratio: aspect_ratio must be > 0, got -1.0$"):
    crop_pad.ssd_random_crop_pad_fixed_aspect_ratio(
        _image(), _BOXES, _LABELS, None, aspect_ratio=-1.0)


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([None]),
                                tf.TensorSpec([None, None, None]),
                                tf.TensorSpec([None, None, 2])])
  def run(image, boxes, labels, weights, masks, keypoints):
    seed = tf.constant([5, 1])
    indices = tf.range(tf.shape(boxes)[0])
    return (crop_pad.random_crop_pad_image(
                image, boxes, labels, weights, None, None, masks, keypoints,
                indices, random_coef=0.5, seed=seed),
            crop_pad.ssd_random_crop_pad(image, boxes, labels, weights,
                                         None, None, masks, keypoints,
                                         indices, seed=seed),
            crop_pad.ssd_random_crop_pad_fixed_aspect_ratio(
                image, boxes, labels, weights, None, None, masks, keypoints,
                indices, seed=seed))

  for num_boxes in (0, 2):
    first, second, third = run(
        _image(8, 6), _BOXES[:num_boxes], _LABELS[:num_boxes],
        _WEIGHTS[:num_boxes], _masks(num_boxes, 8, 6),
        tf.zeros([num_boxes, 1, 2]))
    for image, boxes, labels, weights, masks, keypoints, indices in (
        first, second, third):
      num_kept = boxes.shape[0]
      assert num_kept <= num_boxes and image.shape[2] == 3
      assert labels.shape == weights.shape == indices.shape == (num_kept,)
      assert masks.shape == (num_kept,) + tuple(image.shape[:2])
      assert keypoints.shape == (num_kept, 1, 2)
    assert third[0].shape[0] == third[0].shape[1]


def test_preprocess_keeps_untracked_fields_in_step():
  tensor_dict = {
      _F.image: _image()[tf.newaxis],
      _F.groundtruth_boxes: _BOXES,
      _F.groundtruth_classes: _LABELS,
      _F.groundtruth_weights: _WEIGHTS,
      _F.groundtruth_instance_masks: _masks(),
      _F.groundtruth_is_crowd: tf.constant([False, True, True]),
  }
  cache = _cache("random_crop_pad_image",
                 **{pad.SIZE_AND_OFFSET_KEY: [4, 6, 1, 2]})
  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.random_crop_pad_image, {})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      preprocess_vars_cache=cache, seed=tf.constant([1, 2]))
  assert out[_F.image].shape == (1, 4, 6, 3)
  np.testing.assert_allclose(out[_F.groundtruth_boxes],
                             [[0.25, 2 / 6, 0.75, 5 / 6]], atol=1e-6)
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [1])
  np.testing.assert_allclose(out[_F.groundtruth_weights], [0.5])
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd], [False])
  expected_masks = np.zeros([1, 4, 6])
  expected_masks[0, 1:3, 2:5] = 1
  np.testing.assert_array_equal(out[_F.groundtruth_instance_masks],
                                expected_masks)

  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.ssd_random_crop_pad_fixed_aspect_ratio,
                     {})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      seed=tf.constant([3, 4]))
  image = out[_F.image]
  num_kept = out[_F.groundtruth_boxes].shape[0]
  assert image.shape[0] == 1 and image.shape[1] == image.shape[2]
  assert out[_F.groundtruth_instance_masks].shape == (
      num_kept, image.shape[1], image.shape[2])
  np.testing.assert_array_equal(
      np.max(out[_F.groundtruth_instance_masks], axis=(1, 2)),
      out[_F.groundtruth_classes])
  # is_crowd follows the kept boxes: box 1 is the only crowd-free one.
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd],
                                out[_F.groundtruth_classes] != 1)
