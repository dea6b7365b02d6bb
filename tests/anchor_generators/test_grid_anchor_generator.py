"""Tests for object_detection.anchor_generators.grid_anchor_generator."""

import doctest

import numpy as np
import pytest
import tensorflow as tf

from object_detection.anchor_generators import grid_anchor_generator

GridAnchorGenerator = grid_anchor_generator.GridAnchorGenerator

# scales (0.5, 1, 2) x aspect ratios (1,) on base 10, stride 19, offset 0,
# 2x2 grid: half sizes 2.5, 5, 10 around centres (0,0) (0,19) (19,0) (19,19).
GRID_2X2 = [[-2.5, -2.5, 2.5, 2.5], [-5., -5., 5., 5.],
            [-10., -10., 10., 10.], [-2.5, 16.5, 2.5, 21.5],
            [-5., 14., 5, 24], [-10., 9., 10, 29],
            [16.5, -2.5, 21.5, 2.5], [14., -5., 24, 5],
            [9., -10., 29, 10], [16.5, 16.5, 21.5, 21.5],
            [14., 14., 24, 24], [9., 9., 29, 29]]


def test_single_cell_order_is_aspect_ratio_then_scale():
  # Base 256, centre (7, -3). Aspect ratio 0.25 -> h = 2 * s * 256 / 2 ...
  # e.g. s=0.5, a=0.25: h = 0.5 / 0.5 * 256 = 256, w = 0.5 * 0.5 * 256 = 64
  # -> [7 - 128, -3 - 32, 7 + 128, -3 + 32] = [-121, -35, 135, 29].
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [0.25, 1.0, 4.0],
                            anchor_offset=[7, -3])
  [anchors] = gen.generate([(1, 1)])
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-121, -35, 135, 29], [-249, -67, 263, 61], [-505, -131, 519, 125],
      [-57, -67, 71, 61], [-121, -131, 135, 125], [-249, -259, 263, 253],
      [-25, -131, 39, 125], [-57, -259, 71, 253], [-121, -515, 135, 509]])


def test_grid_is_row_major():
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [1.0], base_anchor_size=[10, 10],
                            anchor_stride=[19, 19], anchor_offset=[0, 0])
  [anchors] = gen.generate([(2, 2)])
  np.testing.assert_allclose(anchors.get().numpy(), GRID_2X2)
  assert anchors.get().shape.as_list() == [12, 4]


def test_non_square_grid_and_strides():
  # One 4x2 anchor, stride (10, 20), offset (1, 2); grid 2 rows x 3 cols.
  gen = GridAnchorGenerator([1.0], [0.5], base_anchor_size=[2 * 2**0.5,
                                                             2**0.5 * 4],
                            anchor_stride=[10, 20], anchor_offset=[1, 2])
  [anchors] = gen.generate([(2, 3)])
  # h = 2*sqrt(2)/sqrt(.5) = 4, w = 4*sqrt(2)*sqrt(.5) = 4.
  expected = [[y - 2, x - 2, y + 2, x + 2]
              for y in (1, 11) for x in (2, 22, 42)]
  np.testing.assert_allclose(anchors.get().numpy(), expected, atol=1e-5)


def test_defaults():
  gen = GridAnchorGenerator()
  assert gen.num_anchors_per_location() == [9]
  assert gen.name_scope() == "GridAnchorGenerator"
  [anchors] = gen.generate([(2, 3)])
  boxes = anchors.get().numpy()
  assert boxes.shape == (54, 4)
  # Default base 256, stride 16, offset 0: anchor 4 (a=1, s=1) of cell
  # (1, 2) is centred at (16, 32).
  np.testing.assert_allclose(boxes[(1 * 3 + 2) * 9 + 4],
                             [16 - 128, 32 - 128, 16 + 128, 32 + 128])


def test_several_feature_maps_each_tiled_with_the_spec():
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [1.0], base_anchor_size=[10, 10],
                            anchor_stride=[19, 19], anchor_offset=[0, 0])
  first, second = gen.generate([(2, 2), (1, 1)])
  np.testing.assert_allclose(first.get().numpy(), GRID_2X2)
  np.testing.assert_allclose(second.get().numpy(), GRID_2X2[:3])
  np.testing.assert_array_equal(
      first.get_field("feature_map_index").numpy(), [0] * 12)
  np.testing.assert_array_equal(
      second.get_field("feature_map_index").numpy(), [1] * 3)


