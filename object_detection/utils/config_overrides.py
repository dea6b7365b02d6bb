"""Overriding fields of a configs dict, as TF OD API users do it.

`merge_external_params_with_configs(configs, hparams, kwargs_dict)` takes
three kinds of keys, with values given as Python values or as strings from a
command line:

1. Named keys that update related fields together (`learning_rate` scales a
   schedule, `label_map_path` sets every input reader): see
   NAMED_OVERRIDE_KEYS and config_named_overrides.
2. `key_name:input_name:field_name`, e.g. `eval_input_configs:coco:shuffle`,
   for one named input reader.
3. Generic dotted paths from a configs key or a pipeline field, creating
   absent parents: `model.faster_rcnn.first_stage_anchor_generator.
   grid_anchor_generator.scales=[0.25,0.5,1.0]`, `eval_input_reader[0].shuffle`.

An unknown key is a ConfigError naming the closest valid keys; it is never
ignored. A None or '' value leaves the config unchanged (as upstream does, so
that unset command-line flags can be passed through), but its key is still
checked.
"""

import logging
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from google.protobuf import descriptor_pool
from google.protobuf import message as message_lib
from google.protobuf import message_factory

from object_detection.utils import config_errors
from object_detection.utils import config_named_overrides
from object_detection.utils import config_paths

ConfigError = config_errors.ConfigError
_LOG = logging.getLogger(__name__)
_PROTO_PACKAGE = "object_detection.protos."

# Keys of a configs dict (and pipeline field names accepted as aliases) that
# can start a generic dotted override path.
_GENERIC_ROOTS = {
    "model": "model",
    "train_config": "train_config",
    "eval_config": "eval_config",
    "train_input_config": "train_input_config",
    "train_input_reader": "train_input_config",
    "eval_input_configs": "eval_input_configs",
    "eval_input_reader": "eval_input_configs",
    "eval_input_config": "eval_input_config",
    "graph_rewriter_config": "graph_rewriter_config",
    "graph_rewriter": "graph_rewriter_config",
}
_ROOT_TYPES = {
    "model": "DetectionModel",
    "train_config": "TrainConfig",
    "eval_config": "EvalConfig",
    "train_input_config": "InputReader",
    "eval_input_configs": "InputReader",
    "eval_input_config": "InputReader",
    "graph_rewriter_config": "GraphRewriter",
}

# Fields of an input reader that `key_name:input_name:field_name` may set.
INPUT_CONFIG_FIELDS = ("input_path", "label_map_path", "shuffle", "mask_type",
                       "sample_1_of_n_examples")
_INPUT_CONFIG_KEY_NAMES = ("train_input_config", "eval_input_configs")

# Legacy input keys: key -> (configs key, input reader field, appends).
_LEGACY_INPUT_KEYS = {
    "train_shuffle": ("train_input_config", "shuffle", False),
    "eval_shuffle": ("eval_input_configs", "shuffle", False),
    "train_input_path": ("train_input_config", "input_path", False),
    "eval_input_path": ("eval_input_configs", "input_path", False),
    "append_train_input_path": ("train_input_config", "input_path", True),
    "append_eval_input_path": ("eval_input_configs", "input_path", True),
}

# Every key merge_external_params_with_configs knows by name.
NAMED_OVERRIDE_KEYS = tuple(sorted(
    set(config_named_overrides.NAMED_OVERRIDES) | set(_LEGACY_INPUT_KEYS)))


def _message_class(type_name: str):
  """The generated class of object_detection.protos.<type_name>."""
  descriptor = descriptor_pool.Default().FindMessageTypeByName(
      _PROTO_PACKAGE + type_name)
  return message_factory.GetMessageClass(descriptor)


# ---------------------------------------------------------------------------
# Input reader overrides.


def _update_tf_record_input_path(input_config: message_lib.Message,
                                 input_path: Any) -> None:
  """Replaces tf_record_input_reader.input_path by a path or list of paths.

  Raises:
    ConfigError: the reader is set to another input reader type.
  """
  _set_tf_record_paths(input_config, input_path, append=False)


def _append_tf_record_input_path(input_config: message_lib.Message,
                                 input_path: Any) -> None:
  """Appends a path or list of paths to tf_record_input_reader.input_path."""
  _set_tf_record_paths(input_config, input_path, append=True)


