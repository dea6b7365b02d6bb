"""Loading, editing and saving pipeline configs, as TF OD API users know it.

    from object_detection.utils import config_util
    configs = config_util.get_configs_from_pipeline_file('pipeline.config')
    configs['train_config'].batch_size = 4
    pipeline = config_util.create_pipeline_proto_from_configs(configs)
    config_util.save_pipeline_config(pipeline, 'out_dir')

A configs dict has the keys 'model', 'train_config', 'train_input_config',
'eval_config', 'eval_input_configs' (all eval input readers),
'eval_input_config' (the first one, for old code) and, when the pipeline has
one, 'graph_rewriter_config'. Its values are views into one pipeline message,
so editing them edits the pipeline.

Files are read and written through utils.file_io: local paths directly, URLs
(gs://, ...) through tf.io.gfile.
Unusable input raises ConfigError (a ValueError) with file, line, column and
field path; see config_errors. Overrides: config_overrides. Semantic checks:
config_validation.
"""

import logging
import os
from typing import Any, Dict, List, Optional, Union

from google.protobuf import message as message_lib
from google.protobuf import text_format

from object_detection.protos import eval_pb2
from object_detection.protos import graph_rewriter_pb2
from object_detection.protos import image_resizer_pb2
from object_detection.protos import input_reader_pb2
from object_detection.protos import model_pb2
from object_detection.protos import pipeline_pb2
from object_detection.protos import train_pb2
from object_detection.utils import config_errors
from object_detection.utils import config_overrides
from object_detection.utils import config_parsing
from object_detection.utils import config_paths
from object_detection.utils import config_validation
from object_detection.utils import file_io

# Public names from the helper modules: one import for users.
ConfigError = config_errors.ConfigError
Problem = config_validation.Problem
validate = config_validation.validate
get_field_by_path = config_paths.get_field_by_path
set_field_by_path = config_paths.set_field_by_path
has_field_by_path = config_paths.has_field_by_path
find_field_descriptor = config_paths.find_field_descriptor
merge_external_params_with_configs = (
    config_overrides.merge_external_params_with_configs)
update_input_reader_config = config_overrides.update_input_reader_config
check_and_parse_input_config_key = (
    config_overrides.check_and_parse_input_config_key)
parse_override_assignments = config_overrides.parse_override_assignments
NAMED_OVERRIDE_KEYS = config_overrides.NAMED_OVERRIDE_KEYS

_LOG = logging.getLogger(__name__)
_CONFIG_FILE_SUFFIXES = (".config", ".pbtxt", ".txt")
DEFAULT_CONFIG_NAME = "pipeline.config"

Configs = Dict[str, Any]


def read_text(path: str) -> str:
  """The text of a file (a local path or a URL that tf.io.gfile reads).

  Args:
    path: file path or URL.

  Returns:
    The file's text.

  Raises:
    ConfigError: the file does not exist, cannot be read, or is not UTF-8.
  """
  data = config_errors.read_bytes(path)
  try:
    return data.decode("utf-8")
  except UnicodeDecodeError as e:
    line = data[:e.start].count(b"\n") + 1
    raise ConfigError("%s:%d: not UTF-8 text (byte 0x%02x at offset %d)" % (
        path, line, data[e.start], e.start), path=path, line=line,
                      reason="not UTF-8 text") from None


def parse_pipeline_text(text: str, path: str = "<string>"
                        ) -> pipeline_pb2.TrainEvalPipelineConfig:
  """Parses the text of a pipeline.config.

  Args:
    text: text-format TrainEvalPipelineConfig.
    path: name of the text's source, shown in error messages.

  Returns:
    A new pipeline_pb2.TrainEvalPipelineConfig.

  Raises:
    ConfigError: syntax or schema error, with file:line:column, the line
      with a caret, the enclosing field path and suggestions.
  """
  return config_parsing.parse_text(text, pipeline_pb2.TrainEvalPipelineConfig,
                                   path)


