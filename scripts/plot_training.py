r"""Plots a training run: the training loss and the evaluation mAP by step.

    python scripts/plot_training.py --model_dir=demo_output/model \
        --output=demo_output/training.png

reads the Loss/total_loss summaries of <model_dir>/train and the
<model_dir>/eval/metrics_<step>.json files model_main writes, draws the
loss (with its running mean) beside the box and mask mAP and mAP@0.5, and
prints the last evaluation's figures (see object_detection.training.history).
Exit status 2 with one line when the folder holds no training summaries.
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top,wrong-import-position

MODEL_DIR = flags.DEFINE_string("model_dir", None, "model_main's --model_dir.")
OUTPUT = flags.DEFINE_string("output", None,
                             "PNG to write (default <model_dir>/training.png).")


def main(argv) -> int:
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  if not MODEL_DIR.value:
    raise ValueError("--model_dir is required")
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  flags_util.import_tensorflow_quietly()
  from object_detection.training import history  # pylint: disable=g-import-not-at-top
  steps, losses = history.read_losses(MODEL_DIR.value)
  if not len(steps):
    raise ValueError("%s: no %s summaries in its train folder" % (
        MODEL_DIR.value, history.LOSS_TAG))
  evaluations = history.read_evaluations(MODEL_DIR.value)
  output = OUTPUT.value or os.path.join(MODEL_DIR.value, "training.png")
  history.plot(steps, losses, evaluations, output)
  print("training plot (%d steps, %d evaluations): %s" % (
      len(steps), len(evaluations), output))
  print("loss: %.4f at step %d, %.4f at step %d" % (
      losses[0], steps[0], losses[-1], steps[-1]))
  if evaluations:
    step, metrics = evaluations[-1]
    print("evaluation at step %d: %s" % (step, ", ".join(
        "%s %.3f" % (label, metrics[key]) for key, label in history.METRICS
        if metrics.get(key) is not None)))
  return 0


if __name__ == "__main__":
  flags_util.run_guarded("plot_training", main)
