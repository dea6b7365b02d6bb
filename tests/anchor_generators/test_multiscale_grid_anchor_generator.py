"""Tests for anchor_generators/multiscale_grid_anchor_generator.py."""

import doctest

import numpy as np
import pytest
import tensorflow as tf

from object_detection.anchor_generators import multiscale_grid_anchor_generator

mg = multiscale_grid_anchor_generator


def _gen(min_level=5, max_level=5, anchor_scale=4.0, aspect_ratios=(1.0,),
         scales_per_octave=1, normalize_coordinates=False):
  return mg.MultiscaleGridAnchorGenerator(
      min_level, max_level, anchor_scale, aspect_ratios, scales_per_octave,
      normalize_coordinates=normalize_coordinates)


def test_single_level_absolute():
  # Level 5: stride 32, base 4 * 32 = 128, 64 % 32 == 0 -> offset 16.
  [anchors] = _gen().generate([(2, 2)], im_height=64, im_width=64)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-48, -48, 80, 80], [-48, -16, 80, 112],
      [-16, -48, 112, 80], [-16, -16, 112, 112]])


def test_unit_image_size_gives_half_stride_offsets():
  [anchors] = _gen(anchor_scale=1.0).generate([(2, 2)], im_height=1,
                                               im_width=1)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [0, 0, 32, 32], [0, 32, 32, 64], [32, 0, 64, 32], [32, 32, 64, 64]])


def test_no_image_size_without_normalisation_gives_half_stride_offsets():
  [anchors] = _gen(anchor_scale=1.0).generate([(1, 1)])
  np.testing.assert_allclose(anchors.get().numpy(), [[0, 0, 32, 32]])


def test_normalised():
  [anchors] = _gen(normalize_coordinates=True).generate(
      [(2, 2)], im_height=64, im_width=128)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-48. / 64, -48. / 128, 80. / 64, 80. / 128],
      [-48. / 64, -16. / 128, 80. / 64, 112. / 128],
      [-16. / 64, -48. / 128, 112. / 64, 80. / 128],
      [-16. / 64, -16. / 128, 112. / 64, 112. / 128]], rtol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"im_height": 1, "im_width": 1},
                                    {"im_height": 64}])
def test_normalised_needs_image_size(kwargs):
  gen = _gen(anchor_scale=1.0, normalize_coordinates=True)
  with pytest.raises(ValueError) as error:
    gen.generate([(2, 2)], **kwargs)
  assert str(error.value) == (
      "MultiscaleGridAnchorGenerator: normalize_coordinates=True needs the "
      "image size at generate(); expected im_height and im_width (pixels, > "
      "1), got im_height={!r}, im_width={!r}".format(
          kwargs.get("im_height"), kwargs.get("im_width")))


def test_num_anchors_per_location():
  assert _gen(5, 6, 4.0, [1.0, 2.0], 3).num_anchors_per_location() == [6, 6]


def test_tensor_image_size_gives_zero_offsets():
  [anchors] = _gen().generate([(2, 2)], im_height=tf.constant(64),
                              im_width=tf.constant(64))
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-64, -64, 64, 64], [-64, -32, 64, 96],
      [-32, -64, 96, 64], [-32, -32, 96, 96]])


def test_odd_image_size_gives_zero_offsets():
  [anchors] = _gen().generate([(3, 3)], im_height=65, im_width=65)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-64, -64, 64, 64], [-64, -32, 64, 96], [-64, 0, 64, 128],
      [-32, -64, 96, 64], [-32, -32, 96, 96], [-32, 0, 96, 128],
      [0, -64, 128, 64], [0, -32, 128, 96], [0, 0, 128, 128]])


def test_offset_rule_per_axis():
  # 64 x 48: 48 % 32 != 0 -> x offset 0, y offset 16.
  [anchors] = _gen().generate([(1, 1)], im_height=64, im_width=48)
  np.testing.assert_allclose(anchors.get().numpy(), [[-48, -64, 80, 64]])


