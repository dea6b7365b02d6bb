"""A training run's history: its loss by step, its evaluations, and a plot.

    steps, losses = history.read_losses("runs/shapes")
    evaluations = history.read_evaluations("runs/shapes")
    history.plot(steps, losses, evaluations, "runs/shapes/training.png")

The losses are the Loss/total_loss summaries model_main writes to
<model_dir>/train; the evaluations its <model_dir>/eval/metrics_<step>.json
files. Used by scripts/plot_training.py.
"""

import glob
import io
import json
import os

import matplotlib
matplotlib.use("Agg")
from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position
from tensorboard.compat.proto import event_pb2  # pylint: disable=g-import-not-at-top,wrong-import-position
import tensorflow as tf  # pylint: disable=g-import-not-at-top,wrong-import-position

from object_detection.utils import file_io  # pylint: disable=g-import-not-at-top,wrong-import-position

LOSS_TAG = "Loss/total_loss"
# Plotted and printed, in this order, where the evaluation has them.
METRICS = (("DetectionBoxes_Precision/mAP@.50IOU", "box mAP@0.5"),
           ("DetectionMasks_Precision/mAP@.50IOU", "mask mAP@0.5"),
           ("DetectionBoxes_Precision/mAP", "box mAP"),
           ("DetectionMasks_Precision/mAP", "mask mAP"))


def read_losses(model_dir: str):
  """(steps, total losses) of the training summaries, by step.

  A resumed run writes a second events file; for a step logged twice the
  later file wins.
  """
  by_step = {}
  paths = sorted(glob.glob(os.path.join(model_dir, "train", "events.*")),
                 key=os.path.getmtime)
  for path in paths:
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
      event = event_pb2.Event.FromString(record)
      for value in event.summary.value:
        if value.tag == LOSS_TAG:
          by_step[event.step] = float(tf.make_ndarray(value.tensor))
  steps = sorted(by_step)
  return np.array(steps), np.array([by_step[s] for s in steps])


def read_evaluations(model_dir: str):
  """[(step, metrics dict)] of <model_dir>/eval/metrics_*.json, by step."""
  found = []
  for path in glob.glob(os.path.join(model_dir, "eval", "metrics_*.json")):
    with open(path) as f:
      record = json.load(f)
    found.append((record["step"], record["metrics"]))
  return sorted(found, key=lambda item: item[0])


def running_mean(values: np.ndarray, window: int) -> np.ndarray:
  """Mean of the last `window` values at each point (fewer at the start)."""
  sums = np.cumsum(np.insert(values, 0, 0.0))
  counts = np.minimum(np.arange(1, len(values) + 1), window)
  ends = np.arange(1, len(values) + 1)
  return (sums[ends] - sums[ends - counts]) / counts


def plot(steps, losses, evaluations, path: str) -> None:
  figure, (loss_axes, map_axes) = plt.subplots(1, 2, figsize=(11, 4))
  loss_axes.plot(steps, losses, color="0.75", linewidth=0.8, label="per step")
  window = max(1, len(losses) // 50)
  loss_axes.plot(steps, running_mean(losses, window), color="C0",
                 label="mean of %d steps" % window)
  loss_axes.set_yscale("log")
  loss_axes.set_xlabel("step")
  loss_axes.set_title("training loss (%s)" % LOSS_TAG)
  loss_axes.legend()
  for key, label in METRICS:
    points = [(s, m[key]) for s, m in evaluations if m.get(key) is not None]
    if points:
      map_axes.plot(*zip(*points), marker="o", label=label)
  map_axes.set_ylim(0.0, 1.02)
  map_axes.set_xlim(0, max(steps[-1] if len(steps) else 1, 1))
  map_axes.set_xlabel("step")
  map_axes.set_title("evaluation")
  map_axes.grid(alpha=0.3)
  if evaluations:
    map_axes.legend(loc="lower right")
  figure.tight_layout()
  buffer = io.BytesIO()
  figure.savefig(buffer, format="png", dpi=100)
  plt.close(figure)
  file_io.write_bytes_atomically(path, buffer.getvalue())
