r"""Exports a trained model as a SavedModel (see exporter_lib_v2).

    python -m object_detection.exporter_main_v2 \
        --input_type=image_tensor \
        --pipeline_config_path=pipelines/mask_rcnn_shapes.config \
        --trained_checkpoint_dir=runs/shapes \
        --output_directory=exported

writes exported/saved_model, exported/checkpoint and
exported/pipeline.config. `python -m object_detection.exporter_main` and
the console script `od-export` are the same program. The flags are the TF
OD API's exporter_main_v2 flags plus --override KEY=VALUE (as od-config and
model_main take); --trained_checkpoint_dir may also be one checkpoint
prefix (e.g. runs/shapes/best/ckpt-3000).

Exit status: 0 exported; 2 bad flags, config or checkpoint, with one line
on stderr (nothing in --output_directory is changed).
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "exporter_main_v2"
INPUT_TYPES = ("image_tensor", "float_image_tensor",
               "encoded_image_string_tensor", "tf_example")

flags.DEFINE_enum("input_type", "image_tensor", INPUT_TYPES,
                  "Input of the exported model: uint8 or float32 [batch, "
                  "height, width, 3] images, or string [batch] encoded "
                  "images or serialized tf.Examples.")
flags.DEFINE_string("pipeline_config_path", None,
                    "Path to the pipeline.config file.")
flags.DEFINE_string("trained_checkpoint_dir", None,
                    "The training model_dir (its newest checkpoint is "
                    "exported) or a checkpoint prefix.")
flags.DEFINE_string("output_directory", None, "Where the export is written.")
flags.DEFINE_string("config_override", "",
                    "Text-format TrainEvalPipelineConfig merged over the "
                    "file.")
flags.DEFINE_multi_string("override", [],
                          "KEY=VALUE: a config_util override key or a field "
                          "path (repeatable).")
flags.DEFINE_boolean("use_side_inputs", False,
                     "Side inputs (not taken by Faster/Mask R-CNN).")
flags.DEFINE_string("side_input_shapes", "", "Side input shapes.")
flags.DEFINE_string("side_input_types", "", "Side input types.")
flags.DEFINE_string("side_input_names", "", "Side input names.")

FLAGS = flags.FLAGS


def main(argv) -> int:
  """Exports the model of --pipeline_config_path."""
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  for name in ("pipeline_config_path", "trained_checkpoint_dir",
               "output_directory"):
    if not getattr(FLAGS, name):
      raise ValueError("--%s is required" % name)
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection import exporter_lib_v2  # pylint: disable=g-import-not-at-top
  from object_detection import model_lib_v2  # pylint: disable=g-import-not-at-top
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  configs = model_lib_v2.load_configs(
      FLAGS.pipeline_config_path, FLAGS.config_override,
      config_util.parse_override_assignments(FLAGS.override))
  saved_model = exporter_lib_v2.export_inference_graph(
      FLAGS.input_type, config_util.create_pipeline_proto_from_configs(configs),
      FLAGS.trained_checkpoint_dir, FLAGS.output_directory,
      FLAGS.use_side_inputs, FLAGS.side_input_shapes, FLAGS.side_input_types,
      FLAGS.side_input_names)
  print("exported %s (input_type %s) to %s" % (
      FLAGS.trained_checkpoint_dir, FLAGS.input_type, saved_model))
  return 0


def run() -> None:
  """Console-script entry point (od-export)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main)


if __name__ == "__main__":
  run()