def test_two_levels():
  levels = _gen(5, 6).generate([(2, 2), (1, 1)], im_height=64, im_width=64)
  out = np.concatenate([b.get().numpy() for b in levels])
  np.testing.assert_allclose(out, [
      [-48, -48, 80, 80], [-48, -16, 80, 112], [-16, -48, 112, 80],
      [-16, -16, 112, 112], [-96, -96, 160, 160]])
  np.testing.assert_array_equal(
      levels[1].get_field("feature_map_index").numpy(), [1])


def test_order_is_aspect_ratio_then_octave_scale():
  # Level 6: base 256, centre 32; scales 1 and sqrt(2).
  [anchors] = _gen(6, 6, 4.0, [1.0, 2.0], 2).generate(
      [(1, 1)], im_height=64, im_width=64)
  np.testing.assert_allclose(anchors.get().numpy(), [
      [-96., -96., 160., 160.],
      [-149.0193, -149.0193, 213.0193, 213.0193],
      [-58.50967, -149.0193, 122.50967, 213.0193],
      [-96., -224., 160., 288.]], rtol=1e-5)


def test_dynamic_feature_map_shapes_in_tf_function():
  gen = _gen(5, 6)

  @tf.function(input_signature=[tf.TensorSpec([], tf.int32)] * 4)
  def run(h1, w1, h2, w2):
    levels = gen.generate([(h1, w1), (h2, w2)], im_height=64, im_width=64)
    return tf.concat([b.get() for b in levels], axis=0)

  np.testing.assert_allclose(
      run(*[tf.constant(v) for v in (2, 2, 1, 1)]).numpy(), [
          [-48, -48, 80, 80], [-48, -16, 80, 112], [-16, -48, 112, 80],
          [-16, -16, 112, 112], [-96, -96, 160, 160]])


def test_retinanet_1024_count_and_graph_equals_eager():
  gen = mg.MultiscaleGridAnchorGenerator(3, 7, 4.0, [0.5, 1.0, 2.0], 3)
  shapes = [(1024 // 2**l, 1024 // 2**l) for l in range(3, 8)]
  eager = gen.generate(shapes, im_height=1024, im_width=1024)
  assert sum(b.num_boxes_static() for b in eager) == 196416
  graph = tf.function(lambda: [b.get() for b in gen.generate(
      shapes, im_height=1024, im_width=1024)])()
  for e, g in zip(eager, graph):
    np.testing.assert_allclose(g.numpy(), e.get().numpy(), rtol=1e-6)
  # Last anchor: level 7 cell (7, 7), a=2, scale 2^(2/3): centre 960.
  half = 0.5 * 512 * 2**(2 / 3)
  expected = np.array([960 - half / 2**.5, 960 - half * 2**.5,
                       960 + half / 2**.5, 960 + half * 2**.5]) / 1024
  np.testing.assert_allclose(eager[-1].get().numpy()[-1], expected, rtol=1e-6)


def test_constructor_errors():
  with pytest.raises(ValueError, match="min_level must be <= max_level, got "
                     "min_level=6, max_level=5"):
    _gen(6, 5)
  with pytest.raises(ValueError, match="scales_per_octave must be >= 1, got 0"):
    _gen(scales_per_octave=0)
  with pytest.raises(ValueError, match="expected 2 feature map shape"):
    _gen(5, 6).generate([(2, 2)], im_height=64, im_width=64)


def test_docstring_example():
  result = doctest.testmod(multiscale_grid_anchor_generator)
  assert result.attempted > 0 and result.failed == 0


def test_repeated_eager_calls_with_other_image_sizes_do_not_mix():
  gen = _gen(normalize_coordinates=True)
  [first] = gen.generate([(2, 2)], im_height=64, im_width=64)
  [other] = gen.generate([(2, 2)], im_height=128, im_width=128)
  [again] = gen.generate([(2, 2)], im_height=64, im_width=64)
  np.testing.assert_array_equal(again.get().numpy(), first.get().numpy())
  np.testing.assert_allclose(other.get().numpy() * 2, first.get().numpy(),
                             rtol=1e-6)
