"""Tests for anchor_generators/flexible_grid_anchor_generator.py."""

import doctest

import numpy as np
import pytest
import tensorflow as tf

from object_detection.anchor_generators import flexible_grid_anchor_generator

FlexibleGridAnchorGenerator = (
    flexible_grid_anchor_generator.FlexibleGridAnchorGenerator)

# Pairs (8, 1.0) -> 8 x 8 and (16, 4.0) -> h 16/2 = 8, w 16*2 = 32; stride
# 16, offset 8, grid 1 x 2: centres (8, 8) and (8, 24).
PIXELS = [[4, 4, 12, 12], [4, -8, 12, 24], [4, 20, 12, 28], [4, 8, 12, 40]]


def _gen(normalize_coordinates):
  return FlexibleGridAnchorGenerator(
      base_sizes=[(8.0, 16.0)], aspect_ratios=[(1.0, 4.0)],
      anchor_strides=[(16, 16)], anchor_offsets=[(8, 8)],
      normalize_coordinates=normalize_coordinates)


def test_absolute_pairs_in_order():
  [anchors] = _gen(False).generate([(1, 2)])
  np.testing.assert_allclose(anchors.get().numpy(), PIXELS)


def test_normalised():
  [anchors] = _gen(True).generate([(1, 2)], im_height=32, im_width=64)
  expected = np.array(PIXELS, np.float64) / [32, 64, 32, 64]
  np.testing.assert_allclose(anchors.get().numpy(), expected, rtol=1e-6)


def test_normalised_with_tensor_image_size_in_tf_function():
  gen = _gen(True)

  @tf.function(input_signature=[tf.TensorSpec([], tf.int32)] * 4)
  def run(height, width, im_height, im_width):
    [anchors] = gen.generate([(height, width)], im_height=im_height,
                             im_width=im_width)
    return anchors.get()

  out = run(*[tf.constant(v) for v in (1, 2, 32, 64)])
  expected = np.array(PIXELS, np.float64) / [32, 64, 32, 64]
  np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_normalised_needs_image_size():
  with pytest.raises(ValueError) as error:
    _gen(True).generate([(1, 2)])
  assert str(error.value) == (
      "FlexibleGridAnchorGenerator: normalize_coordinates=True needs the "
      "image size at generate(); expected im_height and im_width (pixels, > "
      "1), got im_height=None, im_width=None")


def test_two_maps_with_own_strides():
  gen = FlexibleGridAnchorGenerator(
      base_sizes=[(4.0,), (8.0, 8.0)], aspect_ratios=[(1.0,), (1.0, 0.25)],
      anchor_strides=[(4, 4), (8, 8)], anchor_offsets=[(2, 2), (0, 0)],
      normalize_coordinates=False)
  assert gen.num_anchors_per_location() == [1, 2]
  first, second = gen.generate([(2, 1), (1, 1)])
  np.testing.assert_allclose(first.get().numpy(), [[0, 0, 4, 4],
                                                   [4, 0, 8, 4]])
  # (8, 0.25): h = 16, w = 4 at (0, 0).
  np.testing.assert_allclose(second.get().numpy(), [[-4, -4, 4, 4],
                                                    [-8, -2, 8, 2]])
  np.testing.assert_array_equal(
      second.get_field("feature_map_index").numpy(), [1, 1])
  with pytest.raises(ValueError, match="expected 2 feature map shape"):
    gen.generate([(2, 1)])


def test_mismatched_pairs():
  with pytest.raises(ValueError) as error:
    FlexibleGridAnchorGenerator([(1.0, 2.0)], [(1.0,)], [(8, 8)], [(0, 0)])
  assert str(error.value) == (
      "FlexibleGridAnchorGenerator: feature map 0: base_sizes has 2 values "
      "but aspect_ratios has 1; each anchor is one (base_size, aspect_ratio) "
      "pair")
  with pytest.raises(ValueError, match=r"got lengths \[1, 1, 2, 1\]"):
    FlexibleGridAnchorGenerator([(1.0,)], [(1.0,)], [(8, 8), (8, 8)],
                                [(0, 0)])


def test_docstring_example():
  result = doctest.testmod(flexible_grid_anchor_generator)
  assert result.attempted > 0 and result.failed == 0
