r"""Plots a training run: the training loss and the evaluation mAP by step.

    python scripts/plot_training.py --model_dir=demo_output/model \
        --output=demo_output/training.png

reads the Loss/total_loss summaries of <model_dir>/train and the
<model_dir>/eval/metrics_<step>.json files model_main writes, draws the
loss (with its running mean) beside the box and mask mAP and mAP@0.5, and
prints the last evaluation's figures. Exit status 2 with one line when the
folder holds no training summaries.
"""

import glob
import io
import json
import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position
import matplotlib  # pylint: disable=g-import-not-at-top,wrong-import-position
matplotlib.use("Agg")
from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from object_detection.utils import file_io  # pylint: disable=g-import-not-at-top,wrong-import-position
from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top,wrong-import-position

MODEL_DIR = flags.DEFINE_string("model_dir", None, "model_main's --model_dir.")
OUTPUT = flags.DEFINE_string("output", None,
                             "PNG to write (default <model_dir>/training.png).")

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
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  by_step = {}
  paths = sorted(glob.glob(os.path.join(model_dir, "train", "events.*")),
                 key=os.path.getmtime)
  for path in paths:
    for record in tf.data.TFRecordDataset(path).as_numpy_iterator():
      event = tf.compat.v1.Event.FromString(record)
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


def main(argv) -> int:
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  if not MODEL_DIR.value:
    raise ValueError("--model_dir is required")
  steps, losses = read_losses(MODEL_DIR.value)
  if not len(steps):
    raise ValueError("%s: no %s summaries in its train folder" % (
        MODEL_DIR.value, LOSS_TAG))
  evaluations = read_evaluations(MODEL_DIR.value)
  output = OUTPUT.value or os.path.join(MODEL_DIR.value, "training.png")
  plot(steps, losses, evaluations, output)
  print("training plot (%d steps, %d evaluations): %s" % (
      len(steps), len(evaluations), output))
  print("loss: %.4f at step %d, %.4f at step %d" % (
      losses[0], steps[0], losses[-1], steps[-1]))
  if evaluations:
    step, metrics = evaluations[-1]
    print("evaluation at step %d: %s" % (step, ", ".join(
        "%s %.3f" % (label, metrics[key]) for key, label in METRICS
        if metrics.get(key) is not None)))
  return 0


if __name__ == "__main__":
  flags_util.run_guarded("plot_training", main)
