"""Tests for anchor_generators/multiple_grid_anchor_generator.py."""

import doctest
import math

import numpy as np
import pytest
import tensorflow as tf

from object_detection.anchor_generators import multiple_grid_anchor_generator

ag = multiple_grid_anchor_generator

# Height and width of a unit box with aspect ratio 0.5.
H = math.sqrt(2)
W = 1.0 / math.sqrt(2)
SPECS_TWO_MAPS = [[(1.0, 1.0), (2.0, 1.0), (1.0, 0.5)],
                  [(1.0, 1.0), (1.0, 0.5)]]


def test_single_cell_in_pixels_follows_spec_order():
  specs = [[(.5, .25), (1.0, .25), (2.0, .25), (.5, 1.0), (1.0, 1.0),
            (2.0, 1.0), (.5, 4.0), (1.0, 4.0), (2.0, 4.0)]]
  gen = ag.MultipleGridAnchorGenerator(specs, base_anchor_size=[256, 256],
                                       anchor_strides=[(16, 16)],
                                       anchor_offsets=[(7, -3)])
  [anchors] = gen.generate([(1, 1)])
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-121, -35, 135, 29], [-249, -67, 263, 61], [-505, -131, 519, 125],
      [-57, -67, 71, 61], [-121, -131, 135, 125], [-249, -259, 263, 253],
      [-25, -131, 39, 125], [-57, -259, 71, 253], [-121, -515, 135, 509]])


def test_grid_in_pixels():
  gen = ag.MultipleGridAnchorGenerator([[(0.5, 1.0), (1.0, 1.0), (2.0, 1.0)]],
                                       base_anchor_size=[10, 10],
                                       anchor_strides=[(19, 19)],
                                       anchor_offsets=[(0, 0)])
  [anchors] = gen.generate([(2, 2)])
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-2.5, -2.5, 2.5, 2.5], [-5., -5., 5., 5.], [-10., -10., 10., 10.],
      [-2.5, 16.5, 2.5, 21.5], [-5., 14., 5, 24], [-10., 9., 10, 29],
      [16.5, -2.5, 21.5, 2.5], [14., -5., 24, 5], [9., -10., 29, 10],
      [16.5, 16.5, 21.5, 21.5], [14., 14., 24, 24], [9., 9., 29, 29]])


def test_default_strides_are_reciprocal_of_map_size():
  # 1 x 2 map: stride (1, 0.5), offset (0.5, 0.25); unit box.
  gen = ag.MultipleGridAnchorGenerator([[(1.0, 1.0)]], base_anchor_size=[1, 1])
  [anchors] = gen.generate([(tf.constant(1), tf.constant(2))])
  np.testing.assert_allclose(anchors.get().numpy(),
                             [[0., -0.25, 1., 0.75], [0., 0.25, 1., 1.25]])


def test_non_square_image_keeps_square_anchors():
  # 320 x 640 image: base height scaled by 320/320, width by 320/640.
  gen = ag.MultipleGridAnchorGenerator([[(1.0, 1.0)]], base_anchor_size=[1, 1])
  [anchors] = gen.generate([(1, 2)], im_height=320, im_width=640)
  np.testing.assert_allclose(anchors.get().numpy(),
                             [[0., 0., 1., 0.5], [0., 0.5, 1., 1.]])


def _two_map_generator(**kwargs):
  return ag.MultipleGridAnchorGenerator(SPECS_TWO_MAPS,
                                        base_anchor_size=[1.0, 1.0], **kwargs)