def _set_tf_record_paths(input_config, input_path, append: bool) -> None:
  reader_type = input_config.WhichOneof("input_reader")
  if reader_type not in (None, "tf_record_input_reader"):
    raise ConfigError(
        "input_path: the input reader is %s; only tf_record_input_reader "
        "has input paths" % reader_type, field_path="input_reader",
        reason="not a tf_record_input_reader")
  paths = config_paths.split_list(input_path)
  reader = input_config.tf_record_input_reader
  if not append:
    del reader.input_path[:]
  for i, path in enumerate(paths):
    reader.input_path.append(config_paths.convert_scalar(
        reader.DESCRIPTOR.fields_by_name["input_path"], path,
        "tf_record_input_reader.input_path[%d]" % i))


def check_and_parse_input_config_key(configs: Dict[str, Any], key: str
                                     ) -> Tuple[bool, Optional[str],
                                                Optional[str], str]:
  """Splits an input-reader override key.

  Args:
    configs: the configs dict.
    key: a legacy key ('train_shuffle', 'eval_input_path', ...), a
      'key_name:input_name:field_name' key, or any other key.

  Returns:
    (is_input_config_key, key_name, input_name, field_name); for other keys
    (False, None, None, key).

  Raises:
    ConfigError: a colon key with the wrong number of parts, an unknown
      key_name or field_name, or an input_name no reader has.
  """
  if ":" not in key:
    if key in _LEGACY_INPUT_KEYS:
      key_name, field_name, _ = _LEGACY_INPUT_KEYS[key]
      return True, key_name, None, field_name
    return False, None, None, key
  parts = key.split(":")
  if len(parts) != 3:
    raise ConfigError(
        "override key %r: expected key_name:input_name:field_name" % key,
        field_path=key, reason="malformed input override key")
  key_name, input_name, field_name = parts
  if key_name not in _INPUT_CONFIG_KEY_NAMES:
    raise _unknown(key, key_name, _INPUT_CONFIG_KEY_NAMES, "key_name")
  if field_name not in INPUT_CONFIG_FIELDS:
    raise _unknown(key, field_name, INPUT_CONFIG_FIELDS, "field_name")
  readers = configs.get(key_name)
  if isinstance(readers, message_lib.Message):
    readers = [readers]
  names = [reader.name for reader in readers or []]
  if input_name not in names:
    raise _unknown(key, input_name, [n for n in names if n], "input_name")
  return True, key_name, input_name, field_name


def _unknown(key: str, part: str, valid: Sequence[str], what: str
             ) -> ConfigError:
  suggestions = config_errors.closest_names(part, valid)
  reason = config_errors.with_suggestions(
      "unknown %s '%s' (valid: %s)" % (what, part, ", ".join(valid) or "none"),
      suggestions)
  return ConfigError("override key %r: %s" % (key, reason), field_path=key,
                     reason=reason, suggestions=suggestions)


