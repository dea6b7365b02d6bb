"""BoxList: a validated container of boxes and per-box fields.

Boxes are float32 tensors of shape [N, 4] in the order
[ymin, xmin, ymax, xmax]; whether they are absolute pixels or normalised to
[0, 1] is up to the caller and stated by the functions that use them. Any
number of extra fields (scores, classes, masks, ...) may ride along; each
extra field is a tensor whose first dimension is N, one entry per box. The
container does not check that first dimension: the ops in `box_list_ops`
keep fields aligned with the boxes.

The number of boxes may be dynamic (unknown until run time), so BoxList
works inside `tf.function` with an unknown N.

Example:
  >>> boxes = tf.constant([[0., 0., 10., 20.]])
  >>> boxlist = BoxList(boxes)
  >>> boxlist.add_field("scores", tf.constant([0.9]))
  >>> boxlist.num_boxes_static()
  1
"""

from typing import Dict, List, Optional, Sequence

import tensorflow as tf

BOXES_FIELD = "boxes"


def _validate_boxes(boxes: tf.Tensor) -> tf.Tensor:
  """Converts `boxes` to a tensor and checks its rank, last dim and dtype."""
  boxes = tf.convert_to_tensor(boxes)
  shape = boxes.shape
  if shape.rank is not None and (
      shape.rank != 2 or (shape[-1] is not None and shape[-1] != 4)):
    raise ValueError(
        "BoxList: boxes must have shape [N, 4], got {}".format(shape))
  if boxes.dtype != tf.float32:
    raise ValueError(
        "BoxList: boxes must be float32, got {}".format(boxes.dtype.name))
  return boxes


class BoxList:
  """A collection of boxes [N, 4] plus named per-box fields.

  Args:
    boxes: float32 [N, 4] boxes as [ymin, xmin, ymax, xmax]. N may be
      dynamic. Non-tensor inputs (lists, numpy arrays) are converted.

  Raises:
    ValueError: if `boxes` has a statically known rank other than 2, a
      statically known last dimension other than 4, or a dtype other than
      float32.
  """

  def __init__(self, boxes: tf.Tensor):
    self.data: Dict[str, tf.Tensor] = {BOXES_FIELD: _validate_boxes(boxes)}

  def num_boxes(self) -> tf.Tensor:
    """Returns the number of boxes N as an int32 scalar tensor."""
    return tf.shape(self.data[BOXES_FIELD])[0]

  def num_boxes_static(self) -> Optional[int]:
    """Returns N as a Python int if statically known, else None."""
    return self.data[BOXES_FIELD].shape[0]

  def get_all_fields(self) -> List[str]:
    """Returns the names of all fields, including "boxes"."""
    return list(self.data.keys())

  def get_extra_fields(self) -> List[str]:
    """Returns the names of all fields except "boxes"."""
    return [name for name in self.data if name != BOXES_FIELD]

  def add_field(self, field: str, field_data: tf.Tensor) -> None:
    """Adds (or replaces) a per-box field.

    Args:
      field: name of the field.
      field_data: tensor whose first dimension is N, one entry per box.
    """
    self.data[field] = field_data

  def has_field(self, field: str) -> bool:
    """Returns True if the field (or "boxes") is present."""
    return field in self.data

  def get(self) -> tf.Tensor:
    """Returns the float32 [N, 4] boxes."""
    return self.get_field(BOXES_FIELD)

  def set(self, boxes: tf.Tensor) -> None:
    """Replaces the boxes.

    Args:
      boxes: float32 [N, 4] boxes as [ymin, xmin, ymax, xmax].

    Raises:
      ValueError: if `boxes` fails the checks of the constructor.
    """
    self.data[BOXES_FIELD] = _validate_boxes(boxes)

  def get_field(self, field: str) -> tf.Tensor:
    """Returns the tensor of a field.

    Args:
      field: name of the field; "boxes" returns the boxes.

    Returns:
      the field's tensor, first dimension N.

    Raises:
      ValueError: if the field is not present.
    """
    if field not in self.data:
      raise ValueError(self._missing_field_message(field))
    return self.data[field]

  def set_field(self, field: str, value: tf.Tensor) -> None:
    """Replaces the tensor of an existing field.

    Args:
      field: name of an existing field.
      value: tensor whose first dimension is N.

    Raises:
      ValueError: if the field is not present (use `add_field` to add it).
    """
    if field not in self.data:
      raise ValueError(self._missing_field_message(field))
    if field == BOXES_FIELD:
      self.set(value)
    else:
      self.data[field] = value

  def get_center_coordinates_and_sizes(self) -> List[tf.Tensor]:
    """Returns box centers and sizes.

    Returns:
      list [ycenter, xcenter, height, width] of float32 [N] tensors, where
      height = ymax - ymin and width = xmax - xmin.
    """
    ymin, xmin, ymax, xmax = tf.unstack(self.get(), num=4, axis=1)
    height = ymax - ymin
    width = xmax - xmin
    return [ymin + height / 2.0, xmin + width / 2.0, height, width]

  def transpose_coordinates(self) -> None:
    """Swaps y and x in place: [ymin, xmin, ymax, xmax] -> [xmin, ymin, ...]."""
    ymin, xmin, ymax, xmax = tf.split(self.get(), num_or_size_splits=4,
                                      axis=1)
    self.set(tf.concat([xmin, ymin, xmax, ymax], axis=1))

  def as_tensor_dict(self, fields: Optional[Sequence[str]] = None
                     ) -> Dict[str, tf.Tensor]:
    """Returns fields as a dict of tensors.

    Args:
      fields: names of the fields to return, "boxes" included if wanted;
        None returns every field.

    Returns:
      dict from field name to tensor.

    Raises:
      ValueError: if a requested field is not present.
    """
    if fields is None:
      fields = self.get_all_fields()
    return {field: self.get_field(field) for field in fields}

  def _missing_field_message(self, field: str) -> str:
    return "BoxList has no field '{}'; present fields: {}".format(
        field, ", ".join(sorted(self.data)))
