"""Semantic checks of a pipeline config: what parses but cannot train.

`validate(configs)` returns a list of Problem(severity, field_path, message),
errors first. Field paths are pipeline.config paths (`train_input_reader`,
`eval_input_reader[0]`), the same ones `od-config get/set` take. Checks:

- num_classes against the label maps (largest id; number of classes);
- label maps: ids >= 1 (0 only for background), unique ids and names;
- input and label map paths exist (warning; glob patterns and sharded
  `name@N` / `name-?????-of-0000N` files count); PATH_TO_BE_CONFIGURED left
  anywhere (error);
- multiscale anchor levels against the feature pyramid levels the feature
  extractor provides;
- image resizer sizes > 0; batch sizes >= 1;
- learning-rate schedules (warm-up within total steps, manual-step
  boundaries increasing);
- instance masks predicted by the model but not loaded by an input reader;
- a feature extractor type the model builder does not know.
"""

import dataclasses
import importlib
import os
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

from google.protobuf import descriptor as descriptor_lib
from google.protobuf import message as message_lib

from object_detection.protos import model_pb2
from object_detection.utils import config_errors
from object_detection.utils import file_io
from object_detection.utils import label_map_util

ERROR = "error"
WARNING = "warning"
PLACEHOLDER = "PATH_TO_BE_CONFIGURED"

# Pyramid levels of a Faster R-CNN *_fpn_keras extractor without an fpn block.
DEFAULT_FASTER_RCNN_FPN_LEVELS = (2, 6)

_SHARD_SPEC = re.compile(r"^(?P<base>.+)@(?P<count>[0-9]+)$")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclasses.dataclass(frozen=True)
class Problem:
  """One finding of validate().

  Attributes:
    severity: 'error' (training or evaluation would fail or be wrong) or
      'warning' (likely a mistake, e.g. a path missing on this machine).
    field_path: pipeline.config path of the field the problem is about.
    message: what is wrong and, where clear, how to fix it.
  """
  severity: str
  field_path: str
  message: str

  def __str__(self) -> str:
    return "%s: %s: %s" % (self.severity, self.field_path, self.message)


class _Report:
  """Collects problems; each (path, message) once."""

  def __init__(self):
    self.problems: List[Problem] = []
    self._seen = set()

  def add(self, severity: str, field_path: str, message: str) -> None:
    key = (field_path, message)
    if key not in self._seen:
      self._seen.add(key)
      self.problems.append(Problem(severity, field_path, message))

  def error(self, field_path: str, message: str) -> None:
    self.add(ERROR, field_path, message)

  def warning(self, field_path: str, message: str) -> None:
    self.add(WARNING, field_path, message)


@dataclasses.dataclass
class _Parts:
  """The parts of a pipeline, each with its pipeline.config path."""
  model: Optional[message_lib.Message]
  train_config: Optional[message_lib.Message]
  eval_config: Optional[message_lib.Message]
  readers: List[Tuple[str, message_lib.Message]]
  others: List[Tuple[str, message_lib.Message]]


def _parts(configs: Any) -> _Parts:
  """Splits a configs dict or a TrainEvalPipelineConfig into _Parts."""
  if isinstance(configs, message_lib.Message):
    pipeline = configs
    configs = {
        "model": pipeline.model,
        "train_config": pipeline.train_config,
        "train_input_config": pipeline.train_input_reader,
        "eval_config": pipeline.eval_config,
        "eval_input_configs": pipeline.eval_input_reader,
    }
    if pipeline.HasField("graph_rewriter"):
      configs["graph_rewriter_config"] = pipeline.graph_rewriter
  readers = []
  # A configs dict always holds a train_input_config; an empty one stands
  # for a pipeline without a training reader, which has nothing to check.
  train_reader = configs.get("train_input_config")
  if train_reader is not None and train_reader.ListFields():
    readers.append(("train_input_reader", configs["train_input_config"]))
  eval_readers = configs.get("eval_input_configs")
  if eval_readers is None and configs.get("eval_input_config") is not None:
    eval_readers = [configs["eval_input_config"]]
  for i, reader in enumerate(eval_readers or []):
    readers.append(("eval_input_reader[%d]" % i, reader))
  others = [(path, configs[key]) for key, path in (
      ("model", "model"), ("train_config", "train_config"),
      ("eval_config", "eval_config"),
      ("graph_rewriter_config", "graph_rewriter")) if configs.get(key)
            is not None]
  return _Parts(configs.get("model"), configs.get("train_config"),
                configs.get("eval_config"), readers, others)


