"""Label maps: reading StringIntLabelMap files and turning them into categories.

A label map names the classes of a dataset and gives each an integer id:

    item { id: 1 name: "/m/01g317" display_name: "person" }

Ids start at 1; 0 is the background class and may appear only as an item
named 'background'. Ids and names are unique within a map. A category is a
dict {'id': int, 'name': str} (plus 'keypoints', 'frequency',
'instance_count' when the item has them); a category index maps id ->
category. Function names and results follow the TF OD API.
"""

import collections
import logging
from typing import Dict, List, Optional, Union

from google.protobuf import message as message_lib

from object_detection.protos import string_int_label_map_pb2
from object_detection.utils import config_errors
from object_detection.utils import config_parsing

ConfigError = config_errors.ConfigError
StringIntLabelMap = string_int_label_map_pb2.StringIntLabelMap
_LOG = logging.getLogger(__name__)
_BACKGROUND = "background"
# LVIS frequency bucket name -> the one-letter code of LVIS annotations.
_FREQUENCY_CODES = {"FREQUENT": "f", "COMMON": "c", "RARE": "r"}


def _describe(item: string_int_label_map_pb2.StringIntLabelMapItem,
              index: int) -> str:
  label = item.name or item.display_name
  return "item[%d]%s" % (index, " (%r)" % label if label else "")


def label_map_errors(label_map: StringIntLabelMap) -> List[str]:
  """What is wrong with a label map, one sentence per problem.

  Rules: every item has an id >= 1 (id 0 only for an item named
  'background'); ids are unique; names are unique; keypoint ids are unique
  within an item. display_name may repeat (real datasets repeat them).

  Args:
    label_map: string_int_label_map_pb2.StringIntLabelMap.

  Returns:
    list of str, empty when the map is valid; each starts with the item it
    is about, e.g. "item[3] ('dog'): id 2 is also used by item[1] ('cat')".
  """
  errors = []
  first_by_id = {}
  first_by_name = {}
  for index, item in enumerate(label_map.item):
    where = _describe(item, index)
    if not item.HasField("id"):
      errors.append("%s: has no id" % where)
    elif item.id < 0 or (item.id == 0 and _BACKGROUND not in (
        item.name, item.display_name)):
      errors.append("%s: id %d is not allowed; ids start at 1 (0 only for "
                    "'background')" % (where, item.id))
    elif item.id in first_by_id:
      errors.append("%s: id %d is also used by %s" % (
          where, item.id, first_by_id[item.id]))
    else:
      first_by_id[item.id] = where
    if item.name:
      if item.name in first_by_name:
        errors.append("%s: name %r is also used by %s" % (
            where, item.name, first_by_name[item.name]))
      else:
        first_by_name[item.name] = where
    keypoint_ids = [kp.id for kp in item.keypoints]
    repeated = sorted(k for k, n in collections.Counter(keypoint_ids).items()
                      if n > 1)
    if repeated:
      errors.append("%s: keypoint ids %s are used more than once" % (
          where, repeated))
  return errors


def parse_labelmap(text: str, path: str = "<string>") -> StringIntLabelMap:
  """Parses label map text without checking its ids and names.

  Raises:
    ConfigError: syntax or schema error, with file:line:column.
  """
  return config_parsing.parse_text(text, StringIntLabelMap, path)


def read_labelmap(path: str) -> StringIntLabelMap:
  """Reads a label map file (text, or binary proto) without rule checks.

  Args:
    path: file path or URL that tf.io.gfile reads.

  Returns:
    string_int_label_map_pb2.StringIntLabelMap.

  Raises:
    ConfigError: missing or unreadable file, or text that does not parse.
  """
  data = config_errors.read_bytes(path, "label map file")
  try:
    text = data.decode("utf-8")
  except UnicodeDecodeError:
    text = None
  if text is not None:
    try:
      return parse_labelmap(text, path)
    except ConfigError as text_error:
      error = text_error
  else:
    error = ConfigError("%s: neither UTF-8 text nor a binary label map" % path,
                        path=path, reason="unreadable label map")
  label_map = StringIntLabelMap()
  try:
    label_map.ParseFromString(data)
  except message_lib.DecodeError:
    raise error from None
  if not label_map.item:
    raise error
  return label_map


def load_labelmap(path: str) -> StringIntLabelMap:
  """Reads a label map file and checks its ids and names.

  Args:
    path: file path or URL that tf.io.gfile reads (text or binary proto).

  Returns:
    string_int_label_map_pb2.StringIntLabelMap.

  Raises:
    ConfigError: unreadable file, syntax error, or a map that breaks the
      rules of label_map_errors (all problems listed).
  """
  label_map = read_labelmap(path)
  errors = label_map_errors(label_map)
  if errors:
    raise ConfigError("%s: invalid label map:\n  %s" % (
        path, "\n  ".join(errors)), path=path, reason=errors[0])
  return label_map


def _as_label_map(label_map_path_or_proto: Union[str, StringIntLabelMap]
                  ) -> StringIntLabelMap:
  if isinstance(label_map_path_or_proto, str):
    return load_labelmap(label_map_path_or_proto)
  errors = label_map_errors(label_map_path_or_proto)
  if errors:
    raise ConfigError("invalid label map:\n  %s" % "\n  ".join(errors),
                      reason=errors[0])
  return label_map_path_or_proto