def test_issue_example_values():
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [0.5, 1.0, 2.0],
                            base_anchor_size=[256, 256],
                            anchor_stride=[16, 16])
  maps = gen.generate([(8, 8), (4, 4)])
  assert [m.num_boxes_static() for m in maps] == [576, 144]
  # a=0.5, s=0.5: h = 0.5 / sqrt(.5) * 256 = 181.02, w = 90.51 at (0, 0).
  half_h, half_w = 0.5 * 0.5 / 0.5**0.5 * 256, 0.5 * 0.5 * 0.5**0.5 * 256
  np.testing.assert_allclose(maps[0].get().numpy()[0],
                             [-half_h, -half_w, half_h, half_w], rtol=1e-6)


def test_dynamic_shapes_in_tf_function():
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [1.0], base_anchor_size=[10, 10],
                            anchor_stride=[19, 19], anchor_offset=[0, 0])

  @tf.function(input_signature=[tf.TensorSpec([], tf.int32)] * 2)
  def run(height, width):
    [anchors] = gen.generate([(height, width)])
    assert anchors.get().shape.as_list() == [None, 4]
    return anchors.get(), anchors.get_field("feature_map_index")

  boxes, index = run(tf.constant(2), tf.constant(2))
  np.testing.assert_allclose(boxes.numpy(), GRID_2X2)
  np.testing.assert_array_equal(index.numpy(), [0] * 12)


def test_static_shapes_in_tf_function_match_eager():
  gen = GridAnchorGenerator()

  @tf.function
  def run():
    [anchors] = gen.generate([(5, 7)])
    assert anchors.get().shape.as_list() == [315, 4]
    return anchors.get()

  [eager] = gen.generate([(5, 7)])
  np.testing.assert_array_equal(run().numpy(), eager.get().numpy())


def test_tile_anchors_with_tensor_scalars_matches_python_scalars():
  args = ([1.0, 2.0], [3.0, 0.5])
  static = grid_anchor_generator.tile_anchors(
      3, 2, *args, stride=(4.0, 5.0), offset=(1.0, 2.0), size_scale=(2.0, 3.0),
      coord_scale=(0.1, 0.2))
  dynamic = grid_anchor_generator.tile_anchors(
      tf.constant(3), tf.constant(2), *args,
      stride=(tf.constant(4.0), tf.constant(5.0)),
      offset=(tf.constant(1.0), tf.constant(2.0)),
      size_scale=(tf.constant(2.0), tf.constant(3.0)),
      coord_scale=(tf.constant(0.1), tf.constant(0.2)))
  # Cell (2, 1), anchor 1: centre (1 + 8, 2 + 5) = (9, 7); half sizes
  # (2 * 2, 0.5 * 3) = (4, 1.5); scaled by (0.1, 0.2).
  np.testing.assert_allclose(static.numpy()[(2 * 2 + 1) * 2 + 1],
                             [0.5, 1.1, 1.3, 1.7], rtol=1e-6)
  np.testing.assert_allclose(dynamic.numpy(), static.numpy(), rtol=1e-6)


def test_generate_rejects_unknown_keywords():
  with pytest.raises(TypeError):
    GridAnchorGenerator().generate([(2, 2)], im_height=10)


def test_bad_pair_argument():
  with pytest.raises(ValueError) as error:
    GridAnchorGenerator(anchor_stride=[16])
  assert str(error.value) == (
      "anchor_stride must be a (height, width) pair of numbers, got [16]")


def test_docstring_example():
  result = doctest.testmod(grid_anchor_generator)
  assert result.attempted > 0 and result.failed == 0


def test_eager_tensor_height_with_int_width():
  gen = GridAnchorGenerator([0.5, 1.0, 2.0], [1.0], base_anchor_size=[10, 10],
                            anchor_stride=[19, 19], anchor_offset=[0, 0])
  [anchors] = gen.generate([(tf.constant(2), 2)])
  np.testing.assert_allclose(anchors.get().numpy(), GRID_2X2)