def validate(configs: Any, config_path: Optional[str] = None
             ) -> List[Problem]:
  """Checks a pipeline for mistakes that parse but break training.

  Args:
    configs: configs dict (get_configs_from_pipeline_file) or a
      pipeline_pb2.TrainEvalPipelineConfig.
    config_path: the pipeline.config file, if any; relative data paths that
      are missing from the working directory but present beside this file
      get a hint saying so.

  Returns:
    list of Problem, errors first, each in the order found; empty when
    nothing is wrong.
  """
  parts = _parts(configs)
  report = _Report()
  config_dir = os.path.dirname(config_path) if config_path else None
  placeholder_paths = _check_placeholders(parts, report)
  model_kind = parts.model.WhichOneof("model") if parts.model else None
  model = getattr(parts.model, model_kind) if model_kind else None
  if parts.model is not None and model_kind is None:
    report.error("model", "no model type is set (e.g. faster_rcnn { ... })")
  if model is not None:
    _check_model(model_kind, model, report)
  label_maps = _check_readers(parts.readers, placeholder_paths, config_dir,
                              report)
  if model is not None and "num_classes" in model.DESCRIPTOR.fields_by_name:
    _check_num_classes(model_kind, model, label_maps, report)
  if model_kind == "faster_rcnn":
    _check_masks(model, parts.readers, report)
  if parts.train_config is not None:
    _check_train_config(parts.train_config, report)
  if parts.eval_config is not None and parts.eval_config.batch_size < 1:
    report.error("eval_config.batch_size", "must be >= 1, got %d" %
                 parts.eval_config.batch_size)
  if model is not None and not any(
      p.severity == ERROR and p.field_path.startswith("model")
      for p in report.problems):
    _check_model_builds(model_kind, model, report)
  return sorted(report.problems, key=lambda p: p.severity != ERROR)


# ---------------------------------------------------------------------------
# Placeholders and paths.


def _string_fields(message: message_lib.Message, path: str
                   ) -> Iterator[Tuple[str, str]]:
  """(path, value) of every string set anywhere inside `message`."""
  for field, value in message.ListFields():
    field_path = "%s.%s" % (path, field.name)
    if field.cpp_type == descriptor_lib.FieldDescriptor.CPPTYPE_MESSAGE:
      if field.message_type.GetOptions().map_entry:
        for key in value:
          item = value[key]
          item_path = "%s[%r]" % (field_path, key)
          if isinstance(item, message_lib.Message):
            yield from _string_fields(item, item_path)
          elif isinstance(item, str):
            yield item_path, item
      elif field.is_repeated:
        for i, item in enumerate(value):
          yield from _string_fields(item, "%s[%d]" % (field_path, i))
      else:
        yield from _string_fields(value, field_path)
    elif field.cpp_type == descriptor_lib.FieldDescriptor.CPPTYPE_STRING:
      if field.is_repeated:
        for i, item in enumerate(value):
          yield "%s[%d]" % (field_path, i), item
      else:
        yield field_path, value


def _check_placeholders(parts: _Parts, report: _Report) -> set:
  """Errors for PATH_TO_BE_CONFIGURED; returns the paths that hold it."""
  found = set()
  for path, message in parts.others + parts.readers:
    for field_path, value in _string_fields(message, path):
      if PLACEHOLDER in value:
        found.add(field_path)
        report.error(field_path, "still holds the placeholder %s (%r); set "
                     "it to a real path" % (PLACEHOLDER, value))
  return found


def _exists(path: str) -> bool:
  """Whether a data path names at least one file (globs and shards count)."""
  shard = _SHARD_SPEC.match(path)
  if shard:
    count = int(shard.group("count"))
    path = "%s-%05d-of-%05d" % (shard.group("base"), 0, count)
  if _GLOB_CHARS.search(path):
    return bool(file_io.glob(path))
  return file_io.exists(path) or bool(file_io.glob(path + "-?????-of-?????"))


