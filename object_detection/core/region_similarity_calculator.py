"""Region similarity calculators: pairwise scores between two BoxLists.

`compare(boxlist1, boxlist2)` returns a float32 [N, M] matrix, larger
meaning more similar. Matchers read it with rows = boxlist1 (groundtruth)
and columns = boxlist2 (anchors).
"""

import abc
from typing import Optional

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import box_list_ops


class RegionSimilarityCalculator(abc.ABC):
  """Computes a pairwise similarity matrix between two BoxLists."""

  def compare(self, boxlist1: box_list.BoxList, boxlist2: box_list.BoxList,
              scope: Optional[str] = None) -> tf.Tensor:
    """Returns the similarity of every pair of boxes.

    Args:
      boxlist1: BoxList of N boxes.
      boxlist2: BoxList of M boxes.
      scope: optional name scope.

    Returns:
      float32 [N, M] similarity matrix.
    """
    with tf.name_scope(scope or "Compare"):
      return self._compare(boxlist1, boxlist2)

  @abc.abstractmethod
  def _compare(self, boxlist1: box_list.BoxList,
               boxlist2: box_list.BoxList) -> tf.Tensor:
    """Calculator-specific similarity; see `compare`."""


class IouSimilarity(RegionSimilarityCalculator):
  """Intersection over union; 0 for disjoint boxes."""

  def _compare(self, boxlist1: box_list.BoxList,
               boxlist2: box_list.BoxList) -> tf.Tensor:
    return box_list_ops.iou(boxlist1, boxlist2)


class IoaSimilarity(RegionSimilarityCalculator):
  """Intersection over the area of the boxlist2 box (not symmetric)."""

  def _compare(self, boxlist1: box_list.BoxList,
               boxlist2: box_list.BoxList) -> tf.Tensor:
    return box_list_ops.ioa(boxlist1, boxlist2)


class NegSqDistSimilarity(RegionSimilarityCalculator):
  """Negated squared Euclidean distance between the 4-vectors of boxes."""

  def _compare(self, boxlist1: box_list.BoxList,
               boxlist2: box_list.BoxList) -> tf.Tensor:
    return -1.0 * box_list_ops.sq_dist(boxlist1, boxlist2)
