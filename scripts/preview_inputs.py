"""Draws what training sees: the first examples of a pipeline's train input.

Reads `train_input_reader` of a pipeline.config, decodes the records and
applies `train_config.data_augmentation_options` (the same
`dataset_builder` + augmentation as `inputs.train_input`, before the model's
own resizing and normalisation), then draws the examples side by side with
their boxes, class names and instance masks into one PNG (written
atomically).

    python scripts/preview_inputs.py \
        --pipeline_config_path=pipelines/mask_rcnn_shapes.config \
        --output=demo_output/train_inputs.png

Errors (a bad config, a glob that matches nothing, a bad record) are one
line on stderr and exit status 2.
"""

import io
import os
import sys
from typing import List

from absl import app
from absl import flags
import numpy as np

from object_detection.utils import flags_util

_PIPELINE_CONFIG_PATH = flags.DEFINE_string(
    "pipeline_config_path", None, "The pipeline.config to read.")
_OUTPUT = flags.DEFINE_string("output", None, "PNG file to write.")
_NUM_EXAMPLES = flags.DEFINE_integer(
    "num_examples", 6, "Examples to draw.", lower_bound=1, upper_bound=64)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of shuffling and augmentation.")

_MASK_ALPHA = 0.45


def load_examples(pipeline_config_path: str, num_examples: int, seed: int):
  """(images, boxes, classes, masks or None, class names) of the examples.

  Boxes are in pixels of their image; masks are [N, H, W] in {0, 1}.
  """
  # pylint: disable=g-import-not-at-top
  from object_detection import inputs
  from object_detection.builders import dataset_builder
  from object_detection.builders import preprocessor_builder
  from object_detection.core import standard_fields as fields
  from object_detection.data import record_errors
  from object_detection.utils import config_util
  from object_detection.utils import label_map_util
  # pylint: enable=g-import-not-at-top

  input_fields = fields.InputDataFields
  configs = config_util.get_configs_from_pipeline_file(pipeline_config_path)
  reader = configs["train_input_config"]
  steps = preprocessor_builder.build_all(
      configs["train_config"].data_augmentation_options)
  names = {}
  if reader.label_map_path:
    names = {index: name for name, index in
             label_map_util.get_label_map_dict(reader.label_map_path).items()}

  def augment(tensor_dict):
    return inputs.augment_input_data(tensor_dict, steps)

  dataset = dataset_builder.build(
      reader, transform_input_data_fn=augment, seed=seed,
      path="train_input_reader").take(num_examples)
  checker = dataset_builder.build_decoder(reader).find_record_error
  examples = []
  for example in record_errors.iterate(
      dataset, reader.tf_record_input_reader.input_path, checker):
    image = np.clip(example[input_fields.image].numpy(), 0, 255)
    height, width = image.shape[:2]
    boxes = example[input_fields.groundtruth_boxes].numpy() * [
        height, width, height, width]
    masks = example.get(input_fields.groundtruth_instance_masks)
    examples.append((image.astype(np.uint8), boxes,
                     example[input_fields.groundtruth_classes].numpy(),
                     None if masks is None else masks.numpy() > 0.5))
  return examples, names


def draw(examples, names, output: str) -> None:
  """Draws the examples in a row and writes the PNG atomically."""
  # pylint: disable=g-import-not-at-top
  from matplotlib import figure
  from matplotlib import patches
  from matplotlib.backends import backend_agg
  from object_detection.utils import file_io
  # pylint: enable=g-import-not-at-top

  size = 2.6
  fig = figure.Figure(figsize=(size * len(examples), size + 0.3), dpi=100)
  backend_agg.FigureCanvasAgg(fig)
  for index, (image, boxes, classes, masks) in enumerate(examples):
    axes = fig.add_subplot(1, len(examples), index + 1)
    shown = image.astype(np.float32)
    for box_index, mask in enumerate(masks if masks is not None else []):
      colour = np.array(_colour(classes[box_index])) * 255.0
      shown[mask] = (1 - _MASK_ALPHA) * shown[mask] + _MASK_ALPHA * colour
    axes.imshow(shown.astype(np.uint8), interpolation="nearest")
    for (ymin, xmin, ymax, xmax), class_id in zip(boxes, classes):
      axes.add_patch(patches.Rectangle(
          (xmin, ymin), xmax - xmin, ymax - ymin, fill=False,
          edgecolor=_colour(class_id), linewidth=1.2))
      axes.text(xmin, ymin, names.get(int(class_id), str(int(class_id))),
                fontsize=6, color="white", va="bottom",
                bbox=dict(facecolor=_colour(class_id), pad=0.5, lw=0))
    axes.set_title("{}x{}, {} box{}".format(
        image.shape[1], image.shape[0], len(boxes),
        "" if len(boxes) == 1 else "es"), fontsize=7)
    axes.set_axis_off()
  fig.tight_layout()
  buffer = io.BytesIO()
  fig.savefig(buffer, format="png")
  file_io.write_bytes_atomically(output, buffer.getvalue())


def _colour(class_id) -> tuple:
  from matplotlib import colormaps  # pylint: disable=g-import-not-at-top
  return colormaps["tab10"](int(class_id) % 10)[:3]


def main(argv: List[str]) -> int:
  if len(argv) > 1:
    print("preview_inputs: error: unexpected arguments {}".format(argv[1:]),
          file=sys.stderr)
    return 2
  if not _PIPELINE_CONFIG_PATH.value or not _OUTPUT.value:
    print("preview_inputs: error: --pipeline_config_path and --output are "
          "required", file=sys.stderr)
    return 2
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  try:
    examples, names = load_examples(_PIPELINE_CONFIG_PATH.value,
                                    _NUM_EXAMPLES.value, _SEED.value)
    if not examples:
      raise ValueError("train_input_reader: the records hold no example")
    draw(examples, names, _OUTPUT.value)
  except (ValueError, NotImplementedError, tf.errors.OpError) as error:
    print("preview_inputs: error: {}".format(error), file=sys.stderr)
    return 2
  except OSError as error:
    print("preview_inputs: error: cannot write {}: {}".format(
        _OUTPUT.value, error.strerror or error), file=sys.stderr)
    return 2
  print("wrote {} ({} examples from {})".format(
      _OUTPUT.value, len(examples), os.path.basename(
          _PIPELINE_CONFIG_PATH.value)))
  return 0


if __name__ == "__main__":
  app.run(main, flags_parser=flags_util.flags_parser_for("preview_inputs"))