def _check_path(field_path: str, path: str, what: str,
                config_dir: Optional[str], report: _Report) -> bool:
  """Warns when `path` names no file; returns whether it exists."""
  if _exists(path):
    return True
  hint = ""
  if config_dir and not os.path.isabs(path) and "://" not in path:
    if _exists(os.path.join(config_dir, path)):
      hint = ("; it exists relative to the config file's folder, but paths "
              "are read relative to the working directory")
  report.warning(field_path, "%s %r does not exist%s" % (what, path, hint))
  return False


def _check_readers(readers, placeholder_paths: set,
                   config_dir: Optional[str], report: _Report) -> Dict:
  """Checks input readers; returns {label_map_path: (reader path, map)}."""
  label_maps = {}
  seen_label_maps = set()
  for reader_path, reader in readers:
    if reader.WhichOneof("input_reader") == "tf_record_input_reader":
      paths = reader.tf_record_input_reader.input_path
      base = reader_path + ".tf_record_input_reader.input_path"
      if not paths:
        report.warning(base, "no input file is set")
      for i, path in enumerate(paths):
        field_path = "%s[%d]" % (base, i)
        if field_path not in placeholder_paths:
          _check_path(field_path, path, "input", config_dir, report)
    field_path = reader_path + ".label_map_path"
    path = reader.label_map_path
    if not path or field_path in placeholder_paths:
      continue
    if path in seen_label_maps:
      continue
    seen_label_maps.add(path)
    if not _check_path(field_path, path, "label map", config_dir, report):
      continue
    try:
      label_map = label_map_util.read_labelmap(path)
    except config_errors.ConfigError as e:
      report.error(field_path, "cannot read the label map: %s" % e)
      continue
    for error in label_map_util.label_map_errors(label_map):
      report.error(field_path, "label map %s: %s" % (path, error))
    label_maps[path] = (field_path, label_map)
  return label_maps


# ---------------------------------------------------------------------------
# Model.


def _check_num_classes(kind: str, model, label_maps: Dict,
                       report: _Report) -> None:
  path = "model.%s.num_classes" % kind
  num_classes = model.num_classes
  if num_classes < 1:
    report.error(path, "must be >= 1, got %d" % num_classes)
    return
  for label_map_path, (field_path, label_map) in label_maps.items():
    ids = [item.id for item in label_map.item if item.id > 0]
    if not ids:
      report.error(field_path, "label map %s has no classes" % label_map_path)
      continue
    largest, count = max(ids), len(set(ids))
    summary = "label map %s (from %s) has %d classes with ids up to %d" % (
        label_map_path, field_path, count, largest)
    if largest > num_classes:
      report.error(path, "%s, but num_classes is %d: set num_classes to %d" % (
          summary, num_classes, largest))
    elif largest < num_classes:
      report.warning(path, "%s, but num_classes is %d: ids %d..%d are never "
                     "labelled" % (summary, num_classes, largest + 1,
                                   num_classes))


def _check_model(kind: str, model, report: _Report) -> None:
  base = "model.%s" % kind
  if "image_resizer" in model.DESCRIPTOR.fields_by_name:
    _check_image_resizer(model.image_resizer, base + ".image_resizer", report)
  if kind == "faster_rcnn":
    _check_feature_extractor_type(
        model.feature_extractor.type, base + ".feature_extractor.type",
        _model_builder().FASTER_RCNN_FEATURE_EXTRACTOR_TYPES, report)
    _check_faster_rcnn_levels(model, report)
  elif kind == "ssd":
    _check_ssd_levels(model, report)



def _model_builder():
  # Imported on first use: it brings in TensorFlow, which the rest of the
  # config handling does without.
  return importlib.import_module("object_detection.builders.model_builder")


def _check_model_builds(kind: str, model, report: _Report) -> None:
  """Runs the model builder's own build-time checks (no network is built).

  They catch what would otherwise fail only when training starts: fields
  the model cannot honour, bad values, inconsistent stages. The builder
  stops at its first error, so at most one problem comes from here; it
  runs only when the other checks found no error in the model, so the same
  mistake is not reported twice in two wordings.
  """
  detection_model = model_pb2.DetectionModel()
  getattr(detection_model, kind).CopyFrom(model)
  try:
    _model_builder().validate(detection_model, is_training=True)
  except (ValueError, TypeError) as e:
    path, sep, message = str(e).partition(": ")
    if not sep or not path.startswith("model"):
      path, message = "model." + kind, str(e)
    report.error(path, message)


