"""Tests for core/preprocessor_ops/autoaugment.py and autoaugment_ops.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.core.preprocessor_ops import autoaugment
from object_detection.core.preprocessor_ops import autoaugment_ops as ops
from object_detection.core.preprocessor_ops import random_ops

_f = fields.InputDataFields
SEED = tf.constant([3, 7], tf.int64)


def _image(height, width, seed=0):
  values = np.random.RandomState(seed).randint(0, 256, (height, width, 3))
  return tf.constant(values.astype(np.float32))


def _boxes():
  return tf.constant([[0.1, 0.1, 0.5, 0.6], [0.3, 0.2, 0.9, 0.9],
                      [0.0, 0.0, 1.0, 1.0]])


def test_translate_moves_boxes_by_whole_pixels():
  # 4x8 image, shift right by 2: x pixels 2 -> 4 and 4 -> 6, i.e. 0.25 ->
  # 0.5 and 0.5 -> 0.75. The second box's xmax 8 + 2 clips to the width 8.
  image = _image(4, 8)
  boxes = tf.constant([[0.0, 0.25, 0.5, 0.5], [0.25, 0.5, 0.75, 1.0]])
  out, new_boxes = ops.translate_with_boxes(image, boxes, 2.0, True)
  np.testing.assert_allclose(new_boxes.numpy(),
                             [[0.0, 0.5, 0.5, 0.75], [0.25, 0.75, 0.75, 1.0]])
  np.testing.assert_array_equal(out.numpy()[:, 2:], image.numpy()[:, :6])
  np.testing.assert_array_equal(out.numpy()[:, :2], 128.0)


def test_translate_vertical_up_and_out_of_the_image():
  # 8x4 image, shift up by 3: y pixels 4 -> 1, 8 -> 5. A box of rows 0..2
  # leaves the image: ymin max(0, -3) = 0, ymax -1 -> clipped to 0, then
  # widened to the minimum height 0.05.
  image = _image(8, 4)
  boxes = tf.constant([[0.5, 0.0, 1.0, 0.5], [0.0, 0.0, 0.25, 1.0]])
  out, new_boxes = ops.translate_with_boxes(image, boxes, -3.0, False)
  np.testing.assert_allclose(new_boxes.numpy(),
                             [[0.125, 0.0, 0.625, 0.5], [0.0, 0.0, 0.05, 1.0]])
  np.testing.assert_array_equal(out.numpy()[:5], image.numpy()[3:])
  np.testing.assert_array_equal(out.numpy()[5:], 128.0)


def test_shear_x_box_is_bound_of_moved_truncated_corners():
  # 10x10, level 0.3, x' = x + 0.3 y on pixel corners y in {2, 6},
  # x in {1, 3}: 1.6, 3.6, 2.8, 4.8 -> truncated 1, 3, 2, 4: x in [1, 4].
  image = _image(10, 10)
  boxes = tf.constant([[0.2, 0.1, 0.6, 0.3]])
  out, new_boxes = ops.shear_with_boxes(image, boxes, 0.3, True)
  np.testing.assert_allclose(new_boxes.numpy(), [[0.2, 0.1, 0.6, 0.4]],
                             atol=1e-6)
  # Row 0 does not move; row 5 moves right by 0.3 * 5 = 1.5, read back at
  # x - 1.5 rounded to the nearest pixel.
  np.testing.assert_array_equal(out.numpy()[0], image.numpy()[0])
  assert np.all(out.numpy()[5, 0] == 128.0)


def test_shear_y_moves_y_with_x():
  # y' = y - 0.2 x; corners y {0, 5}, x {0, 5}: 0, -1, 5, 4 -> y in [-1, 5],
  # clipped to [0, 0.5].
  image = _image(10, 10)
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5]])
  _, new_boxes = ops.shear_with_boxes(image, boxes, -0.2, False)
  np.testing.assert_allclose(new_boxes.numpy(), [[0.0, 0.0, 0.5, 0.5]],
                             atol=1e-6)
  _, new_boxes = ops.shear_with_boxes(image, boxes, 0.2, False)
  # y' = y + 0.2 x: 0, 1, 5, 6 -> [0, 0.6].
  np.testing.assert_allclose(new_boxes.numpy(), [[0.0, 0.0, 0.6, 0.5]],
                             atol=1e-6)


def test_rotate_90_is_counterclockwise_for_image_and_boxes():
  # 8x8, +90 degrees: the top-left quadrant goes to the bottom-left one.
  # Centred corners (y up): y in {4, 0}, x in {-4, 0}; rotated x' = -y,
  # y' = x -> x' in [-4, 0], y' in [-4, 0] -> [0.5, 0, 1, 0.5].
  image = _image(8, 8)
  out, new_boxes = ops.rotate_with_boxes(image, tf.constant(
      [[0.0, 0.0, 0.5, 0.5]]), 90.0)
  np.testing.assert_allclose(new_boxes.numpy(), [[0.5, 0.0, 1.0, 0.5]],
                             atol=1e-6)
  np.testing.assert_array_equal(out.numpy(), np.rot90(image.numpy()))


def test_equalize_on_a_known_histogram():
  # 512 pixels: 255 of value 10, 255 of 20, 2 of 30 (every channel).
  # step = (512 - 2) // 255 = 2; value v maps to (count below v + 1) // 2:
  # 10 -> (0 + 1) // 2 = 0, 20 -> (255 + 1) // 2 = 128,
  # 30 -> (510 + 1) // 2 = 255.
  values = np.array([10.0] * 255 + [20.0] * 255 + [30.0] * 2, np.float32)
  image = tf.constant(np.tile(values.reshape(16, 32, 1), [1, 1, 3]))
  out = ops.equalize(image).numpy()
  expected = np.array([0.0] * 255 + [128.0] * 255 + [255.0] * 2)
  np.testing.assert_array_equal(out[:, :, 1].reshape(-1), expected)


def test_equalize_leaves_a_flat_channel():
  # One value only: step = (n - n) // 255 = 0 -> unchanged.
  image = tf.fill([4, 4, 3], 77.0)
  np.testing.assert_array_equal(ops.equalize(image).numpy(), 77.0)


def test_solarize_posterize_solarize_add():
  image = tf.constant([[[0.0, 127.0, 128.0], [255.0, 200.0, 63.0]]])
  np.testing.assert_array_equal(ops.solarize(image).numpy(),
                                [[[0, 127, 127], [0, 55, 63]]])
  # 2 bits: multiples of 64, rounded down.
  np.testing.assert_array_equal(ops.posterize(image, 2).numpy(),
                                [[[0, 64, 128], [192, 192, 0]]])
  # +100 below 128 only, clipped: 0 -> 100, 127 -> 227, 63 -> 163.
  np.testing.assert_array_equal(ops.solarize_add(image, 100).numpy(),
                                [[[100, 227, 128], [255, 200, 163]]])


def test_cutout_region():
  # Centre (2, 3), half-size 1: rows [1, 3), columns [2, 4).
  image = tf.zeros([6, 6, 3])
  out = ops.cutout(image, 2, 3, 1, 1).numpy()[:, :, 0]
  expected = np.zeros([6, 6])
  expected[1:3, 2:4] = 128.0
  np.testing.assert_array_equal(out, expected)


def test_blend_ops_exact():
  image = tf.constant([[[101.0, 50.0, 3.0]]])
  # Brightness 0.5: floor(0.5 * v).
  np.testing.assert_array_equal(ops.brightness(image, 0.5).numpy(),
                                [[[50, 25, 1]]])
  # Color 0: the gray 0.2989 * 101 + 0.587 * 50 + 0.114 * 3 = 59.9309 -> 60.
  np.testing.assert_array_equal(ops.color(image, 0.0).numpy(),
                                [[[60, 60, 60]]])
  # Autocontrast of values 50, 100, 150 in a channel: 0, 127.5 -> 127, 255.
  column = tf.constant([[[50.0] * 3], [[100.0] * 3], [[150.0] * 3]])
  np.testing.assert_array_equal(ops.autocontrast(column).numpy()[:, 0, 0],
                                [0, 127, 255])


def test_sharpness_smooths_interior_only():
  # Centre 0 among 13s: smoothed centre (8 * 13 + 5 * 0) / 13 = 8; factor 0
  # is the smoothed image, whose border is the original.
  image = np.full([3, 3, 3], 13.0, np.float32)
  image[1, 1] = 0.0
  out = ops.sharpness(tf.constant(image), 0.0).numpy()
  expected = np.full([3, 3, 3], 13.0)
  expected[1, 1] = 8.0
  np.testing.assert_array_equal(out, expected)


def test_apply_inside_boxes_changes_only_selected_box_pixels():
  # Box [0, 0, 0.5, 0.5] of a 4x4 image covers pixels rows/cols 0..2
  # (int(4 * 0.5) = 2, inclusive); flip them left-right.
  image = _image(4, 4)
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
  flip = lambda pixels, index: tf.reverse(pixels, axis=[1])
  out = ops.apply_inside_boxes(image, boxes, tf.constant([True, False]),
                               flip).numpy()
  expected = image.numpy().copy()
  expected[0:3, 0:3] = expected[0:3, 0:3][:, ::-1]
  np.testing.assert_array_equal(out, expected)


def test_policy_test_translates_everything_out():
  # 'test': TranslateX_BBox (p 1, magnitude 4 -> 100 pixels, random sign)
  # then Equalize. A 16x20 image shifted by 100 pixels is all grey (128),
  # which equalize keeps; every box leaves through the same side: x in
  # [0.95, 1] (right) or [0, 0.05] (left). y is quantised to 16 rows.
  image, boxes = autoaugment.autoaugment_image(_image(16, 20), _boxes(),
                                               "test", seed=SEED)
  np.testing.assert_array_equal(image.numpy(), 128.0)
  x = boxes.numpy()[:, [1, 3]]
  assert (np.allclose(x, [[0.95, 1.0]] * 3) or
          np.allclose(x, [[0.0, 0.05]] * 3)), x
  # int(16 * 0.1) = 1 -> 1 / 16; int(16 * 0.9) = 14 -> 14 / 16.
  np.testing.assert_allclose(boxes.numpy()[:, [0, 2]],
                             [[0.0625, 0.5], [0.25, 0.875], [0.0, 1.0]])


@pytest.mark.parametrize("policy_name", autoaugment.POLICY_NAMES)
def test_every_policy_keeps_range_and_boxes(policy_name):
  # Fractional input values are truncated to whole pixels first.
  image = _image(12, 16) + 0.5
  for index in range(3):
    out, boxes = autoaugment.autoaugment_image(
        image, _boxes(), policy_name, seed=tf.constant([index, 11]))
    out, boxes = out.numpy(), boxes.numpy()
    assert out.shape == (12, 16, 3) and boxes.shape == (3, 4)
    assert out.min() >= 0.0 and out.max() <= 255.0
    np.testing.assert_array_equal(out, np.floor(out))
    assert boxes.min() >= 0.0 and boxes.max() <= 1.0
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(
        boxes[:, 3] > boxes[:, 1])


def test_every_operation_runs_and_stays_in_range():
  image = _image(10, 12)
  for name in autoaugment.OPERATION_NAMES:
    out, boxes = autoaugment.apply_op(name, image, _boxes(), 1.0, 7, SEED)
    assert out.shape == image.shape and boxes.shape == (3, 4), name
    assert 0.0 <= float(tf.reduce_min(out)) <= float(tf.reduce_max(out)) \
        <= 255.0, name


def test_unknown_operation_is_an_error():
  with pytest.raises(ValueError, match=r"unknown AutoAugment operation "
                     r"'Spin'; known: AutoContrast, BBox_Cutout, "):
    autoaugment.apply_op("Spin", _image(4, 4), _boxes(), 1.0, 5, SEED)


def test_probability_zero_is_identity():
  image = _image(6, 6)
  out, boxes = autoaugment.apply_op("Rotate_BBox", image, _boxes(), 0.0, 10,
                                    SEED)
  np.testing.assert_array_equal(out.numpy(), image.numpy())
  np.testing.assert_array_equal(boxes.numpy(), _boxes().numpy())


def test_seed_determinism_and_variety():
  image = _image(12, 16)
  runs = [autoaugment.autoaugment_image(image, _boxes(), "v0",
                                        seed=tf.constant([s, 5]))
          for s in (1, 1, 2, 3, 4, 5)]
  np.testing.assert_array_equal(runs[0][0].numpy(), runs[1][0].numpy())
  np.testing.assert_array_equal(runs[0][1].numpy(), runs[1][1].numpy())
  assert any(not np.array_equal(runs[0][0].numpy(), other[0].numpy())
             for other in runs[2:])


def test_cache_repeats_the_draws():
  image = _image(12, 16)
  cache = random_ops.PreprocessorCache()
  first = autoaugment.autoaugment_image(image, _boxes(), "v1",
                                        preprocess_vars_cache=cache)
  again = autoaugment.autoaugment_image(image, _boxes(), "v1",
                                        preprocess_vars_cache=cache)
  np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
  np.testing.assert_array_equal(first[1].numpy(), again[1].numpy())


def test_unknown_policy_is_an_error():
  with pytest.raises(ValueError, match=r"autoaugment_image: unknown "
                     r"policy_name 'v9'; known policies: v0, v1, v2, v3, "
                     r"test"):
    autoaugment.autoaugment_image(_image(4, 4), _boxes(), "v9")


def test_wrong_channel_count_is_an_error():
  with pytest.raises(ValueError, match="must have 3 channels"):
    autoaugment.autoaugment_image(tf.zeros([4, 4, 1]), _boxes())


def test_unknown_shapes_and_no_boxes_in_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, None, 3]),
                                tf.TensorSpec([None, 4]),
                                tf.TensorSpec([2], tf.int64)])
  def augment(image, boxes, seed):
    return autoaugment.autoaugment_image(image, boxes, "v0", seed=seed)

  seed = tf.constant([4, 2], tf.int64)
  image, boxes = augment(_image(9, 13), _boxes(), seed)
  assert image.shape == (9, 13, 3) and boxes.shape == (3, 4)
  # Graph and eager runs with the same stateless seed agree.
  eager = autoaugment.autoaugment_image(_image(9, 13), _boxes(), "v0",
                                        seed=seed)
  np.testing.assert_array_equal(image.numpy(), eager[0].numpy())
  np.testing.assert_allclose(boxes.numpy(), eager[1].numpy(), atol=1e-6)
  image, boxes = augment(_image(9, 13), tf.zeros([0, 4]), seed)
  assert image.shape == (9, 13, 3) and boxes.shape == (0, 4)


def test_preprocess_keeps_every_box_and_mask():
  func_arg_map = preprocessor.get_default_func_arg_map(
      include_instance_masks=True)
  if autoaugment.autoaugment_image not in func_arg_map:
    pytest.skip("autoaugment is not registered in preprocessor yet")
  tensor_dict = {
      _f.image: _image(12, 16)[tf.newaxis],
      _f.groundtruth_boxes: _boxes(),
      _f.groundtruth_classes: tf.constant([1, 2, 3]),
      _f.groundtruth_weights: tf.constant([1.0, 0.5, 1.0]),
      _f.groundtruth_instance_masks: tf.ones([3, 12, 16]),
  }
  out = preprocessor.preprocess(
      tensor_dict, [(preprocessor.autoaugment_image, {"policy_name": "test"})],
      func_arg_map=func_arg_map, seed=SEED)
  assert out[_f.image].shape == (1, 12, 16, 3)
  np.testing.assert_array_equal(out[_f.image].numpy(), 128.0)
  assert out[_f.groundtruth_boxes].shape == (3, 4)
  np.testing.assert_array_equal(out[_f.groundtruth_classes].numpy(), [1, 2, 3])
  np.testing.assert_array_equal(out[_f.groundtruth_instance_masks].numpy(),
                                1.0)
