"""BoxCoder: the interface for encoding boxes relative to anchors.

A box coder turns boxes into fixed-size codes relative to anchors (the
regression targets of a detector) and back. Boxes and anchors are BoxLists
in [ymin, xmin, ymax, xmax] order; the coordinate frame (absolute or
normalised) only has to be the same for boxes and anchors.

Concrete coders live in `object_detection/box_coders/`.
"""

import abc

import tensorflow as tf

from object_detection.core import box_list
from object_detection.utils import shape_utils


class BoxCoder(abc.ABC):
  """Encodes boxes as codes relative to anchors and decodes them back."""

  @property
  @abc.abstractmethod
  def code_size(self) -> int:
    """Number of values in one box code (a Python int)."""

  def encode(self, boxes: box_list.BoxList,
             anchors: box_list.BoxList) -> tf.Tensor:
    """Encodes boxes relative to anchors, one box per anchor.

    Args:
      boxes: BoxList of N boxes.
      anchors: BoxList of N anchors; boxes[i] is encoded against anchors[i].

    Returns:
      float32 [N, code_size] relative codes.
    """
    with tf.name_scope("Encode"):
      return self._encode(boxes, anchors)

  def decode(self, rel_codes: tf.Tensor,
             anchors: box_list.BoxList) -> box_list.BoxList:
    """Decodes relative codes back to boxes.

    Args:
      rel_codes: float32 [N, code_size] codes, rel_codes[i] relative to
        anchors[i].
      anchors: BoxList of N anchors.

    Returns:
      BoxList of N decoded boxes.
    """
    with tf.name_scope("Decode"):
      return self._decode(rel_codes, anchors)

  @abc.abstractmethod
  def _encode(self, boxes: box_list.BoxList,
              anchors: box_list.BoxList) -> tf.Tensor:
    """Coder-specific encoding; see `encode`."""

  @abc.abstractmethod
  def _decode(self, rel_codes: tf.Tensor,
              anchors: box_list.BoxList) -> box_list.BoxList:
    """Coder-specific decoding; see `decode`."""


def batch_decode(encoded_boxes: tf.Tensor, box_coder: BoxCoder,
                 anchors: box_list.BoxList) -> tf.Tensor:
  """Decodes a batch of codes that all refer to the same anchors.

  The batch is flattened into one decode call (anchors tiled), so the cost
  does not grow with a Python loop over images and the batch size may be
  dynamic.

  Args:
    encoded_boxes: float32 [batch, num_anchors, code_size] codes.
    box_coder: the BoxCoder that produced the codes.
    anchors: BoxList of num_anchors anchors shared by every image.

  Returns:
    float32 [batch, num_anchors, 4] decoded boxes.

  Raises:
    ValueError: if `encoded_boxes` is not rank 3 or its second dimension
      differs from the (static) number of anchors.
  """
  encoded_boxes = tf.convert_to_tensor(encoded_boxes)
  if encoded_boxes.shape.rank != 3:
    raise ValueError(
        "batch_decode: encoded_boxes must have rank 3 [batch, num_anchors, "
        "code_size], got shape {}".format(encoded_boxes.shape))
  num_anchors_static = anchors.num_boxes_static()
  if (encoded_boxes.shape[1] is not None and num_anchors_static is not None
      and encoded_boxes.shape[1] != num_anchors_static):
    raise ValueError(
        "batch_decode: encoded_boxes has {} anchors in dimension 1 but "
        "anchors holds {} boxes".format(encoded_boxes.shape[1],
                                        num_anchors_static))
  batch, num_anchors, code_size = (
      shape_utils.combined_static_and_dynamic_shape(encoded_boxes))
  # [batch * num_anchors, 4]: the same anchors repeated for every image.
  tiled_anchors = box_list.BoxList(
      tf.reshape(tf.tile(tf.expand_dims(anchors.get(), 0), [batch, 1, 1]),
                 [-1, 4]))
  decoded = box_coder.decode(
      tf.reshape(encoded_boxes, [-1, code_size]), tiled_anchors).get()
  return tf.reshape(decoded, [batch, num_anchors, 4])
