r"""Draws the anchors of a pipeline config's anchor generator.

For every feature map of the model's first-stage anchor generator
(`model.faster_rcnn.first_stage_anchor_generator`, or
`model.ssd.anchor_generator`), the anchors of the centre cell (row H // 2,
column W // 2) are drawn over a blank (or the given) image at the model's
input size, one colour per feature map, with a legend of anchor counts.

  python scripts/plot_anchors.py \
      --pipeline_config_path=pipelines/mask_rcnn_shapes.config \
      --output=anchors.png [--image=photo.jpg]

Input size, from `image_resizer`: fixed_shape_resizer gives height x width;
keep_aspect_ratio_resizer gives max_dimension x max_dimension (or, with
--image and no padding, the image resized as the resizer would).

Feature map sizes (the network itself is not built):
  * grid_anchor_generator: ceil(size / stride);
  * multiscale_anchor_generator: ceil(size / 2**level) for each level;
  * ssd_anchor_generator: ceil(size / stride_i) with strides given, else
    ceil(size / 2**(i + 4)) for layer i (19, 10, 5, 3, 2, 1 at 300 px, as
    SSD MobileNet);
  * flexible_grid_anchor_generator: ceil(size / stride) per anchor grid.

The PNG is the input size, scaled up by an integer factor when its longer
side is under 512 pixels. Anchors reaching past the image are cut at its
border. It is written atomically. A bad path or config prints one message
and exits with status 2.
"""

import io
import math
import os
import sys
from typing import List, Optional, Sequence, Tuple

from absl import app
from absl import flags
import numpy as np

from object_detection.builders import anchor_generator_builder
from object_detection.protos import pipeline_pb2
from object_detection.utils import config_util
from object_detection.utils import file_io
from object_detection.utils import flags_util

_PIPELINE_CONFIG_PATH = flags.DEFINE_string(
    "pipeline_config_path", None, "pipeline.config (text format) to read")
_OUTPUT = flags.DEFINE_string("output", None, "PNG file to write")
_IMAGE = flags.DEFINE_string(
    "image", None, "optional image drawn under the anchors (resized to the "
    "model input size)")

MIN_LONG_SIDE = 512  # pixels of the PNG's longer side, at least


class PlotError(Exception):
  """A user error: bad path, flag or config. The message is shown as is."""


def read_pipeline(path: str) -> pipeline_pb2.TrainEvalPipelineConfig:
  """Loads a pipeline config; errors say file, line, column and field."""
  try:
    return config_util.load_pipeline_config(path)
  except config_util.ConfigError as error:
    raise PlotError(str(error)) from None


def anchor_config_of(pipeline: pipeline_pb2.TrainEvalPipelineConfig):
  """(field path, AnchorGenerator message, ImageResizer message)."""
  model = pipeline.model
  which = model.WhichOneof("model")
  if which == "faster_rcnn":
    return ("model.faster_rcnn.first_stage_anchor_generator",
            model.faster_rcnn.first_stage_anchor_generator,
            model.faster_rcnn.image_resizer)
  if which == "ssd":
    return ("model.ssd.anchor_generator", model.ssd.anchor_generator,
            model.ssd.image_resizer)
  raise PlotError("model: expected a faster_rcnn or ssd model with an anchor "
                  "generator, got {}".format(which or "no model"))


def input_size(resizer, image_size: Optional[Tuple[int, int]]
               ) -> Tuple[int, int]:
  """Model input (height, width) in pixels from an ImageResizer message."""
  which = resizer.WhichOneof("image_resizer_oneof")
  if which == "fixed_shape_resizer":
    size = (resizer.fixed_shape_resizer.height,
            resizer.fixed_shape_resizer.width)
  elif which == "keep_aspect_ratio_resizer":
    cfg = resizer.keep_aspect_ratio_resizer
    size = (cfg.max_dimension, cfg.max_dimension)
    if image_size is not None and not cfg.pad_to_max_dimension:
      height, width = image_size
      scale = cfg.min_dimension / min(height, width)
      if round(max(height, width) * scale) > cfg.max_dimension:
        scale = cfg.max_dimension / max(height, width)
      size = (round(height * scale), round(width * scale))
  else:
    raise PlotError(
        "image_resizer: plot_anchors needs fixed_shape_resizer or "
        "keep_aspect_ratio_resizer to know the input size, got {}".format(
            which or "none"))
  if min(size) < 1:
    raise PlotError("image_resizer.{}: the input size must be positive, got "
                    "{} x {}".format(which, *size))
  return size