def _check_feature_extractor_type(type_name: str, path: str, known,
                                  report: _Report) -> bool:
  """Reports an unset or unknown type; returns whether the type is known."""
  if not type_name:
    report.error(path, "is not set; valid: %s" % ", ".join(sorted(known)))
    return False
  if type_name not in known:
    hint = config_errors.did_you_mean(
        config_errors.closest_names(type_name, known))
    report.error(path, "%r is not a feature extractor the model builder "
                 "knows%s; valid: %s" % (
                     type_name, " (%s)" % hint if hint else "",
                     ", ".join(sorted(known))))
    return False
  return True


def _check_image_resizer(resizer, path: str, report: _Report) -> None:
  kind = resizer.WhichOneof("image_resizer_oneof")
  if kind is None:
    report.error(path, "no resizer type is set (e.g. keep_aspect_ratio_"
                 "resizer { min_dimension: 600 max_dimension: 1024 })")
    return
  inner = getattr(resizer, kind)
  base = "%s.%s" % (path, kind)
  sizes = {
      "fixed_shape_resizer": ("height", "width"),
      "keep_aspect_ratio_resizer": ("min_dimension", "max_dimension"),
      "conditional_shape_resizer": ("size_threshold",),
      "pad_to_multiple_resizer": ("multiple",),
  }.get(kind, ())
  for name in sizes:
    if getattr(inner, name) <= 0:
      report.error("%s.%s" % (base, name), "must be > 0, got %d" %
                   getattr(inner, name))
  if kind == "keep_aspect_ratio_resizer" and 0 < inner.max_dimension < \
      inner.min_dimension:
    report.error(base + ".max_dimension", "must be >= min_dimension (%d), "
                 "got %d" % (inner.min_dimension, inner.max_dimension))


def _faster_rcnn_pyramid(model) -> Optional[Tuple[int, int]]:
  """(min_level, max_level) of the extractor's pyramid, None without one."""
  extractor = model.feature_extractor
  if extractor.HasField("fpn"):
    return extractor.fpn.min_level, extractor.fpn.max_level
  if "fpn" in extractor.type:
    return DEFAULT_FASTER_RCNN_FPN_LEVELS
  return None


def _check_faster_rcnn_levels(model, report: _Report) -> None:
  anchors = model.first_stage_anchor_generator
  kind = anchors.WhichOneof("anchor_generator_oneof")
  pyramid = _faster_rcnn_pyramid(model)
  anchor_path = "model.faster_rcnn.first_stage_anchor_generator"
  extractor = "feature extractor %r" % model.feature_extractor.type
  if kind == "multiscale_anchor_generator":
    levels = (anchors.multiscale_anchor_generator.min_level,
              anchors.multiscale_anchor_generator.max_level)
    path = anchor_path + ".multiscale_anchor_generator"
    if pyramid is None:
      report.error(path, "makes anchors for levels %d..%d, but %s has no "
                   "feature pyramid (one feature map); use grid_anchor_"
                   "generator or an *_fpn_keras extractor" % (
                       levels + (extractor,)))
    elif levels != pyramid:
      report.error(path, "anchor levels %d..%d do not match the pyramid "
                   "levels %d..%d that %s provides; set min_level: %d and "
                   "max_level: %d" % (levels + pyramid + (extractor,) +
                                      pyramid))
  elif kind is not None and pyramid is not None:
    report.error(anchor_path, "%s makes anchors for one feature map, but %s "
                 "provides pyramid levels %d..%d; use multiscale_anchor_"
                 "generator { min_level: %d max_level: %d }" % (
                     (kind, extractor) + pyramid + pyramid))