def load_pipeline_config(path: str, config_override: Optional[str] = None
                         ) -> pipeline_pb2.TrainEvalPipelineConfig:
  """Reads a pipeline.config file into a TrainEvalPipelineConfig.

  Args:
    path: pipeline.config path (anything tf.io.gfile reads).
    config_override: optional text-format TrainEvalPipelineConfig merged on
      top of the file (repeated fields append, as text_format.Merge does).

  Returns:
    pipeline_pb2.TrainEvalPipelineConfig.

  Raises:
    ConfigError: unreadable file, or a syntax/schema error in either text.
  """
  pipeline = parse_pipeline_text(read_text(path), path)
  if config_override:
    config_parsing.merge_text(config_override, pipeline, "<config_override>")
  return pipeline


def get_configs_from_pipeline_file(pipeline_config_path: str,
                                   config_override: Optional[str] = None
                                   ) -> Configs:
  """Reads a pipeline.config file into a configs dict.

  Args:
    pipeline_config_path: path of a text-format TrainEvalPipelineConfig.
    config_override: optional text-format TrainEvalPipelineConfig merged on
      top of the file.

  Returns:
    dict with keys model, train_config, train_input_config, eval_config,
    eval_input_configs, eval_input_config (when there is an eval input
    reader) and graph_rewriter_config (when present).

  Raises:
    ConfigError: unreadable file or syntax/schema error (see
      parse_pipeline_text).
  """
  return create_configs_from_pipeline_proto(
      load_pipeline_config(pipeline_config_path, config_override))


def create_configs_from_pipeline_proto(
    pipeline_config: pipeline_pb2.TrainEvalPipelineConfig) -> Configs:
  """The configs dict of a pipeline message (views, not copies).

  Args:
    pipeline_config: pipeline_pb2.TrainEvalPipelineConfig.

  Returns:
    dict, see get_configs_from_pipeline_file.
  """
  configs = {
      "model": pipeline_config.model,
      "train_config": pipeline_config.train_config,
      "train_input_config": pipeline_config.train_input_reader,
      "eval_config": pipeline_config.eval_config,
      "eval_input_configs": pipeline_config.eval_input_reader,
  }
  if pipeline_config.eval_input_reader:
    configs["eval_input_config"] = pipeline_config.eval_input_reader[0]
  if pipeline_config.HasField("graph_rewriter"):
    configs["graph_rewriter_config"] = pipeline_config.graph_rewriter
  return configs


def create_pipeline_proto_from_configs(
    configs: Configs) -> pipeline_pb2.TrainEvalPipelineConfig:
  """A new pipeline message holding copies of a configs dict's parts.

  Args:
    configs: dict as from get_configs_from_pipeline_file; a dict with only
      'eval_input_config' (old code) is accepted too. Missing keys and empty
      messages leave their part unset, so a pipeline without, say, a
      train_input_reader does not gain an empty one on a round trip.

  Returns:
    pipeline_pb2.TrainEvalPipelineConfig.
  """
  pipeline = pipeline_pb2.TrainEvalPipelineConfig()
  parts = (("model", pipeline.model),
           ("train_config", pipeline.train_config),
           ("train_input_config", pipeline.train_input_reader),
           ("eval_config", pipeline.eval_config),
           ("graph_rewriter_config", pipeline.graph_rewriter))
  for key, target in parts:
    if configs.get(key) is not None and configs[key].ListFields():
      target.CopyFrom(configs[key])
  if "eval_input_configs" in configs:
    pipeline.eval_input_reader.extend(configs["eval_input_configs"])
  elif configs.get("eval_input_config") is not None:
    pipeline.eval_input_reader.add().CopyFrom(configs["eval_input_config"])
  return pipeline


def pipeline_config_to_text(
    pipeline_config: Union[pipeline_pb2.TrainEvalPipelineConfig, Configs]
) -> str:
  """The canonical text form of a pipeline message or configs dict."""
  if isinstance(pipeline_config, dict):
    pipeline_config = create_pipeline_proto_from_configs(pipeline_config)
  return text_format.MessageToString(pipeline_config)