def test_multiple_grids():
  gen = _two_map_generator(anchor_strides=[(.25, .25), (.5, .5)],
                           anchor_offsets=[(.125, .125), (.25, .25)])
  big, small = gen.generate([(4, 4), (2, 2)])
  assert gen.num_anchors_per_location() == [3, 2]
  assert (big.num_boxes_static(), small.num_boxes_static()) == (48, 8)
  np.testing.assert_allclose(big.get().numpy()[:3], [
      [.125 - .5, .125 - .5, .125 + .5, .125 + .5],
      [.125 - 1., .125 - 1., .125 + 1., .125 + 1.],
      [.125 - .5 * H, .125 - .5 * W, .125 + .5 * H, .125 + .5 * W]])
  np.testing.assert_allclose(small.get().numpy(), [
      [-.25, -.25, .75, .75],
      [.25 - .5 * H, .25 - .5 * W, .25 + .5 * H, .25 + .5 * W],
      [-.25, .25, .75, 1.25],
      [.25 - .5 * H, .75 - .5 * W, .25 + .5 * H, .75 + .5 * W],
      [.25, -.25, 1.25, .75],
      [.75 - .5 * H, .25 - .5 * W, .75 + .5 * H, .25 + .5 * W],
      [.25, .25, 1.25, 1.25],
      [.75 - .5 * H, .75 - .5 * W, .75 + .5 * H, .75 + .5 * W]], rtol=1e-6)
  np.testing.assert_array_equal(
      small.get_field("feature_map_index").numpy(), [1] * 8)


def test_multiple_grids_with_clipping():
  gen = _two_map_generator(clip_window=[0, 0, 1, 1])
  _, small = gen.generate([(4, 4), (2, 2)])
  np.testing.assert_allclose(small.get().numpy(), [
      [0, 0, .75, .75], [0, 0, .25 + .5 * H, .25 + .5 * W],
      [0, .25, .75, 1], [0, .75 - .5 * W, .25 + .5 * H, 1],
      [.25, 0, 1, .75], [.75 - .5 * H, 0, 1, .25 + .5 * W],
      [.25, .25, 1, 1], [.75 - .5 * H, .75 - .5 * W, 1, 1]], rtol=1e-6)


def test_dynamic_shapes_and_image_size_in_tf_function():
  gen = ag.MultipleGridAnchorGenerator([[(1.0, 1.0)]], base_anchor_size=[1, 1])

  @tf.function(input_signature=[tf.TensorSpec([], tf.int32)] * 4)
  def run(height, width, im_height, im_width):
    [anchors] = gen.generate([(height, width)], im_height=im_height,
                             im_width=im_width)
    return anchors.get()

  np.testing.assert_allclose(
      run(tf.constant(1), tf.constant(2), tf.constant(320),
          tf.constant(640)).numpy(),
      [[0., 0., 1., 0.5], [0., 0.5, 1., 1.]])


@pytest.mark.parametrize("specs", [
    [[(1.0, 1.0)], [(1.0, 0.5, .3)]],
    [(1.0, 1.0), (2.0, 1.0)],
])
def test_invalid_box_specs(specs):
  with pytest.raises(ValueError, match="box_specs_list must be a list of "
                     "lists of"):
    ag.MultipleGridAnchorGenerator(specs)


def test_invalid_strides_and_feature_map_count():
  with pytest.raises(ValueError) as error:
    _two_map_generator(anchor_strides=[(.25, .25)])
  assert str(error.value) == (
      "MultipleGridAnchorGenerator: anchor_strides must be a list of 2 (y, x) "
      "pairs, one per feature map, got [(0.25, 0.25)]")
  with pytest.raises(ValueError, match="anchor_offsets must be a list of 2"):
    _two_map_generator(anchor_offsets=[(.25, .25, .1), (.5, .5)])
  with pytest.raises(ValueError, match="expected 2 feature map shape"):
    _two_map_generator().generate([(4, 4), (2, 2), (1, 1)])
  with pytest.raises(ValueError, match="must be a .height, width. pair"):
    _two_map_generator().generate([(4, 4, 4), (2, 2)])