def get_max_label_map_index(label_map: StringIntLabelMap) -> int:
  """The largest id of a label map (0 for an empty map)."""
  return max((item.id for item in label_map.item), default=0)


def get_label_map_dict(label_map_path_or_proto: Union[str, StringIntLabelMap],
                       use_display_name: bool = False,
                       fill_in_gaps_and_background: bool = False
                       ) -> Dict[str, int]:
  """Maps class name -> id.

  Args:
    label_map_path_or_proto: label map file path or StringIntLabelMap.
    use_display_name: key by display_name instead of name.
    fill_in_gaps_and_background: also map 'background' -> 0 (unless id 0 is
      taken) and str(i) -> i for every id missing below the largest one.

  Returns:
    dict str -> int.

  Raises:
    ConfigError: unreadable or invalid label map.
  """
  label_map = _as_label_map(label_map_path_or_proto)
  result = {}
  for item in label_map.item:
    result[item.display_name if use_display_name else item.name] = item.id
  if fill_in_gaps_and_background:
    ids = set(result.values())
    if 0 not in ids:
      result[_BACKGROUND] = 0
    for missing in range(1, max(ids, default=0)):
      if missing not in ids:
        result[str(missing)] = missing
  return result


def get_keypoint_label_map_dict(label_map_path_or_proto: Union[
    str, StringIntLabelMap]) -> Dict[str, int]:
  """Maps keypoint label -> keypoint id over all items of a label map.

  Raises:
    ConfigError: unreadable or invalid label map, or one keypoint label
      with two different ids.
  """
  label_map = _as_label_map(label_map_path_or_proto)
  result = {}
  for item in label_map.item:
    for keypoint in item.keypoints:
      if result.get(keypoint.label, keypoint.id) != keypoint.id:
        raise ConfigError(
            "label map: keypoint %r has ids %d and %d" % (
                keypoint.label, result[keypoint.label], keypoint.id),
            reason="conflicting keypoint ids")
      result[keypoint.label] = keypoint.id
  return result


def convert_label_map_to_categories(label_map: Optional[StringIntLabelMap],
                                    max_num_classes: int,
                                    use_display_name: bool = True
                                    ) -> List[dict]:
  """Categories of the items with 0 < id <= max_num_classes.

  Args:
    label_map: StringIntLabelMap, or None for placeholder categories
      {'id': i, 'name': 'category_i'} for i in 1..max_num_classes.
    max_num_classes: largest id to keep.
    use_display_name: name a category by its display_name when the item has
      one, else by its name.

  Returns:
    list of dicts with 'id' and 'name' (and 'keypoints' {label: id},
    'frequency' 'f'/'c'/'r', 'instance_count' when the item sets them), one
    per id, in label map order.

  Raises:
    ValueError: an item repeats a keypoint id.
  """
  if label_map is None:
    return [{"id": i, "name": "category_%d" % i}
            for i in range(1, max_num_classes + 1)]
  categories = []
  seen_ids = set()
  for item in label_map.item:
    if not 0 < item.id <= max_num_classes:
      _LOG.info("Ignoring label map item with id %d outside 1..%d", item.id,
                max_num_classes)
      continue
    if item.id in seen_ids:
      continue
    seen_ids.add(item.id)
    name = item.name
    if use_display_name and item.HasField("display_name"):
      name = item.display_name
    category = {"id": item.id, "name": name}
    if item.keypoints:
      keypoints = {}
      for keypoint in item.keypoints:
        if keypoint.id in keypoints.values():
          raise ValueError("label map item %d (%r): keypoint id %d is used "
                           "more than once" % (item.id, name, keypoint.id))
        keypoints[keypoint.label] = keypoint.id
      category["keypoints"] = keypoints
    if item.HasField("frequency"):
      frequency = item.DESCRIPTOR.fields_by_name["frequency"].enum_type \
          .values_by_number.get(item.frequency)
      if frequency is not None and frequency.name in _FREQUENCY_CODES:
        category["frequency"] = _FREQUENCY_CODES[frequency.name]
    if item.HasField("instance_count"):
      category["instance_count"] = item.instance_count
    categories.append(category)
  return categories


def create_category_index(categories: List[dict]) -> Dict[int, dict]:
  """Maps category id -> category dict."""
  return {category["id"]: category for category in categories}


def create_categories_from_labelmap(label_map_path: str,
                                    use_display_name: bool = True
                                    ) -> List[dict]:
  """Reads a label map file into categories (all its ids).

  Raises:
    ConfigError: unreadable or invalid label map.
  """
  label_map = load_labelmap(label_map_path)
  return convert_label_map_to_categories(
      label_map, get_max_label_map_index(label_map), use_display_name)


def create_category_index_from_labelmap(label_map_path: str,
                                        use_display_name: bool = True
                                        ) -> Dict[int, dict]:
  """Reads a label map file into a category index {id: category}.

  Args:
    label_map_path: label map file path.
    use_display_name: name categories by display_name where set.

  Returns:
    dict int -> {'id': int, 'name': str, ...}.

  Raises:
    ConfigError: unreadable or invalid label map.
  """
  return create_category_index(
      create_categories_from_labelmap(label_map_path, use_display_name))


def create_class_agnostic_category_index() -> Dict[int, dict]:
  """The one-category index of class-agnostic detection."""
  return {1: {"id": 1, "name": "object"}}
