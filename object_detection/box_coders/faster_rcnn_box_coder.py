"""Faster R-CNN box coder: centre offsets and log size ratios.

For a box with centre (y, x), height h and width w and an anchor with
centre (ya, xa), height ha and width wa, the code is

    ty = sy * (y - ya) / ha        tx = sx * (x - xa) / wa
    th = sh * log(h / ha)          tw = sw * log(w / wa)

with (sy, sx, sh, sw) the optional scale factors, in this order. When
encoding, EPSILON = 1e-8 is added to every height and width (boxes and
anchors) so that zero-sized boxes give finite codes; decoding adds nothing.
These are the formulas of the TF Object Detection API, kept bit-for-bit so
that checkpoints trained there decode the same here.
"""

from typing import Optional, Sequence

import tensorflow as tf

from object_detection.core import box_coder
from object_detection.core import box_list

EPSILON = 1e-8


class FasterRcnnBoxCoder(box_coder.BoxCoder):
  """Faster R-CNN box coder (code size 4: [ty, tx, th, tw]).

  Args:
    scale_factors: None, or 4 positive floats [y_scale, x_scale,
      height_scale, width_scale] multiplying the codes (TF OD API configs
      usually use [10.0, 10.0, 5.0, 5.0]). None or an empty sequence means
      no scaling.

  Raises:
    ValueError: if scale_factors does not hold 4 values or one is not > 0.
  """

  def __init__(self, scale_factors: Optional[Sequence[float]] = None):
    if scale_factors:
      scale_factors = tuple(float(value) for value in scale_factors)
      if len(scale_factors) != 4:
        raise ValueError(
            "FasterRcnnBoxCoder: scale_factors must hold 4 values, got "
            "{}".format(list(scale_factors)))
      if any(value <= 0 for value in scale_factors):
        raise ValueError(
            "FasterRcnnBoxCoder: every scale factor must be > 0, got "
            "{}".format(list(scale_factors)))
    else:
      scale_factors = None
    self._scale_factors = scale_factors

  @property
  def code_size(self) -> int:
    return 4

  def _encode(self, boxes: box_list.BoxList,
              anchors: box_list.BoxList) -> tf.Tensor:
    """Encodes boxes as [ty, tx, th, tw]; see the module docstring."""
    ycenter_a, xcenter_a, ha, wa = anchors.get_center_coordinates_and_sizes()
    ycenter, xcenter, h, w = boxes.get_center_coordinates_and_sizes()
    ha += EPSILON
    wa += EPSILON
    h += EPSILON
    w += EPSILON
    ty = (ycenter - ycenter_a) / ha
    tx = (xcenter - xcenter_a) / wa
    th = tf.math.log(h / ha)
    tw = tf.math.log(w / wa)
    if self._scale_factors:
      ty *= self._scale_factors[0]
      tx *= self._scale_factors[1]
      th *= self._scale_factors[2]
      tw *= self._scale_factors[3]
    return tf.stack([ty, tx, th, tw], axis=1)

  def _decode(self, rel_codes: tf.Tensor,
              anchors: box_list.BoxList) -> box_list.BoxList:
    """Decodes [ty, tx, th, tw] codes to boxes; see the module docstring."""
    ycenter_a, xcenter_a, ha, wa = anchors.get_center_coordinates_and_sizes()
    ty, tx, th, tw = tf.unstack(rel_codes, num=4, axis=1)
    if self._scale_factors:
      ty /= self._scale_factors[0]
      tx /= self._scale_factors[1]
      th /= self._scale_factors[2]
      tw /= self._scale_factors[3]
    w = tf.exp(tw) * wa
    h = tf.exp(th) * ha
    ycenter = ty * ha + ycenter_a
    xcenter = tx * wa + xcenter_a
    return box_list.BoxList(tf.stack(
        [ycenter - h / 2.0, xcenter - w / 2.0,
         ycenter + h / 2.0, xcenter + w / 2.0], axis=1))
