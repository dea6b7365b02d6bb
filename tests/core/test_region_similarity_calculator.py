"""Tests for object_detection/core/region_similarity_calculator.py."""

import numpy as np
import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import region_similarity_calculator as sim_calc

# Box a = [0, 0, 2, 2] (area 4), b = [1, 1, 3, 3] (area 4), c = [0, 0, 1, 4]
# (area 4). a∩b = 1, a∩c = 1*2 = 2, box d = [5, 5, 6, 6] is disjoint.
_BOXES1 = box_list.BoxList(tf.constant([[0.0, 0.0, 2.0, 2.0]]))
_BOXES2 = box_list.BoxList(tf.constant([[1.0, 1.0, 3.0, 3.0],
                                        [0.0, 0.0, 1.0, 4.0],
                                        [5.0, 5.0, 6.0, 6.0]]))


def test_iou():
  # IoU(a, b) = 1 / (4 + 4 - 1) = 1/7; IoU(a, c) = 2 / (4 + 4 - 2) = 1/3.
  result = sim_calc.IouSimilarity().compare(_BOXES1, _BOXES2)
  np.testing.assert_allclose(result.numpy(), [[1 / 7, 1 / 3, 0.0]],
                             rtol=1e-6)


def test_ioa_divides_by_the_area_of_the_second_boxes():
  # IoA(a, b) = 1 / 4, IoA(a, c) = 2 / 4.
  result = sim_calc.IoaSimilarity().compare(_BOXES1, _BOXES2)
  np.testing.assert_allclose(result.numpy(), [[0.25, 0.5, 0.0]], rtol=1e-6)


def test_negative_squared_distance():
  # a - b = [-1, -1, -1, -1] -> 4; a - c = [0, 0, 1, -2] -> 5;
  # a - d = [-5, -5, -4, -4] -> 25 + 25 + 16 + 16 = 82.
  result = sim_calc.NegSqDistSimilarity().compare(_BOXES1, _BOXES2)
  np.testing.assert_allclose(result.numpy(), [[-4.0, -5.0, -82.0]])


def test_graph_mode_shapes():
  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)] * 2)
  def compare(boxes1, boxes2):
    return sim_calc.IouSimilarity().compare(box_list.BoxList(boxes1),
                                            box_list.BoxList(boxes2))

  assert compare(tf.zeros([2, 4]), tf.zeros([5, 4])).shape == (2, 5)