def test_create_ssd_anchors_counts():
  shapes = [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
  reduced = ag.create_ssd_anchors(reduce_boxes_in_lowest_layer=True)
  assert reduced.num_anchors_per_location() == [3, 6, 6, 6, 6, 6]
  assert sum(b.num_boxes_static() for b in reduced.generate(shapes)) == 7308
  full = ag.create_ssd_anchors(reduce_boxes_in_lowest_layer=False)
  assert sum(b.num_boxes_static() for b in full.generate(shapes)) == 11640


def test_create_ssd_anchors_scales_and_specs():
  # 3 layers: scales 0.2, 0.575, 0.95 (and 1.0 after the last).
  gen = ag.create_ssd_anchors(num_layers=3, aspect_ratios=[1.0, 2.0])
  anchors = gen.generate([(1, 1)] * 3, im_height=100, im_width=100)
  sizes = [b.get().numpy()[:, 2:] - b.get().numpy()[:, :2] for b in anchors]
  # Layer 0 reduced: (0.1, 1), (0.2, 2), (0.2, 0.5).
  np.testing.assert_allclose(sizes[0], [
      [0.1, 0.1], [0.2 / 2**.5, 0.2 * 2**.5], [0.2 * 2**.5, 0.2 / 2**.5]],
                             rtol=1e-6)
  # Layer 2: (0.95, 1), (0.95, 2), interpolated sqrt(0.95 * 1.0).
  s = math.sqrt(0.95)
  np.testing.assert_allclose(sizes[2], [
      [0.95, 0.95], [0.95 / 2**.5, 0.95 * 2**.5], [s, s]], rtol=1e-6)
  # Layer 1 interpolated scale sqrt(0.575 * 0.95).
  s = math.sqrt(0.575 * 0.95)
  np.testing.assert_allclose(sizes[1][-1], [s, s], rtol=1e-6)


def test_create_ssd_anchors_explicit_scales_not_mutated_and_single_layer():
  scales = [0.3, 0.6]
  gen = ag.create_ssd_anchors(num_layers=2, scales=scales, aspect_ratios=[1.0],
                              interpolated_scale_aspect_ratio=0.0,
                              reduce_boxes_in_lowest_layer=False)
  assert scales == [0.3, 0.6]
  assert gen.num_anchors_per_location() == [1, 1]
  single = ag.create_ssd_anchors(num_layers=1, min_scale=0.5,
                                 aspect_ratios=[1.0],
                                 reduce_boxes_in_lowest_layer=False)
  [anchors] = single.generate([(1, 1)])
  # (0.5, 1.0) plus interpolated sqrt(0.5 * 1.0), centred at 0.5.
  s = math.sqrt(0.5)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [0.25, 0.25, 0.75, 0.75], [0.5 - s / 2, 0.5 - s / 2, 0.5 + s / 2,
                                 0.5 + s / 2]], rtol=1e-6)
  with pytest.raises(ValueError, match="num_layers must be >= 1, got 0"):
    ag.create_ssd_anchors(num_layers=0)


def test_ssd_pixel_strides_are_normalised_by_image_size():
  gen = ag.create_ssd_anchors(num_layers=1, min_scale=0.5, aspect_ratios=[1.0],
                              interpolated_scale_aspect_ratio=0.0,
                              reduce_boxes_in_lowest_layer=False,
                              anchor_strides=[(100, 50)],
                              anchor_offsets=[(50, 25)])
  [anchors] = gen.generate([(2, 2)], im_height=200, im_width=100)
  # min dim 100: height 0.5 * 100/200 = 0.25, width 0.5 * 100/100 = 0.5.
  # Centres y in {0.25, 0.75}, x in {0.25, 0.75}.
  expected = [[y - .125, x - .25, y + .125, x + .25]
              for y in (.25, .75) for x in (.25, .75)]
  np.testing.assert_allclose(anchors.get().numpy(), expected, rtol=1e-6)


def test_docstring_example():
  result = doctest.testmod(multiple_grid_anchor_generator)
  assert result.attempted > 0 and result.failed == 0
