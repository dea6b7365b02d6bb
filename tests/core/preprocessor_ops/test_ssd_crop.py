"""Tests for object_detection/core/preprocessor_ops/ssd_crop.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import ssd_crop

_F = fields.InputDataFields
_NAN = float("nan")


def _image(height=4, width=6):
  # Pixel value = 10 * row + column, in every channel.
  values = np.add.outer(10 * np.arange(height), np.arange(width))
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
_KEYPOINTS = tf.constant([[[0.25, 0.25], [0.75, 0.1]]] * 3)

# Two settings: 0 keeps boxes covered >= 30% and clips, 1 keeps >= 20%
# and does not clip.
_TWO_SETTINGS = dict(min_object_covered=(0.0, 0.0),
                     aspect_ratio_range=((0.5, 2.0),) * 2,
                     area_range=((0.1, 1.0),) * 2, overlap_thresh=(0.3, 0.2),
                     clip_boxes=(True, False), random_coef=(0.5, 0.5))


def _cache(selector, window=(0, 0, 2, 3), apply=1.0):
  cache = preprocessor.PreprocessorCache()
  cache.update("ssd_random_crop", "selector", tf.constant(selector))
  cache.update("ssd_random_crop", "window", tf.constant(window))
  cache.update("ssd_random_crop", "apply", tf.constant(apply))
  return cache


def test_setting_zero_drops_the_quarter_covered_box():
  (image, boxes, labels, weights, scores, masks, keypoints,
   indices) = ssd_crop.ssd_random_crop(
       _image(), _BOXES, _LABELS, _WEIGHTS, None, tf.eye(3), _masks(),
       _KEYPOINTS, tf.range(3), preprocess_vars_cache=_cache(0),
       **_TWO_SETTINGS)
  np.testing.assert_array_equal(image[..., 0], [[0, 1, 2], [10, 11, 12]])
  np.testing.assert_allclose(boxes, [[0, 0, 1, 1]])
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_allclose(weights, [0.5])
  np.testing.assert_allclose(scores, [[1, 0, 0]])
  np.testing.assert_array_equal(masks, np.ones([1, 2, 3]))
  # (.25, .25) -> (.5, .5); (.75, .1) is outside the window: NaN (clip).
  np.testing.assert_allclose(keypoints, [[[0.5, 0.5], [_NAN, _NAN]]])
  np.testing.assert_array_equal(indices, [0])


def test_setting_one_keeps_it_unclipped():
  image, boxes, labels, masks, keypoints, indices = ssd_crop.ssd_random_crop(
      _image(), _BOXES, _LABELS, None, masks=_masks(), keypoints=_KEYPOINTS,
      box_indices=tf.range(3), preprocess_vars_cache=_cache(1),
      **_TWO_SETTINGS)
  assert image.shape == (2, 3, 3)
  # Box 2 in the window: (.25 - 0) / .5 = .5 and .75 / .5 = 1.5.
  np.testing.assert_allclose(boxes, [[0, 0, 1, 1], [.5, .5, 1.5, 1.5]])
  np.testing.assert_array_equal(labels, [1, 3])
  np.testing.assert_array_equal(masks[:, 0, 0], [1, 3])
  # Unclipped keypoints leave the unit square instead of becoming NaN.
  np.testing.assert_allclose(keypoints[1], [[0.5, 0.5], [1.5, 0.2]])
  np.testing.assert_array_equal(indices, [0, 2])


def test_apply_draw_below_random_coef_returns_the_inputs():
  # The draw 0.25 is not above random_coef 0.5: no crop.
  image, boxes, labels, masks = ssd_crop.ssd_random_crop(
      _image(), _BOXES, _LABELS, None, masks=_masks(),
      preprocess_vars_cache=_cache(0, apply=0.25), **_TWO_SETTINGS)
  np.testing.assert_array_equal(image, _image())
  np.testing.assert_array_equal(boxes, _BOXES)
  np.testing.assert_array_equal(labels, [1, 2, 3])
  np.testing.assert_array_equal(masks, _masks())


@pytest.mark.parametrize("kwargs, message", [
    ({"min_object_covered": (0.1, 0.2)},
     "ssd_random_crop: the parameter lists must have one length, got "
     "min_object_covered=2, aspect_ratio_range=7, area_range=7, "
     "overlap_thresh=7, clip_boxes=7, random_coef=7"),
    ({"min_object_covered": ()},
     "ssd_random_crop: min_object_covered must not be empty"),
])
def test_parameter_list_errors(kwargs, message):
  with pytest.raises(ValueError, match="^{}$".format(message)):
    ssd_crop.ssd_random_crop(_image(), _BOXES, _LABELS, None, **kwargs)


def test_fixed_aspect_ratio_with_cached_draws():
  # The cached 2x3 window, then random_crop_to_aspect_ratio's 2x2 window at
  # column 1 of it: pixels rows 0..1, columns 1..2 of the image. Box 0,
  # [0, 0, 1, 1] in the 2x3 crop, spans x [-.5, 1] of the 2x2 one: clipped.
  cache = _cache(0)
  cache.update("random_crop_to_aspect_ratio", "offset", tf.constant([0, 1]))
  image, boxes, labels, masks, indices = (
      ssd_crop.ssd_random_crop_fixed_aspect_ratio(
          _image(), _BOXES, _LABELS, None, masks=_masks(),
          box_indices=tf.range(3), min_object_covered=(0.0,),
          area_range=((0.1, 1.0),), overlap_thresh=(0.3,),
          clip_boxes=(True,), random_coef=(0.0,),
          preprocess_vars_cache=cache))
  np.testing.assert_array_equal(image[..., 0], [[1, 2], [11, 12]])
  np.testing.assert_allclose(boxes, [[0, 0, 1, 1]])
  np.testing.assert_array_equal(labels, [1])
  np.testing.assert_array_equal(masks, np.ones([1, 2, 2]))
  np.testing.assert_array_equal(indices, [0])


def test_fixed_aspect_ratio_outputs_have_the_ratio():
  for seed in range(4):
    image, boxes, labels, masks = (
        ssd_crop.ssd_random_crop_fixed_aspect_ratio(
            _image(8, 12), _BOXES, _LABELS, None, masks=_masks(3, 8, 12),
            aspect_ratio=1.0, seed=tf.constant([seed, 4])))
    height, width = image.shape[:2]
    assert height == width
    assert masks.shape == (labels.shape[0], height, width)
    np.testing.assert_array_equal(np.max(masks, axis=(1, 2)), labels)
    assert np.all(boxes.numpy() >= 0) and np.all(boxes.numpy() <= 1)


def _outputs(func, seed):
  return [t.numpy() for t in func(_image(16, 16), _BOXES, _LABELS, None,
                                  seed=seed)]


@pytest.mark.parametrize("func", [
    ssd_crop.ssd_random_crop, ssd_crop.ssd_random_crop_fixed_aspect_ratio])
def test_stateless_seed_is_reproducible_and_varies(func):
  results = [_outputs(func, tf.constant([s, 2])) for s in range(6)]
  again = [_outputs(func, tf.constant([s, 2])) for s in range(6)]
  for first, second in zip(results, again):
    for a, b in zip(first, second):
      np.testing.assert_array_equal(a, b)
  assert len({outputs[0].shape for outputs in results}) > 1


def test_tf_function_unknown_shapes_and_no_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([None, None, None]),
                                tf.TensorSpec([None, None, 2])])
  def run(image, boxes, labels, masks, keypoints):
    seed = tf.constant([6, 1])
    indices = tf.range(tf.shape(boxes)[0])
    return (ssd_crop.ssd_random_crop(image, boxes, labels, None,
                                     masks=masks, keypoints=keypoints,
                                     box_indices=indices, seed=seed),
            ssd_crop.ssd_random_crop_fixed_aspect_ratio(
                image, boxes, labels, None, masks=masks, keypoints=keypoints,
                box_indices=indices, seed=seed))

  for num_boxes in (0, 3):
    outputs = run(_image(8, 6), _BOXES[:num_boxes], _LABELS[:num_boxes],
                  _masks(num_boxes, 8, 6), _KEYPOINTS[:num_boxes])
    for image, boxes, labels, masks, keypoints, indices in outputs:
      num_kept = boxes.shape[0]
      assert num_kept <= num_boxes
      assert labels.shape == indices.shape == (num_kept,)
      assert masks.shape == (num_kept,) + tuple(image.shape[:2])
      assert keypoints.shape == (num_kept, 2, 2)
    assert outputs[1][0].shape[0] == outputs[1][0].shape[1]


def test_preprocess_keeps_untracked_fields_in_step():
  tensor_dict = {
      _F.image: _image()[tf.newaxis],
      _F.groundtruth_boxes: _BOXES,
      _F.groundtruth_classes: _LABELS,
      _F.groundtruth_weights: _WEIGHTS,
      _F.groundtruth_instance_masks: _masks(),
      _F.groundtruth_is_crowd: tf.constant([False, True, True]),
  }
  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.ssd_random_crop, _TWO_SETTINGS)],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      preprocess_vars_cache=_cache(1), seed=tf.constant([1, 2]))
  assert out[_F.image].shape == (1, 2, 3, 3)
  np.testing.assert_array_equal(out[_F.groundtruth_classes], [1, 3])
  np.testing.assert_allclose(out[_F.groundtruth_weights], [0.5, 0.7])
  np.testing.assert_array_equal(out[_F.groundtruth_instance_masks][:, 0, 0],
                                [1, 3])
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd], [False, True])
  # A cache-free run with the default settings keeps the fields aligned.
  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.ssd_random_crop_fixed_aspect_ratio, {})],
      func_arg_map=preprocessor.get_default_func_arg_map(
          include_instance_masks=True),
      seed=tf.constant([3, 4]))
  np.testing.assert_array_equal(
      np.max(out[_F.groundtruth_instance_masks], axis=(1, 2)),
      out[_F.groundtruth_classes])
  np.testing.assert_array_equal(out[_F.groundtruth_is_crowd],
                                out[_F.groundtruth_classes] != 1)