def feature_maps(config, height: int, width: int
                 ) -> Tuple[List[Tuple[int, int]], List[str]]:
  """Feature map (height, width) pairs and their legend labels."""
  which = config.WhichOneof("anchor_generator_oneof")
  cfg = getattr(config, which)
  if which == "grid_anchor_generator":
    strides = [(cfg.height_stride, cfg.width_stride)]
    labels = ["stride {}x{}".format(*strides[0])]
  elif which == "multiscale_anchor_generator":
    levels = range(cfg.min_level, cfg.max_level + 1)
    strides = [(2**level, 2**level) for level in levels]
    labels = ["level {}".format(level) for level in levels]
  elif which == "ssd_anchor_generator":
    if cfg.height_stride:
      strides = list(zip(cfg.height_stride, cfg.width_stride))
    else:
      strides = [(2**(i + 4), 2**(i + 4)) for i in range(cfg.num_layers)]
    labels = ["layer {}".format(i) for i in range(cfg.num_layers)]
  else:
    strides = [(grid.height_stride, grid.width_stride)
               for grid in cfg.anchor_grid]
    labels = ["grid {}".format(i) for i in range(len(strides))]
  shapes = [(math.ceil(height / sy), math.ceil(width / sx))
            for sy, sx in strides]
  return shapes, labels


