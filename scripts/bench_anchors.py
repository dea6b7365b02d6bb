"""Times anchor generation, eagerly and inside a traced tf.function.

Prints one line per case with the median (and minimum) wall time in
milliseconds over --repeats calls, after warm-up calls (and, for
tf.function, after tracing):

  (a) multiscale: levels 3-7, 3 aspect ratios x 3 scales per octave,
      1024x1024 image (196,416 anchors);
  (b) grid: one 64x64 feature map, 3 scales x 3 aspect ratios;
  (c) ssd: 6 layers for a 300x300 image (create_ssd_anchors defaults).

Usage:
  python scripts/bench_anchors.py [--repeats=200]
"""

import statistics
import time
from typing import Callable, List, Tuple

from absl import app
from absl import flags
import tensorflow as tf

from object_detection.anchor_generators import grid_anchor_generator
from object_detection.anchor_generators import multiple_grid_anchor_generator
from object_detection.anchor_generators import (
    multiscale_grid_anchor_generator)

_REPEATS = flags.DEFINE_integer("repeats", 200, "timed calls per case", 1)
_WARMUP = 10


def _cases() -> List[Tuple[str, Callable[[], list]]]:
  """(name, generate call) for the three benchmark cases."""
  multiscale = multiscale_grid_anchor_generator.MultiscaleGridAnchorGenerator(
      min_level=3, max_level=7, anchor_scale=4.0,
      aspect_ratios=[0.5, 1.0, 2.0], scales_per_octave=3)
  multiscale_shapes = [(1024 // 2**level, 1024 // 2**level)
                       for level in range(3, 8)]
  grid = grid_anchor_generator.GridAnchorGenerator(
      scales=[0.5, 1.0, 2.0], aspect_ratios=[0.5, 1.0, 2.0])
  ssd = multiple_grid_anchor_generator.create_ssd_anchors(
      num_layers=6, aspect_ratios=[1.0, 2.0, 0.5, 3.0, 1.0 / 3.0])
  ssd_shapes = [(19, 19), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)]
  return [
      ("(a) multiscale L3-7 3x3 1024x1024",
       lambda: multiscale.generate(multiscale_shapes, im_height=1024,
                                   im_width=1024)),
      ("(b) grid 64x64 3x3", lambda: grid.generate([(64, 64)])),
      ("(c) ssd 6 layers 300x300",
       lambda: ssd.generate(ssd_shapes, im_height=300, im_width=300)),
  ]


def _time_ms(fn: Callable[[], object], repeats: int) -> Tuple[float, float]:
  """Median and minimum wall time of fn() in milliseconds."""
  for _ in range(_WARMUP):
    fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append((time.perf_counter() - start) * 1e3)
  return statistics.median(times), min(times)


def main(argv: List[str]) -> None:
  del argv  # unused
  print("{:<36} {:>9} {:>18} {:>22}".format(
      "case", "anchors", "eager ms med/min", "tf.function ms med/min"))
  for name, generate in _cases():
    num_anchors = sum(boxes.num_boxes_static() for boxes in generate())
    eager = _time_ms(generate, _REPEATS.value)
    # The graph returns the boxes and the feature_map_index fields.
    graph_fn = tf.function(lambda generate=generate: [
        (boxes.get(), boxes.get_field("feature_map_index"))
        for boxes in generate()])
    graph_fn()  # trace
    graph = _time_ms(graph_fn, _REPEATS.value)
    print("{:<36} {:>9} {:>8.3f} / {:<7.3f} {:>10.3f} / {:<7.3f}".format(
        name, num_anchors, eager[0], eager[1], graph[0], graph[1]))


if __name__ == "__main__":
  app.run(main)
