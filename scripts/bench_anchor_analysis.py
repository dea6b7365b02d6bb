r"""Times the best-IoU step of anchor analysis on random boxes and anchors.

    python scripts/bench_anchor_analysis.py [--boxes=10000] [--anchors=200000]

prints the seconds for every box's best IoU with any anchor (the first
call includes XLA's compilation; the figure is the best of --repeats), and
the IoU pairs per second.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # pylint: disable=g-import-not-at-top,wrong-import-position
from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

BOXES = flags.DEFINE_integer("boxes", 10000, "Ground-truth boxes.")
ANCHORS = flags.DEFINE_integer("anchors", 200000, "Anchors.")
REPEATS = flags.DEFINE_integer("repeats", 3, "Timed runs after the first.")


def _random_boxes(rng, count, size=1024.0):
  centres = rng.uniform(0, size, [count, 2])
  sides = np.exp(rng.uniform(np.log(4), np.log(512), [count, 2]))
  return np.concatenate([centres - sides / 2, centres + sides / 2],
                        axis=1).astype(np.float32)


def main(argv):
  del argv
  from object_detection.anchor_analysis import coverage  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  boxes = _random_boxes(rng, BOXES.value)
  anchors = _random_boxes(rng, ANCHORS.value)
  started = time.perf_counter()
  coverage.best_iou(boxes, anchors)
  first = time.perf_counter() - started
  times = []
  for _ in range(REPEATS.value):
    started = time.perf_counter()
    coverage.best_iou(boxes, anchors)
    times.append(time.perf_counter() - started)
  best = min(times)
  print("best IoU of %d boxes against %d anchors: %.2f s (first call, with "
        "compilation: %.2f s); %.2f G IoU pairs/s" % (
            BOXES.value, ANCHORS.value, best, first,
            BOXES.value * ANCHORS.value / best / 1e9))


if __name__ == "__main__":
  app.run(main)
