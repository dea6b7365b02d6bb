"""Builds an anchor generator from an `AnchorGenerator` config message.

    from object_detection.protos import anchor_generator_pb2
    from object_detection.builders import anchor_generator_builder
    config = anchor_generator_pb2.AnchorGenerator()
    config.grid_anchor_generator.scales.extend([0.5, 1.0, 2.0])
    config.grid_anchor_generator.aspect_ratios.extend([0.5, 1.0, 2.0])
    anchor_gen = anchor_generator_builder.build(config)
    anchors_per_map = anchor_gen.generate([(8, 8), (4, 4)])

Values are validated here, at build time: a bad value raises ValueError
whose message starts with the full field path, e.g.
`anchor_generator.grid_anchor_generator.scales: must not be empty`. A parent
builder passes its own path (`path='model.faster_rcnn.
first_stage_anchor_generator'`) so the message names the field in the
pipeline config.
"""

from typing import Callable, Dict, List, Sequence

from object_detection.anchor_generators import flexible_grid_anchor_generator
from object_detection.anchor_generators import grid_anchor_generator
from object_detection.anchor_generators import multiple_grid_anchor_generator
from object_detection.anchor_generators import (
    multiscale_grid_anchor_generator)
from object_detection.core import anchor_generator
from object_detection.protos import anchor_generator_pb2
from object_detection.protos import flexible_grid_anchor_generator_pb2
from object_detection.protos import grid_anchor_generator_pb2
from object_detection.protos import multiscale_anchor_generator_pb2
from object_detection.protos import ssd_anchor_generator_pb2

DEFAULT_PATH = "anchor_generator"


def _fmt(values: Sequence[float]) -> str:
  """Formats a repeated field value for a message: [1.0, -0.5]."""
  return "[{}]".format(", ".join(repr(float(v)) for v in values))


def _check_not_empty(values: Sequence[float], path: str) -> None:
  if not values:
    raise ValueError("{}: must not be empty".format(path))


def _check_all_positive(values: Sequence[float], path: str) -> None:
  if any(not v > 0 for v in values):
    raise ValueError("{}: every value must be > 0, got {}".format(
        path, _fmt(values)))


def _check_positive(value: float, path: str) -> None:
  if not value > 0:
    raise ValueError("{}: must be > 0, got {!r}".format(path, value))


def _check_positive_list(values: Sequence[float], path: str) -> None:
  _check_not_empty(values, path)
  _check_all_positive(values, path)


def _build_grid(config: grid_anchor_generator_pb2.GridAnchorGenerator,
                path: str) -> grid_anchor_generator.GridAnchorGenerator:
  _check_positive_list(config.scales, path + ".scales")
  _check_positive_list(config.aspect_ratios, path + ".aspect_ratios")
  for field in ("height", "width", "height_stride", "width_stride"):
    _check_positive(getattr(config, field), "{}.{}".format(path, field))
  return grid_anchor_generator.GridAnchorGenerator(
      scales=tuple(config.scales),
      aspect_ratios=tuple(config.aspect_ratios),
      base_anchor_size=(config.height, config.width),
      anchor_stride=(config.height_stride, config.width_stride),
      anchor_offset=(config.height_offset, config.width_offset))


def _check_layer_list(values: Sequence[int], num_layers: int,
                      path: str) -> None:
  if len(values) != num_layers:
    raise ValueError(
        "{}: must have num_layers ({}) values when set, got {}".format(
            path, num_layers, len(values)))


def _build_ssd(config: ssd_anchor_generator_pb2.SsdAnchorGenerator,
               path: str
               ) -> multiple_grid_anchor_generator.MultipleGridAnchorGenerator:
  num_layers = config.num_layers
  if num_layers < 1:
    raise ValueError("{}.num_layers: must be >= 1, got {}".format(
        path, num_layers))
  if config.scales:
    _check_layer_list(config.scales, num_layers, path + ".scales")
    _check_all_positive(config.scales, path + ".scales")
  else:
    _check_positive(config.min_scale, path + ".min_scale")
    _check_positive(config.max_scale, path + ".max_scale")
  _check_positive_list(config.aspect_ratios, path + ".aspect_ratios")
  if config.interpolated_scale_aspect_ratio < 0:
    raise ValueError(
        "{}.interpolated_scale_aspect_ratio: must be >= 0 (0 leaves the "
        "interpolated anchor out), got {!r}".format(
            path, config.interpolated_scale_aspect_ratio))
  _check_positive(config.base_anchor_height, path + ".base_anchor_height")
  _check_positive(config.base_anchor_width, path + ".base_anchor_width")
  strides = offsets = None
  if config.height_stride or config.width_stride:
    for field in ("height_stride", "width_stride"):
      values = getattr(config, field)
      _check_layer_list(values, num_layers, "{}.{}".format(path, field))
      _check_all_positive(values, "{}.{}".format(path, field))
    strides = list(zip(config.height_stride, config.width_stride))
  if config.height_offset or config.width_offset:
    for field in ("height_offset", "width_offset"):
      _check_layer_list(getattr(config, field), num_layers,
                        "{}.{}".format(path, field))
    offsets = list(zip(config.height_offset, config.width_offset))
  return multiple_grid_anchor_generator.create_ssd_anchors(
      num_layers=num_layers,
      min_scale=config.min_scale,
      max_scale=config.max_scale,
      scales=list(config.scales),
      aspect_ratios=tuple(config.aspect_ratios),
      interpolated_scale_aspect_ratio=config.interpolated_scale_aspect_ratio,
      base_anchor_size=(config.base_anchor_height, config.base_anchor_width),
      anchor_strides=strides,
      anchor_offsets=offsets,
      reduce_boxes_in_lowest_layer=config.reduce_boxes_in_lowest_layer)