def centre_anchors(config, path: str, height: int, width: int
                   ) -> List[Tuple[str, np.ndarray, int]]:
  """(label, centre-cell boxes in pixels [K, 4], total anchors) per map."""
  try:
    generator = anchor_generator_builder.build(config, path=path)
  except ValueError as error:
    raise PlotError(str(error)) from None
  shapes, labels = feature_maps(config, height, width)
  which = config.WhichOneof("anchor_generator_oneof")
  kwargs = {}
  normalised = False
  if which != "grid_anchor_generator":
    kwargs = {"im_height": height, "im_width": width}
    normalised = (which == "ssd_anchor_generator" or
                  getattr(config, which).normalize_coordinates)
  boxlists = generator.generate(shapes, **kwargs)
  result = []
  for label, (rows, cols), num_per_cell, boxes in zip(
      labels, shapes, generator.num_anchors_per_location(), boxlists):
    boxes = boxes.get().numpy()
    if normalised:
      boxes = boxes * np.array([height, width, height, width], np.float32)
    first = ((rows // 2) * cols + cols // 2) * num_per_cell
    result.append(("{} ({}x{}): {} per cell, {} anchors".format(
        label, rows, cols, num_per_cell, len(boxes)),
                   boxes[first:first + num_per_cell], len(boxes)))
  return result


def _background(image_path: Optional[str], height: int, width: int
                ) -> np.ndarray:
  """uint8 [height, width, 3]: the resized image, or white."""
  if image_path is None:
    return np.full((height, width, 3), 255, np.uint8)
  from PIL import Image  # pylint: disable=g-import-not-at-top
  try:
    with Image.open(image_path) as image:
      return np.asarray(image.convert("RGB").resize((width, height)))
  except (OSError, ValueError) as error:
    raise PlotError("cannot read image {}: {}".format(image_path, error)
                    ) from None


def _image_size(image_path: Optional[str]) -> Optional[Tuple[int, int]]:
  if image_path is None:
    return None
  from PIL import Image  # pylint: disable=g-import-not-at-top
  try:
    with Image.open(image_path) as image:
      return image.height, image.width
  except (OSError, ValueError) as error:
    raise PlotError("cannot read image {}: {}".format(image_path, error)
                    ) from None


def draw(background: np.ndarray,
         maps: Sequence[Tuple[str, np.ndarray, int]], title: str, output: str
         ) -> Tuple[int, int]:
  """Draws the boxes over the background and writes the PNG atomically.

  Returns:
    (height, width) of the written PNG in pixels.
  """
  # pylint: disable=g-import-not-at-top
  from matplotlib import figure
  from matplotlib import patches
  from matplotlib.backends import backend_agg
  # pylint: enable=g-import-not-at-top

  height, width = background.shape[:2]
  scale = max(1, math.ceil(MIN_LONG_SIDE / max(height, width)))
  dpi = 100
  fig = figure.Figure(figsize=(width * scale / dpi, height * scale / dpi),
                      dpi=dpi)
  backend_agg.FigureCanvasAgg(fig)
  axes = fig.add_axes((0, 0, 1, 1))
  axes.imshow(background, extent=(0, width, height, 0), interpolation="nearest")
  axes.set_xlim(0, width)
  axes.set_ylim(height, 0)
  axes.set_axis_off()
  for index, (label, boxes, _) in enumerate(maps):
    colour = "C{}".format(index % 10)  # the default colour cycle
    for i, (ymin, xmin, ymax, xmax) in enumerate(boxes):
      axes.add_patch(patches.Rectangle(
          (xmin, ymin), xmax - xmin, ymax - ymin, fill=False,
          edgecolor=colour, linewidth=1.2, label=label if i == 0 else None))
  total = sum(count for _, _, count in maps)
  legend = axes.legend(loc="upper left", fontsize=7, framealpha=0.85,
                       title="{}: {} anchors".format(title, total),
                       title_fontsize=7)
  legend.get_title().set_ha("left")
  buffer = io.BytesIO()
  fig.savefig(buffer, format="png", dpi=dpi)
  file_io.write_bytes_atomically(output, buffer.getvalue())
  return height * scale, width * scale


def plot_anchors(pipeline_config_path: str, output: str,
                 image_path: Optional[str] = None) -> Tuple[int, int]:
  """Reads the config, draws the centre-cell anchors, writes `output`.

  Returns:
    (height, width) of the written PNG.

  Raises:
    PlotError: for a bad path, config or image (one-line message).
  """
  pipeline = read_pipeline(pipeline_config_path)
  path, config, resizer = anchor_config_of(pipeline)
  if config.WhichOneof("anchor_generator_oneof") is None:
    raise PlotError("{}: no anchor generator set".format(path))
  height, width = input_size(resizer, _image_size(image_path))
  maps = centre_anchors(config, path, height, width)
  background = _background(image_path, height, width)
  title = "{} {}x{}".format(config.WhichOneof("anchor_generator_oneof"),
                            height, width)
  try:
    return draw(background, maps, title, output)
  except OSError as error:
    raise PlotError("cannot write {}: {}".format(
        output, error.strerror or error)) from None


def main(argv: List[str]) -> int:
  if len(argv) > 1:
    print("plot_anchors: error: unexpected arguments {}".format(argv[1:]),
          file=sys.stderr)
    return 2
  if not _PIPELINE_CONFIG_PATH.value or not _OUTPUT.value:
    print("plot_anchors: error: --pipeline_config_path and --output are "
          "required", file=sys.stderr)
    return 2
  try:
    height, width = plot_anchors(_PIPELINE_CONFIG_PATH.value, _OUTPUT.value,
                                 _IMAGE.value)
  except PlotError as error:
    print("plot_anchors: error: {}".format(error), file=sys.stderr)
    return 2
  print("wrote {} ({}x{})".format(_OUTPUT.value, width, height))
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=flags_util.flags_parser_for("plot_anchors"))
