"""Benchmarks model_main's training loop against the bare training step.

For each config, in the same run and on the same machine, prints

  * the bare step: `scripts/bench_model.py --config_optimizer`'s mean
    seconds of one training step on one fixed batch (preprocess, predict,
    loss, backward, gradient clipping and the config's optimizer in one
    tf.function), as steps per second;
  * model_main: the steps per second of `python -m
    object_detection.model_main` over the second half of its --steps (its
    progress line's window), training on shapes TFRecords at the config's
    image size with the config's own input reader and augmentation, the
    config's batch size (or --batch_size), summaries on. The first half
    holds the tracing step and the first pass over the 64 records (with
    `cache_decoded_examples` the only pass that decodes), which a long run
    amortises; the rate over all steps but the first, which also holds the
    checkpoint saved at the last step, is printed beside it;
  * the overhead: 1 - model_main / bare, which covers the input pipeline,
    the loop (NaN check, progress line), the TensorBoard summaries and, with
    a --checkpoint_every_n below --steps, checkpointing.

With --rounds=N (default 3) the two are measured N times, alternately,
and the overhead printed is the median of the rounds' overheads: a shared
machine's speed drifts by tens of percent over minutes, so one measurement
of each can show an overhead that is only the drift.

    python scripts/bench_train.py
    python scripts/bench_train.py --steps=40 --checkpoint_every_n=20 \
        --pipeline_config_path=pipelines/mask_rcnn_shapes.config

Records go to a temporary folder, removed at the end; nothing is
downloaded.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from typing import Tuple

from absl import app
from absl import flags

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIGS = ("pipelines/mask_rcnn_shapes.config",
                   "pipelines/bench_mask_rcnn_resnet50_fpn_512.config")

CONFIGS = flags.DEFINE_multi_string(
    "pipeline_config_path", list(DEFAULT_CONFIGS), "Configs to measure.")
BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", None, "Global batch size (default: each config's "
    "train_config.batch_size).", lower_bound=1)
STEPS = flags.DEFINE_integer(
    "steps", 20, "model_main steps per config (even); its rate is "
    "measured over the second half.", lower_bound=4)
CHECKPOINT_EVERY_N = flags.DEFINE_integer(
    "checkpoint_every_n", 1000, "model_main's --checkpoint_every_n.",
    lower_bound=1)
MAX_BOXES = flags.DEFINE_integer(
    "max_number_of_boxes", None, "train_input_reader.max_number_of_boxes "
    "(default: the config's); every field, instance masks included, is "
    "padded to it.", lower_bound=1)
flags.register_validator(
    "steps", lambda steps: steps % 2 == 0,
    "--steps must be even: model_main's rate is measured over its second "
    "half")
ROUNDS = flags.DEFINE_integer(
    "rounds", 3, "Alternate bare / model_main measurements per config; "
    "the median of the rounds' overheads is reported.", lower_bound=1)
BARE_ITERATIONS = flags.DEFINE_integer(
    "bare_iterations", 20, "bench_model.py iterations (mean).",
    lower_bound=1)

_DONE = re.compile(r"^done at step \d+ \(([0-9.e+-]+) steps/s\)")
_PROGRESS = re.compile(r"^step (\d+)/\d+ .* ([0-9.e+-]+) steps/s")


def _env():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return env


def _batch_size(config: str) -> int:
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  if BATCH_SIZE.value:
    return BATCH_SIZE.value
  return config_util.get_configs_from_pipeline_file(
      config)["train_config"].batch_size


def _bare_steps_per_second(config: str) -> float:
  command = [sys.executable, os.path.join(REPO_ROOT, "scripts",
                                          "bench_model.py"), "--single",
             "--pipeline_config_path", config, "--config_optimizer",
             "--batch_size", str(_batch_size(config)),
             "--iterations", str(BARE_ITERATIONS.value)]
  run = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT,
                       env=_env(), check=False)
  lines = [l for l in run.stdout.splitlines() if l.startswith("RESULT ")]
  if run.returncode or not lines:
    raise RuntimeError("bench_model.py failed:\n" + run.stderr[-3000:])
  # The mean, like model_main's rate (a median would leave out the slow
  # steps that a loop's rate counts).
  return 1.0 / json.loads(lines[-1][len("RESULT "):])["train_step_mean_s"]


def _image_size(config: str) -> int:
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  model = config_util.get_configs_from_pipeline_file(config)["model"]
  resizer = model.faster_rcnn.image_resizer.fixed_shape_resizer
  return resizer.height or 512


def _model_main_steps_per_second(config: str, directory: str,
                                 round_index: int) -> Tuple[float, float]:
  """(steps/s over the second half of the run, over all but the first)."""
  size = _image_size(config)
  data = os.path.join(directory, "data_%d" % size)
  if not os.path.isdir(data):
    subprocess.run([sys.executable, os.path.join(REPO_ROOT, "scripts",
                                                 "create_shapes_dataset.py"),
                    "--output_dir=" + data, "--image_size=%d" % size,
                    "--num_train=64", "--num_val=4"], check=True,
                   capture_output=True, cwd=REPO_ROOT, env=_env())
  model_dir = os.path.join(directory, "run_%s_%d" % (
      os.path.splitext(os.path.basename(config))[0], round_index))
  command = [sys.executable, "-m", "object_detection.model_main",
             "--pipeline_config_path=" + config, "--model_dir=" + model_dir,
             "--num_train_steps=%d" % STEPS.value,
             "--checkpoint_every_n=%d" % CHECKPOINT_EVERY_N.value,
             "--log_every_n=%d" % (STEPS.value // 2),
             "--override=train_config.batch_size=%d" % _batch_size(config),
             # The benchmark config has no train_input_reader of its own.
             "--config_override=train_input_reader { load_instance_masks: "
             "true mask_type: PNG_MASKS }",
             "--override=train_input_path=" + os.path.join(
                 data, "train-?????-of-00004.tfrecord"),
             "--override=label_map_path=" + os.path.join(
                 REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")]
  if MAX_BOXES.value:
    command.append("--override=train_input_reader.max_number_of_boxes=%d"
                   % MAX_BOXES.value)
  run = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT,
                       env=_env(), check=False)
  window = overall = None
  for line in run.stdout.splitlines():
    progress, done = _PROGRESS.match(line), _DONE.match(line)
    if progress and int(progress.group(1)) == STEPS.value:
      window = float(progress.group(2))
    if done:
      overall = float(done.group(1))
  if window is None or overall is None:
    raise RuntimeError("model_main failed:\n" + run.stderr[-3000:])
  return window, overall


def main(argv) -> int:
  del argv
  with tempfile.TemporaryDirectory() as directory:
    for config in CONFIGS.value:
      bares, loops = [], []
      for round_index in range(ROUNDS.value):
        bares.append(_bare_steps_per_second(config))
        window, overall = _model_main_steps_per_second(config, directory,
                                                       round_index)
        loops.append(window)
        print("  round %d: bare %.3f steps/s, model_main %.3f steps/s over "
              "steps %d-%d (overhead %.1f%%), %.3f steps/s over steps 2-%d "
              "with the last step's checkpoint" % (
                  round_index + 1, bares[-1], window, STEPS.value // 2 + 1,
                  STEPS.value, 100.0 * (1.0 - window / bares[-1]), overall,
                  STEPS.value))
        sys.stdout.flush()
      bare, loop = statistics.median(bares), statistics.median(loops)
      # Each round's pair ran back to back: the median of the pairs'
      # overheads is what the drift between rounds disturbs least.
      overhead = statistics.median(1.0 - l / b for b, l in zip(bares, loops))
      print("%s  batch %d: bare step %.3f steps/s (%.3f s), model_main %.3f "
            "steps/s (%.3f s) over %d steps, checkpoint every %d (medians of "
            "%d round(s)): overhead %.1f%% (median of the rounds)" % (
                config, _batch_size(config), bare, 1.0 / bare, loop,
                1.0 / loop, STEPS.value, CHECKPOINT_EVERY_N.value,
                ROUNDS.value, 100.0 * overhead))
      sys.stdout.flush()
  return 0


if __name__ == "__main__":
  app.run(main)
