"""Mean/stddev box coder: corner offsets divided by a fixed stddev.

code = (box - anchor) / stddev, coordinate by coordinate, in
[ymin, xmin, ymax, xmax] order; the anchors are the means.
"""

import tensorflow as tf

from object_detection.core import box_coder
from object_detection.core import box_list


class MeanStddevBoxCoder(box_coder.BoxCoder):
  """Encodes boxes as (box - anchor) / stddev (code size 4).

  Args:
    stddev: the standard deviation dividing every corner offset, > 0.

  Raises:
    ValueError: if stddev is not > 0.
  """

  def __init__(self, stddev: float = 0.01):
    if not stddev > 0:
      raise ValueError(
          "MeanStddevBoxCoder: stddev must be > 0, got {}".format(stddev))
    self._stddev = float(stddev)

  @property
  def code_size(self) -> int:
    return 4

  def _encode(self, boxes: box_list.BoxList,
              anchors: box_list.BoxList) -> tf.Tensor:
    """Returns float32 [N, 4] (boxes - anchors) / stddev."""
    if anchors.has_field("stddev"):
      raise ValueError(
          "MeanStddevBoxCoder: 'stddev' is a parameter of the coder and must "
          "not be a field of the anchors")
    return (boxes.get() - anchors.get()) / self._stddev

  def _decode(self, rel_codes: tf.Tensor,
              anchors: box_list.BoxList) -> box_list.BoxList:
    """Returns the BoxList rel_codes * stddev + anchors."""
    if anchors.has_field("stddev"):
      raise ValueError(
          "MeanStddevBoxCoder: 'stddev' is a parameter of the coder and must "
          "not be a field of the anchors")
    return box_list.BoxList(rel_codes * self._stddev + anchors.get())
