"""A better anchor generator of the config's own type, searched on the data.

The search is deterministic: k-means of the ground-truth shapes in
1 - IoU distance gives candidate aspect ratios (and, for grid generators,
scales); then a coordinate search over the generator's parameters keeps
the change that most raises the share of boxes whose best anchor IoU
reaches the matcher's threshold (ties: the higher mean best IoU, then
fewer anchors), never exceeding the anchor budget (today's anchors per
image, times 1 + the allowed increase). Parameters searched:

  multiscale_anchor_generator: aspect_ratios, scales_per_octave,
    anchor_scale and, with search_levels, min_level and max_level (set
    with the feature extractor's fpn levels, which must equal them);
  grid_anchor_generator: aspect_ratios, scales, base_anchor_size;
  ssd_anchor_generator: aspect_ratios, min_scale, max_scale;
  flexible_grid_anchor_generator: every layer's aspect_ratios, and its
    base_sizes scaled by one common factor.
"""

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

# A candidate: field name (under the generator message) -> value.
Change = Dict[str, object]
# Scores a generator config: (share at threshold, mean IoU, anchors).
Scorer = Callable[[object], Tuple[float, float, int]]


def kmeans_shapes(shapes: np.ndarray, k: int, iterations: int = 50
                  ) -> np.ndarray:
  """k (height, width) centres of `shapes` [N, 2] in 1 - IoU distance.

  Boxes are compared centred on one point, so the distance is about shape
  and size only. Deterministic: the centres start at area quantiles.
  """
  shapes = np.asarray(shapes, np.float64)
  k = max(1, min(k, len(shapes)))
  order = np.argsort(shapes[:, 0] * shapes[:, 1], kind="stable")
  centres = shapes[order[((np.arange(k) + 0.5) * len(shapes) / k).astype(
      int)]].copy()
  for _ in range(iterations):
    inter = (np.minimum(shapes[:, None, 0], centres[None, :, 0])
             * np.minimum(shapes[:, None, 1], centres[None, :, 1]))
    union = (shapes[:, 0] * shapes[:, 1])[:, None] + (
        centres[:, 0] * centres[:, 1])[None, :] - inter
    assignment = np.argmax(inter / union, axis=1)
    moved = np.array([np.median(shapes[assignment == j], axis=0)
                      if np.any(assignment == j) else centres[j]
                      for j in range(k)])
    if np.allclose(moved, centres):
      break
    centres = moved
  return centres


def aspect_ratio_sets(shapes: np.ndarray, sizes: Sequence[int]
                      ) -> List[List[float]]:
  """Candidate aspect_ratios lists (width / height) of each size."""
  found = []
  for size in sizes:
    centres = kmeans_shapes(shapes, size)
    ratios = sorted({float("%.2g" % (w / h)) for h, w in centres})
    if ratios not in found:
      found.append(ratios)
  return found


def _geometric(value: float, steps: Sequence[float]) -> List[float]:
  return [float("%.3g" % (value * 2.0 ** s)) for s in steps]


_QUARTER_OCTAVES = [s / 4.0 for s in range(-8, 9)]
Knobs = List[Tuple[str, List[object]]]


def _multiscale_knobs(message, shapes, ratios, search_levels) -> Knobs:
  found = [("aspect_ratios", ratios),
           ("scales_per_octave", [1, 2, 3, 4]),
           ("anchor_scale", _geometric(message.anchor_scale,
                                       _QUARTER_OCTAVES))]
  if search_levels:
    low, high = message.min_level, message.max_level
    found.append(("levels", [(a, b) for a in (low - 1, low, low + 1)
                             for b in (high - 1, high, high + 1)
                             if 1 <= a <= b]))
  return found


def _grid_knobs(message, shapes, ratios, search_levels) -> Knobs:
  del search_levels
  sides = np.sqrt(shapes[:, 0] * shapes[:, 1])
  base = float(np.sqrt(message.height * message.width))
  scale_sets = []
  for count in sorted({1, 2, 3, max(1, len(message.scales))}):
    quantiles = np.quantile(sides, (np.arange(count) + 0.5) / count)
    scale_sets.append(sorted({float("%.2g" % (q / base))
                              for q in quantiles}))
  return [("aspect_ratios", ratios), ("scales", scale_sets),
          ("height_width", [int(base * 2.0 ** s)
                            for s in (-1, -0.5, 0, 0.5, 1)])]


def _ssd_knobs(message, shapes, ratios, search_levels) -> Knobs:
  del message, shapes, search_levels
  return [("aspect_ratios", ratios),
          ("min_scale", [float("%.2g" % v) for v in
                         np.geomspace(0.02, 0.6, 12)]),
          ("max_scale", [float("%.2g" % v) for v in
                         np.linspace(0.3, 1.0, 8)])]


def _flexible_knobs(message, shapes, ratios, search_levels) -> Knobs:
  del message, shapes, search_levels
  return [("layer_aspect_ratios", ratios),
          ("base_size_factor", _geometric(1.0, _QUARTER_OCTAVES))]


_KNOBS = {
    "multiscale_anchor_generator": _multiscale_knobs,
    "grid_anchor_generator": _grid_knobs,
    "ssd_anchor_generator": _ssd_knobs,
    "flexible_grid_anchor_generator": _flexible_knobs,
}