def update_input_reader_config(
    configs: Dict[str, Any],
    key_name: Optional[str] = None,
    input_name: Optional[str] = None,
    field_name: Optional[str] = None,
    value: Any = None,
    path_updater: Callable[[message_lib.Message, Any], None] = (
        _update_tf_record_input_path)) -> None:
  """Sets one field of the train input reader or of an eval input reader.

  Args:
    configs: the configs dict (modified in place).
    key_name: 'train_input_config' or 'eval_input_configs'.
    input_name: `name` of the reader to update; None for the train reader or
      the only eval reader.
    field_name: field of input_reader_pb2.InputReader; 'input_path' means
      tf_record_input_reader.input_path and goes through `path_updater`.
    value: the new value (Python value or command-line string).
    path_updater: fn(input_config, input_path) used for 'input_path'.

  Raises:
    ConfigError: no such reader, an ambiguous reader, or a bad value.
  """
  def update(reader, shown):
    if field_name == "input_path":
      try:
        path_updater(reader, value)
      except ConfigError as e:
        raise ConfigError("%s.%s" % (shown, e), field_path=shown,
                          reason=e.reason) from None
    else:
      config_named_overrides.set_field(reader, field_name, value, "%s.%s" % (shown, field_name))

  if field_name is None:
    raise ConfigError("update_input_reader_config: field_name is required",
                      reason="field_name is required")
  target = configs.get(key_name) if key_name else None
  if isinstance(target, message_lib.Message):
    update(target, key_name)
    return
  readers = list(target or [])
  if input_name is None and len(readers) == 1:
    update(readers[0], "%s[0]" % key_name)
    return
  if input_name is not None and readers:
    matches = [i for i, r in enumerate(readers) if r.name == input_name]
    if not matches:
      raise ConfigError("%s: no input reader is named %r" % (
          key_name, input_name), field_path=key_name, reason="unknown input")
    if len(matches) > 1:
      raise ConfigError("%s: %d input readers are named %r" % (
          key_name, len(matches), input_name), field_path=key_name,
                        reason="duplicate input name")
    update(readers[matches[0]], "%s[%d]" % (key_name, matches[0]))
    return
  raise ConfigError(
      "cannot override %s of %s: %d input readers and input_name %r; name "
      "one with %s:<input_name>:%s" % (
          field_name, key_name, len(readers), input_name, key_name,
          field_name), field_path=key_name, reason="ambiguous input reader")


# ---------------------------------------------------------------------------
# Generic dotted paths.


def _generic_target(configs: Dict[str, Any], key: str
                    ) -> Tuple[message_lib.Message, str, str]:
  """(message, path inside it, shown prefix) for a generic override key."""
  head, _, rest = key.partition(".")
  segment = config_paths.parse_field_path(head)[0]
  name, index = segment
  root = _GENERIC_ROOTS.get(name)
  if root is None:
    raise _unknown_key(key)
  if not rest:
    raise ConfigError(
        "override key %r names a whole config; name a field inside it, e.g. "
        "%s.<field>" % (key, name), field_path=key, reason="not a field")
  if root == "eval_input_configs":
    readers = configs.get(root)
    if readers is None:
      readers = []
      configs[root] = readers
    size = len(readers)
    if index is None:
      if size != 1:
        raise ConfigError(
            "override %s: %d eval input readers; pick one, e.g. %s[0].%s" % (
                key, size, name, rest), field_path=name,
            reason="ambiguous input reader")
      index = 0
    if index < 0:
      index += size
    if not 0 <= index <= size:
      raise ConfigError("override %s: index %d is out of range (valid: 0..%d)"
                        % (key, segment[1], size), field_path=name,
                        reason="index out of range")
    if index == size:
      if isinstance(readers, list):
        readers.append(_message_class("InputReader")())
      else:
        readers.add()
      if index == 0:
        configs["eval_input_config"] = readers[0]
    return readers[index], rest, "%s[%d]" % (name, index)
  if index is not None:
    raise ConfigError("override %s: %s is not repeated; drop the [%d]" % (
        key, name, index), field_path=name, reason="not repeated")
  if root == "eval_input_config" and root not in configs:
    return _generic_target(configs, "eval_input_configs." + rest)
  if root not in configs:
    configs[root] = _message_class(_ROOT_TYPES[root])()
  return configs[root], rest, name


def _unknown_key(key: str) -> ConfigError:
  head = key.split(".", 1)[0].split("[", 1)[0]
  candidates = list(NAMED_OVERRIDE_KEYS) + list(_GENERIC_ROOTS)
  suggestions = config_errors.closest_names(head if "." in key else key,
                                            candidates)
  # The suggestion comes first; the full lists follow for reference.
  hint = config_errors.did_you_mean(suggestions)
  reason = (
      "unknown override key '%s'%s Valid keys: a named key (%s), a "
      "key_name:input_name:field_name key, or a dotted field path starting "
      "with %s" % (key, "; " + hint if hint else ".",
                   ", ".join(NAMED_OVERRIDE_KEYS), ", ".join(_GENERIC_ROOTS)))
  return ConfigError(reason, field_path=key, reason=reason,
                     suggestions=suggestions)