def _build_multiscale(
    config: multiscale_anchor_generator_pb2.MultiscaleAnchorGenerator,
    path: str
) -> multiscale_grid_anchor_generator.MultiscaleGridAnchorGenerator:
  if config.min_level > config.max_level:
    raise ValueError(
        "{}.min_level: must be <= max_level ({}), got {}".format(
            path, config.max_level, config.min_level))
  _check_positive(config.anchor_scale, path + ".anchor_scale")
  _check_positive_list(config.aspect_ratios, path + ".aspect_ratios")
  if config.scales_per_octave < 1:
    raise ValueError("{}.scales_per_octave: must be >= 1, got {}".format(
        path, config.scales_per_octave))
  return multiscale_grid_anchor_generator.MultiscaleGridAnchorGenerator(
      min_level=config.min_level,
      max_level=config.max_level,
      anchor_scale=config.anchor_scale,
      aspect_ratios=tuple(config.aspect_ratios),
      scales_per_octave=config.scales_per_octave,
      normalize_coordinates=config.normalize_coordinates)


def _build_flexible(
    config: flexible_grid_anchor_generator_pb2.FlexibleGridAnchorGenerator,
    path: str) -> flexible_grid_anchor_generator.FlexibleGridAnchorGenerator:
  if not config.anchor_grid:
    raise ValueError("{}.anchor_grid: must not be empty".format(path))
  base_sizes, aspect_ratios, strides, offsets = [], [], [], []
  for index, grid in enumerate(config.anchor_grid):
    grid_path = "{}.anchor_grid[{}]".format(path, index)
    _check_positive_list(grid.base_sizes, grid_path + ".base_sizes")
    _check_positive_list(grid.aspect_ratios, grid_path + ".aspect_ratios")
    if len(grid.aspect_ratios) != len(grid.base_sizes):
      raise ValueError(
          "{}.aspect_ratios: must have as many values as base_sizes ({}), got "
          "{}; each anchor is one (base_size, aspect_ratio) pair".format(
              grid_path, len(grid.base_sizes), len(grid.aspect_ratios)))
    for field in ("height_stride", "width_stride"):
      _check_positive(getattr(grid, field), "{}.{}".format(grid_path, field))
    base_sizes.append(tuple(grid.base_sizes))
    aspect_ratios.append(tuple(grid.aspect_ratios))
    strides.append((grid.height_stride, grid.width_stride))
    offsets.append((grid.height_offset, grid.width_offset))
  return flexible_grid_anchor_generator.FlexibleGridAnchorGenerator(
      base_sizes=base_sizes, aspect_ratios=aspect_ratios,
      anchor_strides=strides, anchor_offsets=offsets,
      normalize_coordinates=config.normalize_coordinates)


# oneof member name -> builder of that member's message.
_BUILDERS: Dict[str, Callable[..., anchor_generator.AnchorGenerator]] = {
    "grid_anchor_generator": _build_grid,
    "ssd_anchor_generator": _build_ssd,
    "multiscale_anchor_generator": _build_multiscale,
    "flexible_grid_anchor_generator": _build_flexible,
}

VALID_GENERATORS: List[str] = list(_BUILDERS)


def build(anchor_generator_config: anchor_generator_pb2.AnchorGenerator,
          path: str = DEFAULT_PATH) -> anchor_generator.AnchorGenerator:
  """Builds the anchor generator selected by the config's oneof.

  Args:
    anchor_generator_config: an anchor_generator_pb2.AnchorGenerator.
    path: field path of the message in the caller's config, used as the
      prefix of error messages, e.g.
      'model.faster_rcnn.first_stage_anchor_generator'.

  Returns:
    a GridAnchorGenerator, MultipleGridAnchorGenerator (SSD),
    MultiscaleGridAnchorGenerator or FlexibleGridAnchorGenerator.

  Raises:
    TypeError: if the config is not an AnchorGenerator message.
    ValueError: if no generator is set or a value breaks a rule; the message
      starts with the full field path.
  """
  if not isinstance(anchor_generator_config,
                    anchor_generator_pb2.AnchorGenerator):
    raise TypeError(
        "{}: expected an anchor_generator_pb2.AnchorGenerator message, got "
        "{}".format(path, type(anchor_generator_config).__name__))
  which = anchor_generator_config.WhichOneof("anchor_generator_oneof")
  if which is None:
    raise ValueError(
        "{}: no anchor generator set; set one of {}".format(
            path, ", ".join(VALID_GENERATORS)))
  return _BUILDERS[which](getattr(anchor_generator_config, which),
                          "{}.{}".format(path, which))
