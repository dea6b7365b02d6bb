"""Benchmarks a detection model built from a pipeline config.

For each config it prints the median seconds (after warm-up) of

  * a full training step: preprocess, predict, loss, backward pass and an
    optimizer update, inside one tf.function;
  * an inference: preprocess, predict and postprocess, inside one
    tf.function;

each on one fixed batch given to the tf.function as its argument;

plus the peak resident memory of the process (resource.getrusage
ru_maxrss). Each config runs in its own subprocess so that peaks do not
mix. Inputs are synthetic shapes images (object_detection.data
.shapes_dataset) at the config's fixed_shape_resizer size.

    python scripts/bench_model.py                  # both shipped configs
    python scripts/bench_model.py --pipeline_config_path=pipelines/x.config \
        --iterations=10 --profile_dir=/tmp/trace

With --profile_dir a TensorBoard profiler trace of two training steps and
two inferences is written there.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List, Tuple

DEFAULT_CONFIGS = ("pipelines/mask_rcnn_shapes.config",
                   "pipelines/bench_mask_rcnn_resnet50_fpn_512.config")


def _seconds(fn: Callable[[], object], warmup: int,
             iterations: int) -> Tuple[float, float]:
  """(median, mean) seconds of fn() over `iterations` calls after warm-up."""
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(iterations):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times), statistics.mean(times)


def _peak_rss_mb() -> float:
  # ru_maxrss is in kilobytes on Linux.
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_config(path: str, batch_size: int, warmup: int, iterations: int,
                 profile_dir: str = "",
                 config_optimizer: bool = False) -> Dict[str, float]:
  """Measures one config in this process; returns the figures.

  With config_optimizer the step uses train_config's optimizer and
  gradient_clipping_by_norm (as model_main does), else SGD with momentum.
  """
  # Imported here so that --help and the parent process stay light.
  import keras  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from object_detection.builders import model_builder  # pylint: disable=g-import-not-at-top
  from object_detection.data import shapes_dataset  # pylint: disable=g-import-not-at-top
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top

  configs = config_util.get_configs_from_pipeline_file(path)
  model_config = configs["model"]
  resizer = model_config.faster_rcnn.image_resizer.fixed_shape_resizer
  height, width = resizer.height or 512, resizer.width or 512
  num_classes = model_config.faster_rcnn.num_classes
  rng = np.random.default_rng(0)
  examples = [shapes_dataset.make_example(rng, height, width)
              for _ in range(batch_size)]
  images = tf.constant(np.stack([e.image for e in examples]), tf.float32)
  groundtruth = dict(
      groundtruth_boxes_list=[
          tf.constant(e.boxes / np.array([height, width, height, width],
                                         np.float32)) for e in examples],
      groundtruth_classes_list=[tf.one_hot(e.classes - 1, num_classes)
                                for e in examples],
      groundtruth_masks_list=[tf.constant(e.masks, tf.float32)
                              for e in examples])

  keras.utils.set_random_seed(0)
  model = model_builder.build(model_config, is_training=True)
  optimizer = keras.optimizers.SGD(1e-4, momentum=0.9)
  clip_norm = 0.0
  if config_optimizer:
    from object_detection.builders import optimizer_builder  # pylint: disable=g-import-not-at-top
    optimizer, _ = optimizer_builder.build(configs["train_config"].optimizer)
    clip_norm = configs["train_config"].gradient_clipping_by_norm
  # One eager pass creates the variables, so the tf.function traces once.
  model.provide_groundtruth(**groundtruth)
  preprocessed, shapes = model.preprocess(images)
  model.loss(model.predict(preprocessed, shapes), shapes)
  optimizer.build(model.trainable_variables)

  # The batch is an argument, as in training: a batch captured as
  # constants would let TensorFlow fold the work that depends only on it
  # (matching anchors to the groundtruth boxes, ...) out of the step.
  @tf.function
  def train_step_on(images, groundtruth):
    model.provide_groundtruth(**groundtruth)
    with tf.GradientTape() as tape:
      preprocessed, shapes = model.preprocess(images)
      losses = model.loss(model.predict(preprocessed, shapes), shapes)
      total = tf.add_n(list(losses.values()) + model.regularization_losses())
    grads = tape.gradient(total, model.trainable_variables)
    if clip_norm > 0:
      grads, _ = tf.clip_by_global_norm(grads, clip_norm)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return total

  def train_step():
    return train_step_on(images, groundtruth)

  inference_model = model_builder.build(model_config, is_training=False)

  @tf.function
  def infer_on(images):
    preprocessed, shapes = inference_model.preprocess(images)
    return inference_model.postprocess(
        inference_model.predict(preprocessed, shapes), shapes)

  def infer():
    return infer_on(images)

  start = time.perf_counter()
  train_step()
  train_first = time.perf_counter() - start
  train_seconds, train_mean = _seconds(lambda: train_step().numpy(), warmup,
                                      iterations)
  start = time.perf_counter()
  infer()
  infer_first = time.perf_counter() - start
  infer_seconds, _ = _seconds(
      lambda: infer()["num_detections"].numpy(), warmup, iterations)
  if profile_dir:
    tf.profiler.experimental.start(profile_dir)
    for _ in range(2):
      train_step().numpy()
      infer()["num_detections"].numpy()
    tf.profiler.experimental.stop()
  return {
      "train_step_s": round(train_seconds, 4),
      # A training loop's rate is a mean: slow steps count in full.
      "train_step_mean_s": round(train_mean, 4),
      "inference_s": round(infer_seconds, 4),
      "train_first_call_s": round(train_first, 2),
      "inference_first_call_s": round(infer_first, 2),
      "peak_rss_mb": round(_peak_rss_mb(), 1),
  }


def main(argv: List[str]) -> int:
  parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
  parser.add_argument("--pipeline_config_path", action="append",
                      help="config to measure (repeatable); default: the "
                      "shapes demo and the ResNet-50 FPN benchmark")
  parser.add_argument("--batch_size", type=int, default=1)
  parser.add_argument("--warmup", type=int, default=2)
  parser.add_argument("--iterations", type=int, default=5)
  parser.add_argument("--profile_dir", default="")
  parser.add_argument("--config_optimizer", action="store_true",
                      help="train with train_config's optimizer and "
                      "gradient clipping instead of SGD with momentum")
  parser.add_argument("--single", action="store_true",
                      help=argparse.SUPPRESS)  # run one config in-process
  args = parser.parse_args(argv)
  paths = args.pipeline_config_path or list(DEFAULT_CONFIGS)
  if args.single:
    result = bench_config(paths[0], args.batch_size, args.warmup,
                          args.iterations, args.profile_dir,
                          args.config_optimizer)
    print("RESULT " + json.dumps(result))
    return 0
  status = 0
  for path in paths:
    command = [sys.executable, os.path.abspath(__file__), "--single",
               "--pipeline_config_path", path,
               "--batch_size", str(args.batch_size),
               "--warmup", str(args.warmup),
               "--iterations", str(args.iterations),
               "--profile_dir", args.profile_dir]
    if args.config_optimizer:
      command.append("--config_optimizer")
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [l for l in run.stdout.splitlines() if l.startswith("RESULT ")]
    if run.returncode != 0 or not lines:
      print("{}: failed\n{}".format(path, run.stderr[-3000:]))
      status = 1
      continue
    result = json.loads(lines[-1][len("RESULT "):])
    print("{}  batch {}: train step {:.3f} s, inference {:.3f} s (median of "
          "{}), first calls {:.1f} s / {:.1f} s, peak RSS {:.0f} MB".format(
              path, args.batch_size, result["train_step_s"],
              result["inference_s"], args.iterations,
              result["train_first_call_s"], result["inference_first_call_s"],
              result["peak_rss_mb"]))
  return status


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