def _update_generic(configs: Dict[str, Any], key: str, value: Any) -> None:
  target, rest, shown = _generic_target(configs, key)
  try:
    config_paths.set_field_by_path(target, rest, value)
  except ConfigError as e:
    if e.field_path is None:
      raise ConfigError("override %s: %s" % (key, e), field_path=key,
                        reason=str(e)) from None
    path = "%s.%s" % (shown, e.field_path) if e.field_path else shown
    raise ConfigError("%s: %s" % (path, e.reason), field_path=path,
                      reason=e.reason, suggestions=e.suggestions) from None


# ---------------------------------------------------------------------------
# The entry points.


def _check_key(configs: Dict[str, Any], key: str) -> None:
  """Raises the error an unknown key would raise, without changing configs."""
  if check_and_parse_input_config_key(configs, key)[0] or (
      key in config_named_overrides.NAMED_OVERRIDES):
    return
  if "." not in key:
    raise _unknown_key(key)
  head, _, rest = key.partition(".")
  name = config_paths.parse_field_path(head)[0][0]
  root = _GENERIC_ROOTS.get(name)
  if root is None:
    raise _unknown_key(key)
  descriptor = descriptor_pool.Default().FindMessageTypeByName(
      _PROTO_PACKAGE + _ROOT_TYPES[root])
  try:
    config_paths.find_field_descriptor(descriptor, rest)
  except ConfigError as e:
    path = "%s.%s" % (name, e.field_path) if e.field_path else key
    raise ConfigError("%s: %s" % (path, e.reason), field_path=path,
                      reason=e.reason, suggestions=e.suggestions) from None


def apply_override(configs: Dict[str, Any], key: str, value: Any) -> None:
  """Applies one override key (any of the three kinds) to `configs`.

  Args:
    configs: the configs dict (modified in place).
    key: override key.
    value: new value; None or '' changes nothing (the key is still
      checked).

  Raises:
    ConfigError: unknown key (with the closest valid ones) or a bad value.
  """
  if value is None or (isinstance(value, str) and value == ""):
    _check_key(configs, key)
    return
  _LOG.info("Maybe overwriting %s: %s", key, value)
  is_input_key, key_name, input_name, field_name = (
      check_and_parse_input_config_key(configs, key))
  if is_input_key:
    updater = _update_tf_record_input_path
    if _LEGACY_INPUT_KEYS.get(key, (None, None, False))[2]:
      updater = _append_tf_record_input_path
    update_input_reader_config(configs, key_name=key_name,
                               input_name=input_name, field_name=field_name,
                               value=value, path_updater=updater)
  elif key in config_named_overrides.NAMED_OVERRIDES:
    config_named_overrides.NAMED_OVERRIDES[key](configs, value)
  elif "." in key:
    _update_generic(configs, key, value)
  else:
    raise _unknown_key(key)


def merge_external_params_with_configs(
    configs: Dict[str, Any],
    hparams: Any = None,
    kwargs_dict: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
  """Updates a configs dict from override key/value pairs.

  Args:
    configs: dict from get_configs_from_pipeline_file (modified in place).
    hparams: optional object with a `values()` method returning a dict (the
      old tf HParams) or a mapping; its entries win over `kwargs_dict`.
    kwargs_dict: optional mapping of override key -> value (see the module
      docstring for the keys); applied in order.

  Returns:
    `configs`.

  Raises:
    ConfigError: an unknown key (naming the closest valid keys), or a value
      that does not fit its field.
  """
  overrides = dict(kwargs_dict or {})
  if hparams:
    values = hparams if isinstance(hparams, Mapping) else hparams.values()
    overrides.update(values)
  for key, value in overrides.items():
    apply_override(configs, key, value)
  return configs


def parse_override_assignments(assignments: Sequence[str]) -> Dict[str, str]:
  """Turns ['key=value', ...] (command-line form) into an ordered dict.

  Args:
    assignments: strings 'key=value'; the value may contain '=' itself.

  Returns:
    dict key -> value string, in order (a later key wins).

  Raises:
    ConfigError: an assignment without '=' or with an empty key.
  """
  result = {}
  for assignment in assignments:
    key, sep, value = assignment.partition("=")
    if not sep or not key.strip():
      raise ConfigError("override %r: expected KEY=VALUE" % assignment,
                        reason="expected KEY=VALUE")
    result[key.strip()] = value.strip()
  return result
