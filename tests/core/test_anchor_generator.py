"""Tests for object_detection.core.anchor_generator."""

import doctest

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import anchor_generator
from object_detection.core import box_list


class _OneBoxPerCell(anchor_generator.AnchorGenerator):
  """Test generator: one unit box per cell, maps given at construction."""

  def __init__(self, num_maps, any_count=False):
    self._num_maps = num_maps
    self._any_count = any_count

  def name_scope(self):
    return "OneBoxPerCell"

  @property
  def check_num_anchors(self):
    return not self._any_count

  def num_anchors_per_location(self):
    return [1] * self._num_maps

  def _generate(self, feature_map_shape_list, offset=0.0):
    out = []
    for height, width in feature_map_shape_list:
      rows, cols = tf.meshgrid(tf.range(height, dtype=tf.float32),
                               tf.range(width, dtype=tf.float32),
                               indexing="ij")
      rows = tf.reshape(rows, [-1]) + offset
      cols = tf.reshape(cols, [-1]) + offset
      out.append(box_list.BoxList(
          tf.stack([rows, cols, rows + 1, cols + 1], axis=1)))
    return out


def test_generate_tags_feature_map_index_and_passes_params():
  boxes = _OneBoxPerCell(2).generate([(2, 1), (1, 1)], offset=10.0)
  assert [b.num_boxes_static() for b in boxes] == [2, 1]
  np.testing.assert_array_equal(boxes[0].get().numpy(),
                                [[10, 10, 11, 11], [11, 10, 12, 11]])
  index0 = boxes[0].get_field("feature_map_index")
  assert index0.dtype == tf.int32
  np.testing.assert_array_equal(index0.numpy(), [0, 0])
  np.testing.assert_array_equal(
      boxes[1].get_field(anchor_generator.FEATURE_MAP_INDEX_FIELD).numpy(),
      [1])


def test_wrong_number_of_feature_maps():
  with pytest.raises(ValueError) as error:
    _OneBoxPerCell(2).generate([(2, 2)])
  assert str(error.value) == (
      "_OneBoxPerCell: expected 2 feature map shape(s), one per entry of "
      "num_anchors_per_location() = [1, 1], got 1: [(2, 2)]")


def test_any_count_when_check_disabled_but_never_empty():
  boxes = _OneBoxPerCell(1, any_count=True).generate([(1, 1)] * 3)
  assert len(boxes) == 3
  with pytest.raises(ValueError,
                     match="^_OneBoxPerCell: feature_map_shape_list must "
                     "not be empty$"):
    _OneBoxPerCell(0, any_count=True).generate([])


@pytest.mark.parametrize("shapes, message", [
    ([(2, 2, 2)], "_OneBoxPerCell: feature_map_shape_list[0] must be a "
     "(height, width) pair, got (2, 2, 2)"),
    ([4], "_OneBoxPerCell: feature_map_shape_list[0] must be a (height, "
     "width) pair, got 4"),
    ([(0, 2)], "_OneBoxPerCell: feature_map_shape_list[0] sizes must be "
     ">= 1, got (0, 2)"),
    ([(2.5, 2)], "_OneBoxPerCell: feature_map_shape_list[0] must hold ints "
     "or int scalar tensors, got (2.5, 2)"),
    ((8, 8), "_OneBoxPerCell: feature_map_shape_list[0] must be a (height, "
     "width) pair, got 8"),
])
def test_bad_feature_map_shapes(shapes, message):
  gen = _OneBoxPerCell(len(shapes), any_count=True)
  with pytest.raises(ValueError) as error:
    gen.generate(shapes)
  assert str(error.value) == message


def test_tensor_pairs_and_graph_mode():
  gen = _OneBoxPerCell(1)

  @tf.function(input_signature=[tf.TensorSpec([2], tf.int32)])
  def run(shape):
    [boxes] = gen.generate([shape])
    return boxes.get(), boxes.get_field("feature_map_index")

  boxes, index = run(tf.constant([1, 2]))
  np.testing.assert_array_equal(boxes.numpy(), [[0, 0, 1, 1], [0, 1, 1, 2]])
  np.testing.assert_array_equal(index.numpy(), [0, 0])


def test_anchor_index_to_feature_map_index():
  gen = _OneBoxPerCell(3)
  boxes = gen.generate([(2, 1), (1, 1), (1, 3)])
  index = gen.anchor_index_to_feature_map_index(boxes)
  assert index.dtype == tf.int32
  np.testing.assert_array_equal(index.numpy(), [0, 0, 1, 2, 2, 2])


def test_constant_is_shared_when_eager_and_fresh_in_graphs():
  first = anchor_generator.constant([1.0, 2.0], tf.float32, [1, 2])
  again = anchor_generator.constant([1.0, 2.0], tf.float32, [1, 2])
  assert first is again
  np.testing.assert_array_equal(first.numpy(), [[1.0, 2.0]])

  @tf.function
  def make():
    value = anchor_generator.constant([1.0, 2.0], tf.float32, [1, 2])
    assert not isinstance(value, type(first))  # a graph tensor
    return value

  np.testing.assert_array_equal(make().numpy(), [[1.0, 2.0]])


def test_cannot_instantiate_abstract_base():
  with pytest.raises(TypeError):
    # pylint: disable-next=abstract-class-instantiated
    anchor_generator.AnchorGenerator()


def test_docstring_example():
  result = doctest.testmod(anchor_generator)
  assert result.attempted > 0 and result.failed == 0