def _check_ssd_levels(model, report: _Report) -> None:
  extractor = model.feature_extractor
  pyramid_kind = extractor.WhichOneof("feature_pyramid_oneof")
  anchors = model.anchor_generator
  if (pyramid_kind is None or
      anchors.WhichOneof("anchor_generator_oneof") !=
      "multiscale_anchor_generator"):
    return
  pyramid = getattr(extractor, pyramid_kind)
  generator = anchors.multiscale_anchor_generator
  levels = (generator.min_level, generator.max_level)
  provided = (pyramid.min_level, pyramid.max_level)
  if levels != provided:
    report.error(
        "model.ssd.anchor_generator.multiscale_anchor_generator",
        "anchor levels %d..%d do not match the pyramid levels %d..%d of "
        "model.ssd.feature_extractor.%s" % (levels + provided +
                                             (pyramid_kind,)))


def _check_masks(model, readers, report: _Report) -> None:
  predictor = model.second_stage_box_predictor
  if predictor.WhichOneof("box_predictor_oneof") != "mask_rcnn_box_predictor":
    return
  if not predictor.mask_rcnn_box_predictor.predict_instance_masks:
    return
  for reader_path, reader in readers:
    if reader.load_instance_masks:
      continue
    severity = ERROR if reader_path == "train_input_reader" else WARNING
    consequence = ("training has no mask targets" if severity == ERROR else
                   "mask metrics cannot be computed")
    report.add(severity, reader_path + ".load_instance_masks",
               "the model predicts instance masks (model.faster_rcnn.second_"
               "stage_box_predictor.mask_rcnn_box_predictor.predict_instance_"
               "masks) but this reader does not load them, so %s; set "
               "load_instance_masks: true" % consequence)


# ---------------------------------------------------------------------------
# Training schedule.


def _check_train_config(train_config, report: _Report) -> None:
  if train_config.batch_size < 1:
    report.error("train_config.batch_size", "must be >= 1, got %d" %
                 train_config.batch_size)
  optimizer_kind = train_config.optimizer.WhichOneof("optimizer")
  if optimizer_kind is None:
    return
  optimizer = getattr(train_config.optimizer, optimizer_kind)
  if "learning_rate" not in optimizer.DESCRIPTOR.fields_by_name:
    return
  schedule_kind = optimizer.learning_rate.WhichOneof("learning_rate")
  if schedule_kind is None:
    return
  schedule = getattr(optimizer.learning_rate, schedule_kind)
  path = "train_config.optimizer.%s.learning_rate.%s" % (optimizer_kind,
                                                         schedule_kind)
  num_steps = train_config.num_steps
  if schedule_kind == "cosine_decay_learning_rate":
    _check_cosine(schedule, path, num_steps, report)
  elif schedule_kind == "manual_step_learning_rate":
    _check_manual_steps(schedule, path, report)
  elif schedule_kind == "exponential_decay_learning_rate":
    if schedule.decay_steps < 1:
      report.error(path + ".decay_steps", "must be >= 1, got %d" %
                   schedule.decay_steps)


def _check_cosine(schedule, path: str, num_steps: int,
                  report: _Report) -> None:
  if schedule.warmup_steps > schedule.total_steps:
    report.error(path + ".warmup_steps", "warm-up (%d steps) must not be "
                 "longer than total_steps (%d)" % (schedule.warmup_steps,
                                                   schedule.total_steps))
  if schedule.warmup_learning_rate > schedule.learning_rate_base:
    report.error(path + ".warmup_learning_rate", "%g must be <= "
                 "learning_rate_base (%g)" % (schedule.warmup_learning_rate,
                                               schedule.learning_rate_base))
  if 0 < num_steps <= schedule.warmup_steps:
    report.warning(path + ".warmup_steps", "training stops at train_config."
                   "num_steps = %d, before the %d-step warm-up ends" % (
                       num_steps, schedule.warmup_steps))


def _check_manual_steps(schedule, path: str, report: _Report) -> None:
  steps = [piece.step for piece in schedule.schedule]
  if steps and steps[0] == 0:
    report.error(path + ".schedule[0].step", "must be > 0: the rate before "
                 "the first step is initial_learning_rate")
  for i in range(1, len(steps)):
    if steps[i] <= steps[i - 1]:
      report.error("%s.schedule[%d].step" % (path, i), "boundaries must "
                   "increase: %d follows %d (steps: %s)" % (
                       steps[i], steps[i - 1], steps))