def config_file_path(directory_or_path: str) -> str:
  """Where save_pipeline_config writes: the path itself for a file name
  ending in .config/.pbtxt/.txt, else <directory>/pipeline.config."""
  if directory_or_path.lower().endswith(_CONFIG_FILE_SUFFIXES):
    return directory_or_path
  return os.path.join(directory_or_path, DEFAULT_CONFIG_NAME)


write_text_atomically = file_io.write_text_atomically


def save_pipeline_config(
    pipeline_config: Union[pipeline_pb2.TrainEvalPipelineConfig, Configs],
    directory: str) -> str:
  """Saves a pipeline config as text, atomically.

  Args:
    pipeline_config: a TrainEvalPipelineConfig or a configs dict.
    directory: a folder (the file is <directory>/pipeline.config) or a file
      path ending in .config, .pbtxt or .txt. Parent folders are created.

  Returns:
    The path written.

  Raises:
    OSError: the file cannot be written; an existing file is then
      left unchanged.
  """
  text = pipeline_config_to_text(pipeline_config)
  path = config_file_path(directory)
  _LOG.info("Writing pipeline config file to %s", path)
  write_text_atomically(path, text)
  return path


def _read_message(path: str, message_class) -> message_lib.Message:
  return config_parsing.parse_text(read_text(path), message_class, path)


def get_graph_rewriter_config_from_file(
    graph_rewriter_config_file: str) -> graph_rewriter_pb2.GraphRewriter:
  """Reads a text-format GraphRewriter file.

  Raises:
    ConfigError: unreadable file or syntax/schema error.
  """
  return _read_message(graph_rewriter_config_file,
                       graph_rewriter_pb2.GraphRewriter)


def get_configs_from_multiple_files(model_config_path: str = "",
                                    train_config_path: str = "",
                                    train_input_config_path: str = "",
                                    eval_config_path: str = "",
                                    eval_input_config_path: str = "",
                                    graph_rewriter_config_path: str = ""
                                    ) -> Configs:
  """Reads the parts of a pipeline from one file each.

  Args:
    model_config_path: text-format DetectionModel.
    train_config_path: text-format TrainConfig.
    train_input_config_path: text-format InputReader.
    eval_config_path: text-format EvalConfig.
    eval_input_config_path: text-format InputReader.
    graph_rewriter_config_path: text-format GraphRewriter.

  Returns:
    configs dict with an entry for each non-empty path (eval_input_configs
    is a one-element list, eval_input_config its element).

  Raises:
    ConfigError: unreadable file or syntax/schema error.
  """
  configs = {}
  if model_config_path:
    configs["model"] = _read_message(model_config_path, model_pb2.DetectionModel)
  if train_config_path:
    configs["train_config"] = _read_message(train_config_path,
                                            train_pb2.TrainConfig)
  if train_input_config_path:
    configs["train_input_config"] = _read_message(
        train_input_config_path, input_reader_pb2.InputReader)
  if eval_config_path:
    configs["eval_config"] = _read_message(eval_config_path,
                                           eval_pb2.EvalConfig)
  if eval_input_config_path:
    reader = _read_message(eval_input_config_path, input_reader_pb2.InputReader)
    configs["eval_input_configs"] = [reader]
    configs["eval_input_config"] = reader
  if graph_rewriter_config_path:
    configs["graph_rewriter_config"] = get_graph_rewriter_config_from_file(
        graph_rewriter_config_path)
  return configs


# ---------------------------------------------------------------------------
# Accessors.


def _model_kind(model_config: model_pb2.DetectionModel) -> Optional[str]:
  return model_config.WhichOneof("model")


def get_number_of_classes(model_config: model_pb2.DetectionModel) -> int:
  """num_classes of a faster_rcnn or ssd model.

  Raises:
    ValueError: the model is neither faster_rcnn nor ssd.
  """
  kind = _model_kind(model_config)
  if kind in ("faster_rcnn", "ssd"):
    return getattr(model_config, kind).num_classes
  raise ValueError("model: expected faster_rcnn or ssd, got %s" % (
      kind or "an unset model"))


