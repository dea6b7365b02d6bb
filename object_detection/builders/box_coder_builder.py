"""Builds a BoxCoder from a `BoxCoder` proto.

Supported: faster_rcnn_box_coder, mean_stddev_box_coder.
"""

from object_detection.box_coders import faster_rcnn_box_coder
from object_detection.box_coders import mean_stddev_box_coder
from object_detection.core import box_coder as box_coder_lib
from object_detection.protos import box_coder_pb2


def _faster_rcnn(config, path: str) -> box_coder_lib.BoxCoder:
  scale_factors = []
  for name in ("y_scale", "x_scale", "height_scale", "width_scale"):
    value = getattr(config, name)
    if not value > 0:
      raise ValueError("{}.{}: must be > 0, got {}".format(path, name, value))
    scale_factors.append(value)
  return faster_rcnn_box_coder.FasterRcnnBoxCoder(scale_factors=scale_factors)


def _mean_stddev(config, path: str) -> box_coder_lib.BoxCoder:
  if not config.stddev > 0:
    raise ValueError("{}.stddev: must be > 0, got {}".format(
        path, config.stddev))
  return mean_stddev_box_coder.MeanStddevBoxCoder(stddev=config.stddev)


_BUILDERS = {
    "faster_rcnn_box_coder": _faster_rcnn,
    "mean_stddev_box_coder": _mean_stddev,
}


def build(box_coder_config: box_coder_pb2.BoxCoder, *,
          path: str = "box_coder") -> box_coder_lib.BoxCoder:
  """Builds the box coder selected by the `box_coder_oneof` field.

  Args:
    box_coder_config: a box_coder_pb2.BoxCoder.
    path: config path of the message, used in error messages (e.g.
      "model.ssd.box_coder").

  Returns:
    a BoxCoder.

  Raises:
    TypeError: if box_coder_config is not a box_coder_pb2.BoxCoder.
    ValueError: if no coder is set, the coder is not supported, or a value
      is out of range; the message names the field.
  """
  if not isinstance(box_coder_config, box_coder_pb2.BoxCoder):
    raise TypeError("{}: expected a BoxCoder message, got {}".format(
        path, type(box_coder_config).__name__))
  kind = box_coder_config.WhichOneof("box_coder_oneof")
  if kind is None:
    raise ValueError("{}: no box coder set; expected one of: {}".format(
        path, ", ".join(_BUILDERS)))
  if kind not in _BUILDERS:
    raise ValueError("{}.{}: not supported; supported box coders: {}".format(
        path, kind, ", ".join(_BUILDERS)))
  return _BUILDERS[kind](getattr(box_coder_config, kind),
                         "{}.{}".format(path, kind))
