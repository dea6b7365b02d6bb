r"""Runs an exported model over images and draws what it detects.

    od-infer --saved_model_dir=exported --input='photos/*.jpg' \
        --output_dir=detections

writes detections/<name>.png for every input image: boxes, class names,
scores and (Mask R-CNN) masks drawn over the image, with a progress line
per image. --input takes image files, globs, or TFRecord files of
tf.Examples (*.tfrecord, *.record; --max_images of them); it may be
repeated or hold a comma-separated list. --grid=all.png also writes the
annotated images side by side in one picture. `python scripts/infer.py`
is the same program.

The class names come from --label_map_path, by default the label map of the
export's pipeline.config (eval_input_reader, then train_input_reader);
without one the classes are named 'class k'. Exit status 2 with one line
for bad input (no image matched, an unreadable image, a folder that is not
an export).
"""

import os

# Before TensorFlow is imported: keep its C++ start-up noise off the console.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import flags  # pylint: disable=g-import-not-at-top,wrong-import-position

PROG = "infer"

flags.DEFINE_string("saved_model_dir", None,
                    "An export (exporter_main_v2's --output_directory) or "
                    "its saved_model folder.")
flags.DEFINE_multi_string("input", [],
                          "Image files, globs or TFRecord files "
                          "(repeatable, comma-separated).")
flags.DEFINE_string("output_dir", None, "Where the annotated PNGs go.")
flags.DEFINE_string("label_map_path", None,
                    "Label map for class names (default: the export's).")
flags.DEFINE_float("min_score_thresh", 0.5, "Smallest score drawn.")
flags.DEFINE_integer("max_boxes_to_draw", 20, "Most detections drawn.")
flags.DEFINE_integer("line_thickness", 2, "Box outline width in pixels.")
flags.DEFINE_integer("max_images", None, "Stop after this many images.")
flags.DEFINE_string("grid", None, "Also write all annotated images in one "
                    "PNG grid here.")
flags.DEFINE_integer("grid_columns", 4, "Images per row of --grid.")

FLAGS = flags.FLAGS


def main(argv) -> int:
  """Runs --saved_model_dir over --input."""
  if len(argv) > 1:
    raise ValueError("unexpected arguments: %s" % " ".join(argv[1:]))
  for name in ("saved_model_dir", "output_dir"):
    if not getattr(FLAGS, name):
      raise ValueError("--%s is required" % name)
  patterns = [p for value in FLAGS.input for p in value.split(",") if p]
  if not patterns:
    raise ValueError("--input is required")
  for name in ("max_boxes_to_draw", "line_thickness", "grid_columns",
               "max_images"):
    value = getattr(FLAGS, name)
    if value is not None and value < 1:
      raise ValueError("--%s must be >= 1, got %d" % (name, value))
  # Imported here so that flag errors answer before TensorFlow loads,
  # which then starts without its C++ start-up noise.
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.import_tensorflow_quietly()
  from object_detection.inference import detector  # pylint: disable=g-import-not-at-top
  from object_detection.inference import image_sources  # pylint: disable=g-import-not-at-top
  sources = image_sources.expand(patterns)
  model = detector.ExportedDetector(FLAGS.saved_model_dir)
  category_index = model.category_index(FLAGS.label_map_path)
  written = detector.annotate_all(
      model, image_sources.read(sources, FLAGS.max_images), category_index,
      FLAGS.output_dir, min_score_thresh=FLAGS.min_score_thresh,
      max_boxes_to_draw=FLAGS.max_boxes_to_draw,
      line_thickness=FLAGS.line_thickness)
  print("wrote %d annotated image(s) to %s" % (len(written), FLAGS.output_dir))
  if FLAGS.grid:
    detector.write_grid([image for _, image in written], FLAGS.grid,
                        FLAGS.grid_columns)
    print("grid of %d image(s): %s" % (len(written), FLAGS.grid))
  return 0


def run() -> None:
  """Console-script entry point (od-infer)."""
  from object_detection.utils import flags_util  # pylint: disable=g-import-not-at-top
  flags_util.run_guarded(PROG, main)


if __name__ == "__main__":
  run()