def get_image_resizer_config(model_config: model_pb2.DetectionModel
                             ) -> image_resizer_pb2.ImageResizer:
  """The image_resizer of a faster_rcnn, ssd or center_net model.

  Raises:
    ValueError: the model type has no image resizer.
  """
  kind = _model_kind(model_config)
  if kind is not None:
    model = getattr(model_config, kind)
    if "image_resizer" in model.DESCRIPTOR.fields_by_name:
      return model.image_resizer
  raise ValueError("model: %s has no image_resizer" % (
      kind or "an unset model"))


def get_spatial_image_size(image_resizer_config: image_resizer_pb2.ImageResizer
                           ) -> List[int]:
  """[height, width] of the resized images, -1 where not fixed.

  Args:
    image_resizer_config: image_resizer_pb2.ImageResizer.

  Returns:
    list of two python ints: the fixed_shape_resizer's size; max_dimension
    twice for a keep_aspect_ratio_resizer that pads to it; [-1, -1] for
    resizers whose output size depends on the image.

  Raises:
    ValueError: no resizer type is set.
  """
  kind = image_resizer_config.WhichOneof("image_resizer_oneof")
  if kind == "fixed_shape_resizer":
    resizer = image_resizer_config.fixed_shape_resizer
    return [resizer.height, resizer.width]
  if kind == "keep_aspect_ratio_resizer":
    resizer = image_resizer_config.keep_aspect_ratio_resizer
    if resizer.pad_to_max_dimension:
      return [resizer.max_dimension] * 2
    return [-1, -1]
  if kind is not None:
    return [-1, -1]
  raise ValueError("image_resizer: no resizer type is set")


def get_optimizer_type(train_config: train_pb2.TrainConfig) -> Optional[str]:
  """Name of the optimizer oneof member set ('adam_optimizer', ...) or None."""
  return train_config.optimizer.WhichOneof("optimizer")


def get_learning_rate_type(optimizer_config) -> Optional[str]:
  """Name of the learning-rate oneof member of an optimizer, or None.

  Args:
    optimizer_config: an optimizer message with a `learning_rate` field
      (e.g. optimizer_pb2.AdamOptimizer).
  """
  return optimizer_config.learning_rate.WhichOneof("learning_rate")


def update_fine_tune_checkpoint_type(train_config: train_pb2.TrainConfig
                                     ) -> None:
  """Derives fine_tune_checkpoint_type from from_detection_checkpoint.

  The deprecated boolean from_detection_checkpoint is honoured only when
  fine_tune_checkpoint_type is empty: true means 'detection', false
  'classification'.

  Args:
    train_config: train_pb2.TrainConfig, modified in place.
  """
  if not train_config.fine_tune_checkpoint_type:
    train_config.fine_tune_checkpoint_type = (
        "detection" if train_config.from_detection_checkpoint
        else "classification")


__all__ = [
    "ConfigError", "Problem", "validate", "get_field_by_path",
    "set_field_by_path", "has_field_by_path", "find_field_descriptor",
    "merge_external_params_with_configs", "update_input_reader_config",
    "check_and_parse_input_config_key", "parse_override_assignments",
    "NAMED_OVERRIDE_KEYS", "read_text", "parse_pipeline_text",
    "load_pipeline_config", "get_configs_from_pipeline_file",
    "create_configs_from_pipeline_proto", "create_pipeline_proto_from_configs",
    "pipeline_config_to_text", "config_file_path", "write_text_atomically",
    "save_pipeline_config", "get_graph_rewriter_config_from_file",
    "get_configs_from_multiple_files", "get_number_of_classes",
    "get_image_resizer_config", "get_spatial_image_size", "get_optimizer_type",
    "get_learning_rate_type", "update_fine_tune_checkpoint_type",
    "DEFAULT_CONFIG_NAME",
]
