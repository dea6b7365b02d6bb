"""Tests for object_detection/builders/image_resizer_builder.py."""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import image_resizer_builder
from object_detection.protos import image_resizer_pb2
from tests.conftest import upstream_params


def _build(text, **kwargs):
  return image_resizer_builder.build(
      text_format.Parse(text, image_resizer_pb2.ImageResizer()), **kwargs)


def test_keep_aspect_ratio_resizer():
  # 100x200: min 80 -> 80x160 > 120 -> scale .6 -> 60x120.
  resizer = _build("keep_aspect_ratio_resizer { min_dimension: 80 "
                   "max_dimension: 120 }")
  image, masks, shape = resizer(tf.zeros([100, 200, 3]),
                                masks=tf.zeros([2, 100, 200]))
  assert image.shape == (60, 120, 3) and masks.shape == (2, 60, 120)
  np.testing.assert_array_equal(shape, [60, 120, 3])


def test_keep_aspect_ratio_with_padding_and_pad_values():
  resizer = _build("""keep_aspect_ratio_resizer {
      min_dimension: 80 max_dimension: 120 pad_to_max_dimension: true
      per_channel_pad_value: [1, 2, 3] }""")
  image, shape = resizer(tf.zeros([100, 200, 3]))
  assert image.shape == (120, 120, 3)
  np.testing.assert_array_equal(shape, [60, 120, 3])
  np.testing.assert_allclose(image.numpy()[100, 5], [1, 2, 3])


def test_fixed_shape_resizer_in_graph_mode():
  resizer = _build("fixed_shape_resizer { height: 32 width: 48 "
                   "resize_method: NEAREST_NEIGHBOR }")

  @tf.function(input_signature=[tf.TensorSpec([None, None, 3], tf.uint8)])
  def resize(image):
    return resizer(image)

  image, shape = resize(tf.zeros([10, 20, 3], tf.uint8))
  assert image.shape == (32, 48, 3) and image.dtype == tf.uint8
  np.testing.assert_array_equal(shape, [32, 48, 3])


def test_identity_resizer():
  image, masks, shape = _build("identity_resizer {}")(
      tf.zeros([7, 9, 3]), tf.zeros([1, 7, 9]))
  assert image.shape == (7, 9, 3) and masks.shape == (1, 7, 9)
  np.testing.assert_array_equal(shape, [7, 9, 3])


def test_convert_to_grayscale():
  resizer = _build("fixed_shape_resizer { height: 4 width: 4 "
                   "convert_to_grayscale: true }")
  image, shape = resizer(tf.ones([8, 8, 3]))
  assert image.shape == (4, 4, 1)
  # Luma weights .2989 + .587 + .114 = .9999.
  np.testing.assert_allclose(image.numpy(), np.full([4, 4, 1], 0.9999),
                             rtol=1e-5)
  np.testing.assert_array_equal(shape, [4, 4, 1])


def test_conditional_and_pad_to_multiple_resizers():
  # GREATER: shrink so the larger side is at most 10: 20x40 -> 5x10.
  _, shape = _build("conditional_shape_resizer { condition: GREATER "
                    "size_threshold: 10 }")(tf.zeros([20, 40, 3]))
  np.testing.assert_array_equal(shape, [5, 10, 3])
  image, shape = _build("pad_to_multiple_resizer { multiple: 8 }")(
      tf.zeros([9, 17, 3]))
  assert image.shape == (16, 24, 3)
  np.testing.assert_array_equal(shape, [9, 17, 3])


@pytest.mark.parametrize("text, message", [
    ("", "image_resizer: no image resizer set; expected one of: "
     "keep_aspect_ratio_resizer, fixed_shape_resizer, identity_resizer"),
    ("keep_aspect_ratio_resizer { min_dimension: 800 max_dimension: 600 }",
     r"image_resizer.keep_aspect_ratio_resizer.min_dimension: must be <= "
     r"max_dimension \(600\), got 800"),
    ("fixed_shape_resizer { height: 0 }",
     "image_resizer.fixed_shape_resizer.height: must be > 0, got 0"),
    ("conditional_shape_resizer { condition: INVALID }",
     "image_resizer.conditional_shape_resizer.condition: must be GREATER or "
     "SMALLER, got INVALID"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    _build(text)


def test_path_and_type_error():
  with pytest.raises(ValueError, match="^model.faster_rcnn.image_resizer.fixed"):
    _build("fixed_shape_resizer { width: -1 }",
           path="model.faster_rcnn.image_resizer")
  with pytest.raises(TypeError, match="expected an ImageResizer message"):
    image_resizer_builder.build(image_resizer_pb2.FixedShapeResizer())


@pytest.mark.parametrize("config_path", upstream_params("*/*rcnn*.config"))
def test_upstream_faster_rcnn_resizers_build(config_path):
  from object_detection.protos import pipeline_pb2  # pylint: disable=g-import-not-at-top
  with open(config_path) as config_file:
    config = text_format.Parse(config_file.read(),
                               pipeline_pb2.TrainEvalPipelineConfig())
  resizer = image_resizer_builder.build(config.model.faster_rcnn.image_resizer)
  outputs = resizer(tf.zeros([60, 80, 3]))
  assert outputs[0].shape.rank == 3
