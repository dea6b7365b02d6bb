"""Best IoU of every ground-truth box with a set of anchors, and coverage.

    best, index = best_iou(boxes, anchors)        # [N], [N]
    summary = coverage(best, boxes, classes, threshold=0.7)

Boxes and anchors are absolute [ymin, xmin, ymax, xmax] in one frame. The
IoU is computed in chunks of boxes by one XLA-compiled function (the
[chunk, anchors] IoU matrix is fused into its row maximum, never stored),
so 10,000 boxes against 200,000 anchors take a few seconds on a 2-core CPU
(scripts/bench_anchor_analysis.py).
"""

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

# COCO's size ranges, by box area in the network's input pixels.
SMALL_AREA = 32.0 ** 2
LARGE_AREA = 96.0 ** 2
SIZE_BINS = ("small", "medium", "large")
# Height / width of a box.
ASPECT_BINS = ((0.0, 1 / 3), (1 / 3, 2 / 3), (2 / 3, 1.5), (1.5, 3.0),
               (3.0, np.inf))
ASPECT_NAMES = ("h/w < 1/3", "1/3-2/3", "2/3-3/2", "3/2-3", ">= 3")
_CHUNK = 256


@tf.function(jit_compile=True, reduce_retracing=True)
def _chunk_best(boxes: tf.Tensor, anchors: tf.Tensor
                ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Best IoU and its anchor for each of a chunk of boxes."""
  b = boxes[:, tf.newaxis, :]
  a = anchors[tf.newaxis, :, :]
  height = tf.maximum(tf.minimum(b[..., 2], a[..., 2])
                      - tf.maximum(b[..., 0], a[..., 0]), 0.0)
  width = tf.maximum(tf.minimum(b[..., 3], a[..., 3])
                     - tf.maximum(b[..., 1], a[..., 1]), 0.0)
  intersection = height * width
  box_area = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
  anchor_area = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
  iou = intersection / tf.maximum(box_area + anchor_area - intersection,
                                  1e-12)
  return (tf.reduce_max(iou, axis=1),
          tf.argmax(iou, axis=1, output_type=tf.int32))


def best_iou(boxes: np.ndarray, anchors: np.ndarray,
             chunk: int = _CHUNK) -> Tuple[np.ndarray, np.ndarray]:
  """float32 [N] best IoU of each box with any anchor, int32 [N] its index.

  Raises:
    ValueError: no anchors.
  """
  boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
  anchors = np.asarray(anchors, np.float32).reshape(-1, 4)
  if not len(anchors):
    raise ValueError("best_iou: no anchors")
  best = np.zeros([len(boxes)], np.float32)
  index = np.zeros([len(boxes)], np.int32)
  anchors_tensor = tf.constant(anchors)
  for start in range(0, len(boxes), chunk):
    part = boxes[start:start + chunk]
    # Pad the last chunk to the chunk size: one compiled shape.
    padded = np.zeros([chunk, 4], np.float32)
    padded[:len(part)] = part
    values, indices = _chunk_best(tf.constant(padded), anchors_tensor)
    best[start:start + len(part)] = values.numpy()[:len(part)]
    index[start:start + len(part)] = indices.numpy()[:len(part)]
  return best, index


def size_bins(boxes: np.ndarray) -> np.ndarray:
  """int [N]: 0 small, 1 medium, 2 large (COCO's ranges, input pixels)."""
  areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
  return np.digitize(areas, [SMALL_AREA, LARGE_AREA])


def aspect_bins(boxes: np.ndarray) -> np.ndarray:
  """int [N] index into ASPECT_BINS of each box's height / width."""
  ratios = ((boxes[:, 2] - boxes[:, 0])
            / np.maximum(boxes[:, 3] - boxes[:, 1], 1e-6))
  return np.digitize(ratios, [low for low, _ in ASPECT_BINS[1:]])


@dataclasses.dataclass
class Share:
  """Boxes of a group and the shares whose best IoU reaches each bar."""
  count: int
  at_threshold: float
  at_half: float
  mean_best_iou: float

  def as_dict(self) -> Dict[str, float]:
    return dataclasses.asdict(self)


def _share(best: np.ndarray, threshold: float) -> Share:
  if not len(best):
    return Share(0, float("nan"), float("nan"), float("nan"))
  return Share(int(len(best)), float(np.mean(best >= threshold)),
               float(np.mean(best >= 0.5)), float(np.mean(best)))


@dataclasses.dataclass
class Coverage:
  """How well anchors cover boxes: overall and by size, shape and class."""
  threshold: float
  overall: Share
  by_size: Dict[str, Share]
  by_aspect: Dict[str, Share]
  by_class: Dict[int, Share]

  def as_dict(self) -> Dict:
    return {"threshold": self.threshold, "overall": self.overall.as_dict(),
            "by_size": {k: v.as_dict() for k, v in self.by_size.items()},
            "by_aspect": {k: v.as_dict() for k, v in self.by_aspect.items()},
            "by_class": {str(k): v.as_dict()
                         for k, v in self.by_class.items()}}


def coverage(best: np.ndarray, boxes: np.ndarray, classes: np.ndarray,
             threshold: float) -> Coverage:
  """The Coverage of boxes whose best IoUs are `best`."""
  sizes, aspects = size_bins(boxes), aspect_bins(boxes)
  return Coverage(
      threshold, _share(best, threshold),
      {name: _share(best[sizes == i], threshold)
       for i, name in enumerate(SIZE_BINS)},
      {name: _share(best[aspects == i], threshold)
       for i, name in enumerate(ASPECT_NAMES)},
      {int(c): _share(best[classes == c], threshold)
       for c in np.unique(classes)})


def worst(best: np.ndarray, threshold: float, limit: int = 10
          ) -> List[int]:
  """Indices of the boxes below `threshold`, lowest best IoU first."""
  below = np.nonzero(best < threshold)[0]
  return list(below[np.argsort(best[below], kind="stable")][:limit])


def coverage_by_size(best: np.ndarray, boxes: np.ndarray, threshold: float,
                     edges: Optional[Sequence[float]] = None
                     ) -> Tuple[np.ndarray, np.ndarray]:
  """(bin centres, share at threshold) by sqrt(area) in log-spaced bins."""
  sides = np.sqrt(np.maximum((boxes[:, 2] - boxes[:, 0])
                             * (boxes[:, 3] - boxes[:, 1]), 1e-6))
  if edges is None:
    edges = np.geomspace(max(sides.min(), 1.0), sides.max() * 1.0001, 13)
  edges = np.asarray(edges)
  which = np.clip(np.digitize(sides, edges) - 1, 0, len(edges) - 2)
  shares = np.array([np.mean(best[which == i] >= threshold)
                     if np.any(which == i) else np.nan
                     for i in range(len(edges) - 1)])
  return np.sqrt(edges[:-1] * edges[1:]), shares
