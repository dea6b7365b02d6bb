"""Tests for the augmentation driver `preprocessor.preprocess`."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields

F = fields.InputDataFields
SEED = tf.constant([5, 8], tf.int64)


def _tensor_dict(num_boxes=3, height=8, width=10):
  image = np.arange(height * width * 3, dtype=np.float32).reshape(
      1, height, width, 3)
  boxes = np.array([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0],
                    [0.1, 0.2, 0.9, 0.4]], np.float32)[:num_boxes]
  masks = np.zeros((num_boxes, height, width), np.float32)
  for index in range(num_boxes):
    masks[index, index, :index + 1] = 1.0
  return {
      F.image: tf.constant(image),
      F.groundtruth_boxes: tf.constant(boxes),
      F.groundtruth_classes: tf.constant([1, 2, 3][:num_boxes]),
      F.groundtruth_weights: tf.ones([num_boxes]),
      F.groundtruth_instance_masks: tf.constant(masks),
      # One id per box, equal to its class, to see the alignment survive.
      F.groundtruth_area: tf.constant([1.0, 2.0, 3.0][:num_boxes]),
      F.groundtruth_is_crowd: tf.constant([True, False, True][:num_boxes]),
  }


def _mask_map():
  return preprocessor.get_default_func_arg_map(include_instance_masks=True)


def test_horizontal_flip_through_preprocess_flips_image_boxes_and_masks():
  tensor_dict = _tensor_dict()
  step = (preprocessor.random_horizontal_flip, {"probability": 1.0})
  out = preprocessor.preprocess(tensor_dict, [step], func_arg_map=_mask_map())
  assert out[F.image].shape == (1, 8, 10, 3)
  np.testing.assert_array_equal(out[F.image].numpy(),
                                tensor_dict[F.image].numpy()[:, :, ::-1])
  # x' = 1 - x with xmin/xmax swapped: [0.1, 0.2, 0.9, 0.4] ->
  # [0.1, 0.6, 0.9, 0.8].
  np.testing.assert_allclose(out[F.groundtruth_boxes].numpy(),
                             [[0.0, 0.5, 0.5, 1.0], [0.5, 0.0, 1.0, 0.5],
                              [0.1, 0.6, 0.9, 0.8]], atol=1e-6)
  np.testing.assert_array_equal(
      out[F.groundtruth_instance_masks].numpy(),
      tensor_dict[F.groundtruth_instance_masks].numpy()[:, :, ::-1])
  # The input dict is not modified.
  assert tensor_dict[F.image].shape == (1, 8, 10, 3)


def test_steps_run_in_order():
  steps = [(preprocessor.random_horizontal_flip, {"probability": 1.0}),
           (preprocessor.random_vertical_flip, {"probability": 1.0})]
  tensor_dict = _tensor_dict()
  out = preprocessor.preprocess(tensor_dict, steps)
  np.testing.assert_array_equal(out[F.image].numpy(),
                                tensor_dict[F.image].numpy()[:, ::-1, ::-1])
  np.testing.assert_allclose(out[F.groundtruth_boxes].numpy()[0],
                             [0.5, 0.5, 1.0, 1.0], atol=1e-6)


def test_box_dropping_op_keeps_untracked_per_box_fields_aligned():
  # A crop that keeps only the bottom-right quarter drops boxes 0 and 2
  # (0 lies outside it, 2 overlaps it by less than overlap_thresh).
  tensor_dict = _tensor_dict()
  image = tf.zeros([1, 40, 40, 3])
  tensor_dict[F.image] = image
  tensor_dict[F.groundtruth_instance_masks] = tf.zeros([3, 40, 40])
  seeds = [tf.constant([seed, 1], tf.int64) for seed in range(20)]
  kept_counts = set()
  for seed in seeds:
    out = preprocessor.preprocess(
        tensor_dict, [(preprocessor.random_crop_image,
                       {"min_object_covered": 0.0, "area_range": (0.1, 0.5),
                        "overlap_thresh": 0.5})],
        func_arg_map=_mask_map(), seed=seed)
    classes = out[F.groundtruth_classes].numpy()
    kept_counts.add(len(classes))
    np.testing.assert_array_equal(out[F.groundtruth_area].numpy(),
                                  classes.astype(np.float32))
    np.testing.assert_array_equal(out[F.groundtruth_is_crowd].numpy(),
                                  classes % 2 == 1)
    assert out[F.groundtruth_instance_masks].shape[0] == len(classes)
  # The seeds gave crops that dropped some boxes and kept others.
  assert len(kept_counts) > 1


def test_same_seed_same_result_other_seed_other_result():
  steps = [(preprocessor.random_adjust_brightness, {"max_delta": 0.5}),
           (preprocessor.random_horizontal_flip, {})]
  tensor_dict = _tensor_dict()
  first = preprocessor.preprocess(tensor_dict, steps, seed=SEED)[F.image]
  again = preprocessor.preprocess(tensor_dict, steps, seed=SEED)[F.image]
  other = preprocessor.preprocess(tensor_dict, steps,
                                  seed=tf.constant([5, 9], tf.int64))[F.image]
  np.testing.assert_array_equal(first.numpy(), again.numpy())
  assert not np.array_equal(first.numpy(), other.numpy())


def test_step_seed_is_derived_from_the_step_index():
  step = (preprocessor.random_adjust_brightness, {"max_delta": 0.5})
  tensor_dict = _tensor_dict()
  out = preprocessor.preprocess(tensor_dict, [step, step], seed=SEED)
  image = tf.squeeze(tensor_dict[F.image], 0)
  expected = preprocessor.random_adjust_brightness(
      image, max_delta=0.5, seed=tf.random.experimental.stateless_fold_in(
          SEED, 0))
  expected = preprocessor.random_adjust_brightness(
      expected, max_delta=0.5, seed=tf.random.experimental.stateless_fold_in(
          SEED, 1))
  np.testing.assert_allclose(out[F.image].numpy()[0], expected.numpy())


def test_preprocess_vars_cache_repeats_draws():
  step = (preprocessor.random_adjust_brightness, {"max_delta": 0.5})
  tensor_dict = _tensor_dict()
  cache = preprocessor.PreprocessorCache()
  first = preprocessor.preprocess(tensor_dict, [step],
                                  preprocess_vars_cache=cache)[F.image]
  again = preprocessor.preprocess(tensor_dict, [step],
                                  preprocess_vars_cache=cache)[F.image]
  np.testing.assert_array_equal(first.numpy(), again.numpy())


def test_runs_in_tf_function_with_unknown_shapes_and_no_boxes():
  steps = [(preprocessor.random_horizontal_flip, {}),
           (preprocessor.random_crop_image, {})]

  @tf.function(input_signature=[
      tf.TensorSpec([1, None, None, 3], tf.float32),
      tf.TensorSpec([None, 4], tf.float32),
      tf.TensorSpec([None], tf.int32),
      tf.TensorSpec([None], tf.float32)])
  def run(image, boxes, classes, weights):
    return preprocessor.preprocess(
        {F.image: image, F.groundtruth_boxes: boxes,
         F.groundtruth_classes: classes, F.groundtruth_weights: weights},
        steps, seed=SEED)

  out = run(tf.zeros([1, 12, 16, 3]), tf.zeros([0, 4]),
            tf.zeros([0], tf.int32), tf.zeros([0]))
  assert out[F.groundtruth_boxes].shape == (0, 4)
  assert out[F.image].shape[0] == 1 and out[F.image].shape[3] == 3


def test_default_func_arg_map_includes_fields_only_when_asked():
  plain = preprocessor.get_default_func_arg_map()
  with_masks = _mask_map()
  flip = preprocessor.random_horizontal_flip
  assert F.groundtruth_instance_masks not in plain[flip]
  assert F.groundtruth_instance_masks in with_masks[flip]
  assert plain[flip][:2] == (F.image, F.groundtruth_boxes)
  no_weights = preprocessor.get_default_func_arg_map(
      include_label_weights=False)
  assert no_weights[preprocessor.random_crop_image][3] is None


def test_op_names_lists_the_registered_ops():
  names = preprocessor.op_names()
  for name in ("random_horizontal_flip", "random_crop_image",
               "ssd_random_crop", "random_adjust_hue", "normalize_image"):
    assert name in names
  assert names == sorted(names)


def test_extra_outputs_are_dropped_and_missing_outputs_are_an_error():
  def add_one(image, boxes=None, seed=None):
    del seed
    return image + 1.0, boxes, tf.shape(image)

  def image_only(image, boxes=None, seed=None):
    del boxes, seed
    return image

  arg_map = {add_one: (F.image, F.groundtruth_boxes),
             image_only: (F.image, F.groundtruth_boxes)}
  tensor_dict = _tensor_dict()
  out = preprocessor.preprocess(tensor_dict, [(add_one, {})],
                                func_arg_map=arg_map)
  np.testing.assert_array_equal(out[F.image].numpy(),
                                tensor_dict[F.image].numpy() + 1.0)
  with pytest.raises(ValueError, match=r"image_only returned 1 outputs for "
                     r"2 inputs \(image, groundtruth_boxes\)"):
    preprocessor.preprocess(tensor_dict, [(image_only, {})],
                            func_arg_map=arg_map)


def test_bad_calls_are_errors():
  tensor_dict = _tensor_dict()
  step = (preprocessor.random_horizontal_flip, {})
  with pytest.raises(ValueError, match="must have an 'image' field"):
    preprocessor.preprocess({F.groundtruth_boxes: tf.zeros([0, 4])}, [step])
  with pytest.raises(ValueError, match=r"image must be \[1, height, width, "
                     r"channels\], got shape \(8, 10, 3\)"):
    preprocessor.preprocess(
        dict(tensor_dict, **{F.image: tensor_dict[F.image][0]}), [step])
  with pytest.raises(ValueError, match="no entry for random_horizontal_flip"):
    preprocessor.preprocess(tensor_dict, [step], func_arg_map={})


def test_seed_and_cache_go_only_to_ops_that_take_them():
  # resize_image and scale_boxes_to_pixel_coordinates draw nothing and
  # take neither argument.
  steps = [(preprocessor.resize_image,
            {"new_height": 4, "new_width": 5}),
           (preprocessor.scale_boxes_to_pixel_coordinates, {})]
  out = preprocessor.preprocess(
      _tensor_dict(), steps, func_arg_map=_mask_map(), seed=SEED,
      preprocess_vars_cache=preprocessor.PreprocessorCache())
  assert out[F.image].shape == (1, 4, 5, 3)
  assert out[F.groundtruth_instance_masks].shape == (3, 4, 5)
  # Boxes in pixels of the 4x5 image: [0.5, 0.5, 1, 1] -> [2, 2.5, 4, 5].
  np.testing.assert_allclose(out[F.groundtruth_boxes].numpy()[1],
                             [2.0, 2.5, 4.0, 5.0])
