r"""Trains or evaluates a detection model from a pipeline.config.

Training (MirroredStrategy over the visible GPUs or the CPU;
MultiWorkerMirroredStrategy with --num_workers > 1 and TF_CONFIG):

    python -m object_detection.model_main \
        --pipeline_config_path=pipelines/mask_rcnn_shapes.config \
        --model_dir=runs/shapes --num_train_steps=2000 \
        --override train_config.batch_size=4 --eval_every_n=500

Evaluation of every new checkpoint of a training run, until --eval_timeout
seconds pass without one or the last step is evaluated (or of a single
checkpoint, given its prefix):

    python -m object_detection.model_main \
        --pipeline_config_path=... --model_dir=runs/shapes \
        --checkpoint_dir=runs/shapes

`python -m object_detection.model_main_tf2` and the console script
`od-train` are the same program. The flags are the TF OD API's
model_main_tf2 flags, plus --config_override, --override, --eval_every_n,
--checkpoint_max_to_keep, --log_every_n, --eval_wait_interval and --seed.

Exit status: 0 done (or stopped by SIGTERM/SIGINT after saving); 1 training
diverged (NaN or infinite loss); 2 bad flags, config or input data, with one
line on stderr.
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise (CUDA probing
# on a CPU-only machine) off the console unless the user asks for it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "model_main"

flags.DEFINE_string("pipeline_config_path", None,
                    "Path to the pipeline.config file.")
flags.DEFINE_string("model_dir", None,
                    "Where checkpoints, summaries and the effective config "
                    "are written.")
flags.DEFINE_integer("num_train_steps", None,
                     "Steps to train to (default train_config.num_steps).")
flags.DEFINE_bool("eval_on_train_data", False,
                  "With --checkpoint_dir: evaluate on the training input.")
flags.DEFINE_integer("sample_1_of_n_eval_examples", None,
                     "Evaluate one example in n.")
flags.DEFINE_integer("sample_1_of_n_eval_on_train_examples", 5,
                     "Evaluate one training example in n "
                     "(--eval_on_train_data).")
flags.DEFINE_string("checkpoint_dir", None,
                    "Evaluation mode: the training model_dir to watch, or "
                    "one checkpoint prefix to evaluate once.")
flags.DEFINE_integer("eval_timeout", 3600,
                     "Seconds to wait for a new checkpoint before the "
                     "evaluation stops.")
flags.DEFINE_bool("use_tpu", False, "Train on a TPU (TPUStrategy).")
flags.DEFINE_string("tpu_name", None, "The TPU to use with --use_tpu.")
flags.DEFINE_integer("num_workers", 1,
                     "Workers of a MultiWorkerMirroredStrategy run (> 1 "
                     "needs TF_CONFIG).")
flags.DEFINE_integer("checkpoint_every_n", 1000,
                     "Save a checkpoint every this many steps.")
flags.DEFINE_bool("record_summaries", True,
                  "Write TensorBoard summaries of training.")
flags.DEFINE_string("config_override", "",
                    "Text-format TrainEvalPipelineConfig merged over the "
                    "file.")
flags.DEFINE_multi_string("override", [],
                          "KEY=VALUE: a config_util override key or a field "
                          "path, as `od-config set` takes (repeatable).")
flags.DEFINE_integer("eval_every_n", 0,
                     "Evaluate every this many steps inside training and "
                     "keep the best checkpoint in model_dir/best (0: off).")
flags.DEFINE_integer("checkpoint_max_to_keep", 7,
                     "Training checkpoints kept.")
flags.DEFINE_integer("log_every_n", 100,
                     "Print the progress line every this many steps.")
flags.DEFINE_integer("eval_wait_interval", 180,
                     "Evaluation mode: at least this many seconds between "
                     "two evaluations.")
flags.DEFINE_integer("seed", None,
                     "Seed of the initial weights, the model's sampling and "
                     "the input pipeline's shuffling and augmentation.")

FLAGS = flags.FLAGS

# Printed after training with --eval_every_n.
_SHOWN_METRICS = ("DetectionBoxes_Precision/mAP",
                  "DetectionBoxes_Precision/mAP@.50IOU",
                  "DetectionMasks_Precision/mAP",
                  "DetectionMasks_Precision/mAP@.50IOU")


def _require(name: str) -> str:
  value = getattr(FLAGS, name)
  if not value:
    raise _UsageError("--%s is required" % name)
  return value


class _UsageError(ValueError):
  pass


def _positive(name: str, minimum: int = 1) -> None:
  value = getattr(FLAGS, name)
  if value is not None and value < minimum:
    raise _UsageError("--%s must be >= %d, got %d" % (name, minimum, value))


def _train(model_lib_v2, distribution, overrides) -> int:
  strategy = distribution.build_strategy(FLAGS.num_workers, FLAGS.use_tpu,
                                         FLAGS.tpu_name or "")
  with strategy.scope():
    result = model_lib_v2.train_loop(
        pipeline_config_path=FLAGS.pipeline_config_path,
        model_dir=FLAGS.model_dir, config_override=FLAGS.config_override,
        train_steps=FLAGS.num_train_steps, use_tpu=FLAGS.use_tpu,
        checkpoint_every_n=FLAGS.checkpoint_every_n,
        checkpoint_max_to_keep=FLAGS.checkpoint_max_to_keep,
        record_summaries=FLAGS.record_summaries, overrides=overrides,
        eval_every_n=FLAGS.eval_every_n, log_every_n=FLAGS.log_every_n,
        seed=FLAGS.seed)
  rate = ("%.3g steps/s" % result.steps_per_second
          if result.steps_per_second else "rate n/a")
  print("%s at step %d (%s); checkpoints in %s" % (
      "stopped by " + result.stopped_by if result.stopped_by else "done",
      result.step, rate, FLAGS.model_dir))
  if result.evaluation:
    print("evaluation at step %d: %s" % (result.evaluation_step, ", ".join(
        "%s %.4f" % (name, result.evaluation[name]) for name in _SHOWN_METRICS
        if name in result.evaluation)))
  if result.best:
    print("best %s = %.4f at step %d (%s)" % (
        result.best["metric"], result.best["value"], result.best["step"],
        os.path.join(FLAGS.model_dir, "best")))
  return 0


def _evaluate(model_lib_v2, overrides) -> int:
  results = model_lib_v2.eval_continuously(
      pipeline_config_path=FLAGS.pipeline_config_path,
      config_override=FLAGS.config_override,
      train_steps=FLAGS.num_train_steps,
      sample_1_of_n_eval_examples=FLAGS.sample_1_of_n_eval_examples or 1,
      sample_1_of_n_eval_on_train_examples=(
          FLAGS.sample_1_of_n_eval_on_train_examples),
      use_tpu=FLAGS.use_tpu, model_dir=FLAGS.model_dir,
      checkpoint_dir=FLAGS.checkpoint_dir,
      wait_interval=FLAGS.eval_wait_interval, timeout=FLAGS.eval_timeout,
      overrides=overrides, eval_on_train_data=FLAGS.eval_on_train_data)
  print("evaluated %d checkpoint(s); metrics in %s" % (
      len(results), FLAGS.model_dir))
  return 0


def main(argv) -> int:
  """Runs training, or evaluation with --checkpoint_dir."""
  if len(argv) > 1:
    raise _UsageError("unexpected arguments: %s" % " ".join(argv[1:]))
  _require("pipeline_config_path")
  _require("model_dir")
  for name in ("num_train_steps", "checkpoint_every_n", "num_workers",
               "checkpoint_max_to_keep", "log_every_n",
               "sample_1_of_n_eval_examples",
               "sample_1_of_n_eval_on_train_examples"):
    _positive(name)
  _positive("eval_every_n", 0)
  _positive("eval_wait_interval", 0)
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection import model_lib_v2  # pylint: disable=g-import-not-at-top
  from object_detection.training import distribution  # pylint: disable=g-import-not-at-top
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  overrides = config_util.parse_override_assignments(FLAGS.override)
  if FLAGS.checkpoint_dir:
    return _evaluate(model_lib_v2, overrides)
  return _train(model_lib_v2, distribution, overrides)


def run() -> None:
  """Console-script entry point (od-train)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main, failure_names=("TrainingDivergedError",))


if __name__ == "__main__":
  run()
