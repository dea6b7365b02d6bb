r"""od-anchors: how well a pipeline's anchors cover its data, and a fix.

    od-anchors --pipeline_config_path=pipelines/mask_rcnn_shapes.config \
        --output_png=anchors_report.png [--input_path='val-*.tfrecord'] \
        [--max_examples=1000] [--max_anchor_increase=0.1] [--json]

reads the ground-truth boxes through the config's decoder and image
resizer, builds the first stage's anchors as training does, and prints
each box's best anchor IoU against the first-stage matcher's threshold
(0.7) and 0.5, by COCO size, aspect ratio and class, the boxes no anchor
matches, and a change of the generator's parameters that covers more
boxes with no more anchors per image (or --max_anchor_increase more), with
the `od-config set` command that applies it. `python -m
object_detection.anchor_analysis` is the same program. Exit status 2 with
one line for bad input (no boxes, no first-stage anchor generator, an
unreadable record).
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "od-anchors"

flags.DEFINE_string("pipeline_config_path", None, "The pipeline.config.")
flags.DEFINE_string("input_path", None, "Records to read (globs, comma-"
                    "separated; default the train_input_reader's).")
flags.DEFINE_integer("max_examples", None, "Read at most this many images.")
flags.DEFINE_float("max_anchor_increase", 0.0, "The suggestion may have "
                   "this fraction more anchors per image (0.1: 10%).")
flags.DEFINE_integer("search_boxes", 2000, "Boxes the search scores "
                     "candidates on (an even sample).")
flags.DEFINE_string("output_png", "anchor_analysis.png", "The picture "
                    "(empty: none).")
flags.DEFINE_boolean("json", False, "Print JSON instead of text.")
flags.DEFINE_boolean("suggest", True, "Search a better generator.")
flags.DEFINE_multi_string("override", [], "KEY=VALUE config overrides "
                          "(as od-config set takes).")

FLAGS = flags.FLAGS


def main(argv) -> int:
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  if not FLAGS.pipeline_config_path:
    raise ValueError("--pipeline_config_path is required")
  if FLAGS.max_examples is not None and FLAGS.max_examples < 1:
    raise ValueError("--max_examples must be >= 1")
  if FLAGS.max_anchor_increase < 0 or FLAGS.search_boxes < 1:
    raise ValueError("--max_anchor_increase must be >= 0 and "
                     "--search_boxes >= 1")
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection import model_lib_v2  # pylint: disable=g-import-not-at-top
  from object_detection.anchor_analysis import analysis  # pylint: disable=g-import-not-at-top
  from object_detection.anchor_analysis import report  # pylint: disable=g-import-not-at-top
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  configs = model_lib_v2.load_configs(
      FLAGS.pipeline_config_path, None,
      config_util.parse_override_assignments(FLAGS.override))
  result = analysis.analyse(
      configs, FLAGS.input_path, FLAGS.max_examples,
      FLAGS.max_anchor_increase, FLAGS.search_boxes, FLAGS.suggest)
  if FLAGS.json:
    print(report.as_json(result, FLAGS.pipeline_config_path), end="")
  else:
    print(report.text(result, FLAGS.pipeline_config_path,
                      report.class_names_of(configs)))
  if FLAGS.output_png:
    report.plot(result, FLAGS.output_png)
    if not FLAGS.json:
      print("picture: %s" % FLAGS.output_png)
  return 0


def run() -> None:
  """Console-script entry point (od-anchors)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main)