def knobs(generator_type: str, message, shapes: np.ndarray,
          search_levels: bool = False) -> Knobs:
  """(field, candidate values) of the parameters searched for the type.

  Raises:
    ValueError: a generator type without a search.
  """
  if generator_type not in _KNOBS:
    raise ValueError("no search for %s (searched: %s)" % (
        generator_type, ", ".join(sorted(_KNOBS))))
  current_ratios = list(getattr(message, "aspect_ratios", []))
  ratio_counts = sorted({1, 2, 3, max(1, len(current_ratios)),
                         len(current_ratios) + 1})
  ratios = aspect_ratio_sets(shapes, ratio_counts)
  return _KNOBS[generator_type](message, shapes, ratios, search_levels)


def apply(anchor_config, change: Change):
  """A copy of the AnchorGenerator message with `change` applied."""
  config = type(anchor_config)()
  config.CopyFrom(anchor_config)
  kind = config.WhichOneof("anchor_generator_oneof")
  message = getattr(config, kind)
  for name, value in change.items():
    if name == "height_width":
      message.height = message.width = int(value)
    elif name == "levels":
      message.min_level, message.max_level = value
    elif name == "layer_aspect_ratios":
      for layer in message.anchor_grid:
        del layer.aspect_ratios[:]
        layer.aspect_ratios.extend(value)
        if len(layer.base_sizes) not in (1, len(value)):
          layer.base_sizes[:] = [layer.base_sizes[0]]
    elif name == "base_size_factor":
      for layer in message.anchor_grid:
        layer.base_sizes[:] = [b * value for b in layer.base_sizes]
    elif isinstance(value, list):
      field = getattr(message, name)
      del field[:]
      field.extend(value)
    else:
      setattr(message, name, value)
  return config


def set_arguments(anchor_config, change: Change, prefix: str) -> List[str]:
  """`od-config set` KEY=VALUE arguments that make the change.

  A change of levels also sets the fpn levels of the feature extractor
  beside the generator (<model>.feature_extractor.fpn).
  """
  config = apply(anchor_config, change)
  kind = config.WhichOneof("anchor_generator_oneof")
  message = getattr(config, kind)
  path = "%s.%s" % (prefix, kind)

  def value_text(value):
    if isinstance(value, (list, tuple)) or hasattr(value, "extend"):
      return "[%s]" % ",".join("%g" % v for v in value)
    return "%g" % value if isinstance(value, float) else str(value)

  arguments = []
  for name in change:
    if name == "height_width":
      arguments += ["%s.height=%d" % (path, message.height),
                    "%s.width=%d" % (path, message.width)]
    elif name == "levels":
      fpn = prefix.rsplit(".", 1)[0] + ".feature_extractor.fpn"
      for target in (path, fpn):
        arguments += ["%s.min_level=%d" % (target, message.min_level),
                      "%s.max_level=%d" % (target, message.max_level)]
    elif name in ("layer_aspect_ratios", "base_size_factor"):
      for index, layer in enumerate(message.anchor_grid):
        for field in ("base_sizes", "aspect_ratios"):
          arguments.append("%s.anchor_grid[%d].%s=%s" % (
              path, index, field, value_text(getattr(layer, field))))
    else:
      arguments.append("%s.%s=%s" % (path, name,
                                     value_text(getattr(message, name))))
  return sorted(set(arguments), key=arguments.index)


@dataclasses.dataclass
class Suggestion:
  change: Change
  config: object  # the changed AnchorGenerator
  before: Tuple[float, float, int]
  after: Tuple[float, float, int]


def _key(score) -> Tuple[float, float, int]:
  return (round(score[0], 6), round(score[1], 6), -score[2])


def _better(score, best) -> bool:
  return _key(score) > _key(best)


def search(anchor_config, shapes: np.ndarray, score: Scorer,
           budget: int, rounds: int = 3,
           search_levels: bool = False) -> Optional[Suggestion]:
  """The best change found, or None when nothing beats the config.

  Args:
    anchor_config: the AnchorGenerator message.
    shapes: float [N, 2] (height, width) of the ground-truth boxes.
    score: scores a generator config on the data.
    budget: most anchors per image allowed.
    search_levels: also try other multiscale levels (the scorer must then
      score generators of other levels).
  """
  kind = anchor_config.WhichOneof("anchor_generator_oneof")
  options = knobs(kind, getattr(anchor_config, kind), shapes, search_levels)
  start = score(anchor_config)
  best, change = start, {}
  for _ in range(rounds):
    improved = False
    for name, values in options:
      for value in values:
        trial = dict(change, **{name: value})
        try:
          result = score(apply(anchor_config, trial))
        except ValueError:  # an impossible combination, e.g. min > max
          continue
        if result[2] <= budget and _better(result, best):
          best, change, improved = result, trial, True
    if not improved:
      break
  # Drop the parameters that ended where they started.
  change = {name: value for name, value in change.items()
            if apply(anchor_config, {name: value}) != anchor_config}
  if not change:
    return None
  return Suggestion(change, apply(anchor_config, change), start, best)

