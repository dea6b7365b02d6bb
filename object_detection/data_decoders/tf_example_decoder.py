"""Decodes TF OD API tf.Example records into the detection tensor dict.

`TfExampleDecoder(...).decode(serialized)` reads one serialized
tf.train.Example in the layout of the TF Object Detection API's dataset tools
(and of `object_detection.data.tf_example_writer`) and returns the dict keyed
by `standard_fields.InputDataFields`: the image uint8 [height, width, 3],
normalised [ymin, xmin, ymax, xmax] boxes, 1-based class ids, per-box flags
and, when asked, instance masks [num_boxes, height, width] and keypoints
[num_boxes, num_keypoints, 2] as normalised (y, x).

The constructor's keyword names and defaults are the TF OD API's. Differences
from the TF OD API decoder:
  - `decode` takes an optional `record_location` (a string such as
    "data/train-00000-of-00004.tfrecord record 17") used in error messages.
  - The record is checked inside the graph. A bad record raises
    tf.errors.InvalidArgumentError whose message holds one line
    `<INVALID_RECORD_PREFIX><record_location>: source_id '<id>': <feature
    key>: <rule>, got <value>` (INVALID_RECORD_PREFIX from
    object_detection.data.record_errors; the location part is left out when
    no record_location is given). TensorFlow adds its own text around the
    line; the line itself is not escaped. Checked: image bytes that are not
    JPEG, PNG, GIF or BMP; box coordinate lists of different lengths;
    coordinates outside [0, 1] by more than 1e-3 (values within that
    tolerance are clipped to [0, 1]); ymin > ymax or xmin > xmax; a class
    list whose length is not the number of boxes; a per-box list (area,
    is_crowd, difficult, group_of, weight, mask weight) that is neither empty
    nor one value per box; a class text absent from the label map (the TF OD
    API silently gives class -1); with `num_classes`, a class id outside
    [1, num_classes]; instance masks whose count is not the number of boxes
    or whose size is not the image's; keypoint lists of the wrong length.
  - A record that fails inside a TensorFlow op instead (not a tf.Example, a
    feature of the wrong type, an image that starts right but is truncated
    or corrupt inside) is named afterwards by `find_record_error`, which a
    reader calls eagerly on its records once the pipeline has failed.
  - Numerical masks are reshaped with the decoded image's size, not with the
    image/height and image/width features.
  - The image format is sniffed from its magic bytes; image/format is read
    but not used. Grayscale and RGBA images (any channel count 1 to 4) come
    out with 3 channels.
  - `expand_hierarchy_labels` and `load_dense_pose` are not implemented and
    raise ValueError at construction.

As in the TF OD API, a class text is looked up by both name and display_name
of the label map (the larger id wins when both match), `use_display_name` has
no effect, and when the label map is given and the record has class texts the
texts take precedence over image/object/class/label.
"""

import enum
from typing import Dict, Iterator, Optional, Tuple, Union

import tensorflow as tf

from object_detection.core import standard_fields
from object_detection.data import record_errors
from object_detection.data_decoders import record_checks as rc
from object_detection.utils import label_map_util

fields = standard_fields.InputDataFields
tfx = standard_fields.TfExampleFields

# Values of the InstanceMaskType enum of protos/input_reader.proto.
DEFAULT = 0
NUMERICAL_MASKS = 1
PNG_MASKS = 2
_MASK_TYPES = {DEFAULT: "DEFAULT", NUMERICAL_MASKS: "NUMERICAL_MASKS",
               PNG_MASKS: "PNG_MASKS"}

# Box coordinates may leave [0, 1] by this much (rounding in dataset tools)
# before the record is rejected; they are then clipped to [0, 1].
BOX_TOLERANCE = 1e-3

_BOX_KEYS = (tfx.object_bbox_ymin, tfx.object_bbox_xmin, tfx.object_bbox_ymax,
             tfx.object_bbox_xmax)
_TEXT_ONLY_HINT = ("; the record has %s: give the decoder a label map "
                   "(input_reader.label_map_path)" % tfx.object_class_text)


class Visibility(enum.IntEnum):
  """Keypoint visibility values of records (the COCO convention)."""
  UNLABELED = 0
  NOT_VISIBLE = 1
  VISIBLE = 2


class _Keys:
  """Feature keys the decoder reads that TfExampleFields does not name."""
  key_sha256 = "image/key/sha256"
  neg_category_ids = "image/neg_category_ids"
  not_exhaustive_category_ids = "image/not_exhaustive_category_ids"
  object_area = "image/object/area"
  mask_weight = "image/object/mask/weight"
  keypoint_x = "image/object/keypoint/x"
  keypoint_y = "image/object/keypoint/y"
  keypoint_z = "image/object/keypoint/z"
  keypoint_z_weights = "image/object/keypoint/z/weights"
  keypoint_visibility = "image/object/keypoint/visibility"
  multiclass_scores = "image/object/class/multiclass_scores"
  additional_channels = "image/additional_channels/encoded"
  context_features = "image/context_features"
  context_feature_length = "image/context_feature_length"
  track_label = "image/object/track/label"



class TfExampleDecoder:
  """Decodes serialized TF OD API tf.Example records (see module docstring).

  Attributes:
    keys_to_features: the tf.io.parse_single_example spec, feature key ->
      tf.io.FixedLenFeature or tf.io.VarLenFeature.
  """

  def __init__(self,
               load_instance_masks: bool = False,
               instance_mask_type: int = NUMERICAL_MASKS,
               label_map_proto_file: Optional[Union[
                   str, label_map_util.StringIntLabelMap]] = None,
               use_display_name: bool = False,
               dct_method: str = "",
               num_keypoints: int = 0,
               num_additional_channels: int = 0,
               load_multiclass_scores: bool = False,
               load_context_features: bool = False,
               expand_hierarchy_labels: bool = False,
               load_dense_pose: bool = False,
               load_track_id: bool = False,
               load_keypoint_depth_features: bool = False,
               num_classes: Optional[int] = None):
    """Sets up the features to parse.

    Args:
      load_instance_masks: decode image/object/mask into
        groundtruth_instance_masks and groundtruth_instance_mask_weights.
      instance_mask_type: DEFAULT or NUMERICAL_MASKS (flat float32 values,
        num_boxes * height * width of them) or PNG_MASKS (one encoded PNG per
        box); the InstanceMaskType values of input_reader.proto.
      label_map_proto_file: label map file path (or StringIntLabelMap) that
        maps image/object/class/text (and image/class/text) to ids.
      use_display_name: accepted for compatibility; texts match both name
        and display_name, as in the TF OD API.
      dct_method: JPEG decompression hint for tf.io.decode_jpeg, e.g.
        'INTEGER_ACCURATE'; '' for the system default.
      num_keypoints: keypoints per box; > 0 decodes groundtruth_keypoints
        and groundtruth_keypoint_visibilities.
      num_additional_channels: number of one-channel images stored in
        image/additional_channels/encoded.
      load_multiclass_scores: decode image/object/class/multiclass_scores.
      load_context_features: decode image/context_features.
      expand_hierarchy_labels: not implemented; True raises ValueError.
      load_dense_pose: not implemented; True raises ValueError.
      load_track_id: decode image/object/track/label.
      load_keypoint_depth_features: with num_keypoints > 0, also decode
        keypoint depths and their weights (zeros when absent).
      num_classes: extension; when given, object class ids must be in
        [1, num_classes].

    Raises:
      ValueError: an option value that is out of range or not implemented,
        named in the message.
      ConfigError: an unreadable or invalid label map.
    """
    del use_display_name  # Texts match name and display_name alike.
    for name, value in (("expand_hierarchy_labels", expand_hierarchy_labels),
                        ("load_dense_pose", load_dense_pose)):
      if value:
        raise ValueError("%s: not supported by this TfExampleDecoder, got "
                         "True" % name)
    if load_instance_masks and instance_mask_type not in _MASK_TYPES:
      raise ValueError("instance_mask_type: must be one of %s, got %r" % (
          ", ".join("%s (%d)" % (n, v) for v, n in _MASK_TYPES.items()),
          instance_mask_type))
    for name, value in (("num_keypoints", num_keypoints),
                        ("num_additional_channels", num_additional_channels)):
      if value < 0:
        raise ValueError("%s: must be >= 0, got %d" % (name, value))
    if num_classes is not None and num_classes < 1:
      raise ValueError("num_classes: must be >= 1, got %d" % num_classes)
    self._masks = instance_mask_type if load_instance_masks else None
    self._dct_method = dct_method
    self._num_keypoints = num_keypoints
    self._keypoint_depths = load_keypoint_depth_features
    self._num_additional_channels = num_additional_channels
    self._multiclass_scores = load_multiclass_scores
    self._context_features = load_context_features
    self._track_id = load_track_id
    self._num_classes = num_classes
    self._class_table = None
    self._label_map_name = "the label map"
    if label_map_proto_file:
      if isinstance(label_map_proto_file, str):
        self._label_map_name = "label map " + label_map_proto_file
      self._class_table = self._build_class_table(label_map_proto_file)
    self.keys_to_features = self._features_spec()

  @staticmethod
  def _build_class_table(label_map) -> tf.lookup.StaticHashTable:
    """Class text -> id over names and display names (-1 when absent)."""
    text_to_id = {}
    for use_display_name in (False, True):
      names = label_map_util.get_label_map_dict(label_map, use_display_name)
      for text, class_id in names.items():
        if text:
          text_to_id[text] = max(class_id, text_to_id.get(text, class_id))
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(list(text_to_id), tf.string),
            tf.constant(list(text_to_id.values()), tf.int64)),
        default_value=-1)

  def _features_spec(self) -> Dict[str, object]:
    scalar = tf.io.FixedLenFeature
    var = tf.io.VarLenFeature
    spec = {
        tfx.image_encoded: scalar((), tf.string, default_value=""),
        tfx.image_format: scalar((), tf.string, default_value="jpeg"),
        tfx.filename: scalar((), tf.string, default_value=""),
        _Keys.key_sha256: scalar((), tf.string, default_value=""),
        tfx.source_id: scalar((), tf.string, default_value=""),
        tfx.height: scalar((), tf.int64, default_value=1),
        tfx.width: scalar((), tf.int64, default_value=1),
    }
    for key in (tfx.image_class_text, tfx.object_class_text):
      spec[key] = var(tf.string)
    for key in (tfx.image_class_label, _Keys.neg_category_ids,
                _Keys.not_exhaustive_category_ids, tfx.object_class_label,
                tfx.object_is_crowd, tfx.object_difficult,
                tfx.object_group_of):
      spec[key] = var(tf.int64)
    for key in _BOX_KEYS + (tfx.image_class_confidence, _Keys.object_area,
                            tfx.object_weight):
      spec[key] = var(tf.float32)
    if self._masks is not None:
      spec[tfx.object_mask] = var(
          tf.string if self._masks == PNG_MASKS else tf.float32)
      spec[_Keys.mask_weight] = var(tf.float32)
    if self._num_keypoints:
      for key in (_Keys.keypoint_x, _Keys.keypoint_y, _Keys.keypoint_z,
                  _Keys.keypoint_z_weights):
        spec[key] = var(tf.float32)
      spec[_Keys.keypoint_visibility] = var(tf.int64)
    if self._multiclass_scores:
      spec[_Keys.multiclass_scores] = var(tf.float32)
    if self._num_additional_channels:
      spec[_Keys.additional_channels] = scalar(
          (self._num_additional_channels,), tf.string)
    if self._context_features:
      spec[_Keys.context_features] = var(tf.float32)
      spec[_Keys.context_feature_length] = scalar((), tf.int64)
    if self._track_id:
      spec[_Keys.track_label] = var(tf.int64)
    return spec

  def decode(self, tf_example_string_tensor: tf.Tensor,
             record_location: Optional[Union[str, tf.Tensor]] = None
             ) -> Dict[str, tf.Tensor]:
    """Decodes one serialized tf.Example, checking its data.

    Args:
      tf_example_string_tensor: string tensor with one element, the
        serialized tf.train.Example.
      record_location: optional string scalar naming the record in error
        messages, e.g. "data/train-00000-of-00004.tfrecord record 17".

    Returns:
      dict keyed by InputDataFields, num_boxes being the number of boxes:
        image: uint8 [height, width, 3].
        original_image_spatial_shape: int32 [2] (height, width).
        source_id, key (image/key/sha256), filename: string scalars.
        groundtruth_boxes: float32 [num_boxes, 4] normalised, in [0, 1].
        groundtruth_classes: int64 [num_boxes] class ids.
        groundtruth_weights: float32 [num_boxes], ones when absent.
        groundtruth_area: float32 [num_boxes] or [0] when absent.
        groundtruth_is_crowd: bool [num_boxes] or [0] when absent.
        groundtruth_difficult: int64 [num_boxes] or [0] when absent.
        groundtruth_group_of: bool [num_boxes] or [0] when absent.
        groundtruth_image_classes: int64 [num_image_labels].
        groundtruth_image_confidences: float32 [num_image_labels].
        groundtruth_verified_neg_classes, groundtruth_not_exhaustive_classes:
          int64 [num_ids].
      With load_instance_masks: groundtruth_instance_masks float32
      [num_boxes, height, width] in {0, 1}, groundtruth_instance_mask_weights
      float32 [num_boxes] (ones when absent). With num_keypoints = K:
      groundtruth_keypoints float32 [num_boxes, K, 2] (y, x), NaN where not
      labeled, groundtruth_keypoint_visibilities bool [num_boxes, K], and
      with load_keypoint_depth_features groundtruth_keypoint_depths and
      groundtruth_keypoint_depth_weights float32 [num_boxes, K]. Also
      multiclass_scores float32 [num_boxes * num_classes] (flat),
      image_additional_channels uint8 [height, width, C], context_features
      float32 [num_context_features, length] and context_feature_length
      int64 scalar, groundtruth_track_ids int32 [num_boxes], when enabled.

    Raises:
      tf.errors.InvalidArgumentError: when the data is run, for a record
        that breaks a rule of the module docstring.
    """
    serialized = tf.reshape(tf_example_string_tensor, [])
    parsed = tf.io.parse_single_example(serialized, self.keys_to_features)
    parsed = {key: tf.sparse.to_dense(value)
              if isinstance(value, tf.SparseTensor) else value
              for key, value in parsed.items()}
    if record_location is not None:
      record_location = tf.convert_to_tensor(record_location, tf.string)
    checks = rc.RecordChecks(parsed[tfx.source_id], record_location)
    image = self._decode_image(parsed[tfx.image_encoded], checks)
    boxes = self._decode_boxes(parsed, checks)
    num_boxes = tf.shape(boxes)[0]
    result = {
        fields.image: image,
        fields.original_image_spatial_shape: tf.shape(image)[:2],
        fields.source_id: parsed[tfx.source_id],
        fields.key: parsed[_Keys.key_sha256],
        fields.filename: parsed[tfx.filename],
        fields.groundtruth_boxes: boxes,
        fields.groundtruth_classes: self._object_classes(
            parsed, num_boxes, checks),
        fields.groundtruth_image_classes: self._classes(
            parsed, tfx.image_class_text, tfx.image_class_label, checks)[0],
        fields.groundtruth_image_confidences: parsed[
            tfx.image_class_confidence],
        fields.groundtruth_verified_neg_classes: parsed[
            _Keys.neg_category_ids],
        fields.groundtruth_not_exhaustive_classes: parsed[
            _Keys.not_exhaustive_category_ids],
    }
    result.update(self._per_box_fields(parsed, num_boxes, checks))
    if self._masks is not None:
      result.update(self._decode_masks(parsed, num_boxes, tf.shape(image)[0],
                                       tf.shape(image)[1], checks))
    if self._num_keypoints:
      result.update(self._decode_keypoints(parsed, num_boxes, checks))
    result.update(self._extras(parsed))
    with tf.control_dependencies(checks.ops):
      return {key: tf.identity(value) for key, value in result.items()}

  def find_record_error(self, serialized: bytes,
                        record_location: Optional[str] = None
                        ) -> Optional[str]:
    """Why one record fails to decode, found eagerly (call outside graphs).

    The in-graph checks of `decode` name the record for the rules of the
    module docstring. A record that is not a tf.Example, holds a feature of
    the wrong type, or has an image (or PNG mask) that starts like one but
    is truncated or corrupt inside fails in a TensorFlow op instead, whose
    error names no record. A reader that gets such an error can read its
    records again and ask this method which one fails and why; a sound
    record costs one eager decode.

    Args:
      serialized: one serialized tf.train.Example.
      record_location: optional name of the record, as in `decode`.

    Returns:
      None when the record decodes, else the one-line message
      "<INVALID_RECORD_PREFIX><record_location>: source_id '<id>': <feature
      key>: <reason>" (no source_id part for bytes that are not a
      tf.Example), spelled as the in-graph checks spell theirs.
    """
    try:
      parsed = tf.io.parse_single_example(serialized, self.keys_to_features)
    except tf.errors.InvalidArgumentError as error:
      reason = record_errors.clean_message(error.message)
      source_id = rc.python_source_id(serialized)
      if source_id is None:
        return rc.error_line(record_location, None, "record", (
            "the %d bytes are not a serialized tf.train.Example" %
            len(serialized)))
      key = rc.PARSE_KEY.search(reason)
      return rc.error_line(record_location, source_id,
                   key.group(1) if key else "record",
                   rc.PARSE_KEY.sub("", reason))
    try:
      self.decode(tf.constant(serialized), record_location)
      return None
    except tf.errors.InvalidArgumentError as error:
      if record_errors.INVALID_RECORD_PREFIX in error.message:
        return record_errors.clean_message(error.message)
      failure = record_errors.clean_message(error.message)
    source_id = parsed[tfx.source_id].numpy().decode("utf-8", "replace")
    for key, what, encoded in self._encoded_images(parsed):
      try:
        tf.io.decode_image(encoded, expand_animations=False)
      except tf.errors.InvalidArgumentError as error:
        return rc.error_line(record_location, source_id, key, "%s cannot be decoded: "
                     "%s" % (what, record_errors.clean_message(error.message)))
    return rc.error_line(record_location, source_id, "record",
                 "cannot be decoded: " + failure)

  def _encoded_images(self, parsed: Dict[str, tf.Tensor]
                      ) -> Iterator[Tuple[str, str, tf.Tensor]]:
    """(feature key, what, encoded bytes) of every image of a record."""
    yield tfx.image_encoded, "bytes", parsed[tfx.image_encoded]
    if self._masks == PNG_MASKS:
      masks = tf.sparse.to_dense(parsed[tfx.object_mask])
      for index, encoded in enumerate(masks):
        yield tfx.object_mask, "mask %d" % index, encoded
    if self._num_additional_channels:
      for index, encoded in enumerate(parsed[_Keys.additional_channels]):
        yield _Keys.additional_channels, "channel %d" % index, encoded

  def _decode_image(self, encoded: tf.Tensor, checks: rc.RecordChecks
                    ) -> tf.Tensor:
    """uint8 [height, width, 3] from JPEG, PNG, GIF or BMP bytes."""
    check = checks.require(rc.is_image(encoded), tfx.image_encoded,
                           lambda: rc.not_image_detail("bytes", encoded))

    def decode_other():
      image = tf.io.decode_image(encoded, expand_animations=False)
      # 1 (gray) or 2 (gray, alpha) channels -> gray thrice; 3 or 4 -> RGB.
      channels = tf.where(tf.shape(image)[2] < 3, [0, 0, 0], [0, 1, 2])
      return tf.gather(image, channels, axis=2)

    with tf.control_dependencies([check]):
      image = tf.cond(
          tf.strings.substr(encoded, 0, len(rc.JPEG_MAGIC)) == rc.JPEG_MAGIC,
          lambda: tf.io.decode_jpeg(encoded, channels=3,
                                    dct_method=self._dct_method),
          decode_other)
    image.set_shape([None, None, 3])
    return image

  def _decode_boxes(self, parsed: Dict[str, tf.Tensor],
                    checks: rc.RecordChecks) -> tf.Tensor:
    """float32 [num_boxes, 4] boxes, checked and clipped to [0, 1]."""
    coords = [parsed[key] for key in _BOX_KEYS]
    what = "as many values as %s" % _BOX_KEYS[0]
    lengths = [checks.require_count(values, tf.size(coords[0]), key, what)
               for key, values in zip(_BOX_KEYS[1:], coords[1:])]
    with tf.control_dependencies(lengths):
      for key, values in zip(_BOX_KEYS, coords):
        ok = (values >= -BOX_TOLERANCE) & (values <= 1.0 + BOX_TOLERANCE)
        checks.require(ok, key, lambda v=values, ok=ok: tf.strings.join(
            ["must be in [0, 1], got ", rc.as_text(rc.first_failing(v, ok))]))
      for low, high in ((0, 2), (1, 3)):
        ok = coords[low] <= coords[high]
        rule = "must be <= %s, got " % _BOX_KEYS[high]
        checks.require(ok, _BOX_KEYS[low],
                       lambda l=coords[low], h=coords[high], ok=ok, r=rule:
                       tf.strings.join([r, rc.as_text(rc.first_failing(l, ok)), " > ",
                                        rc.as_text(rc.first_failing(h, ok))]))
      return tf.clip_by_value(tf.stack(coords, axis=1), 0.0, 1.0)

  def _classes(self, parsed: Dict[str, tf.Tensor], text_key: str,
               label_key: str, checks: rc.RecordChecks):
    """Class ids from texts (with a label map) or else from labels.

    Returns:
      (int64 [num] class ids, bool scalar: the ids come from the texts).
    """
    labels = parsed[label_key]
    if self._class_table is None:
      return labels, tf.constant(False)
    texts = parsed[text_key]
    ids = self._class_table.lookup(texts)
    checks.require(ids >= 0, text_key, lambda: tf.strings.join(
        ["must name a class of ", self._label_map_name, ", got '",
         rc.first_failing(texts, ids >= 0), "'"]))
    from_text = tf.size(texts) > 0
    return tf.cond(from_text, lambda: ids, lambda: labels), from_text

  def _object_classes(self, parsed: Dict[str, tf.Tensor],
                      num_boxes: tf.Tensor, checks: rc.RecordChecks
                      ) -> tf.Tensor:
    """int64 [num_boxes] object class ids, counted and range-checked."""
    classes, from_text = self._classes(
        parsed, tfx.object_class_text, tfx.object_class_label, checks)
    if self._class_table is None:
      self._require_labels_without_label_map(parsed, num_boxes, checks)
    else:
      for key, is_source in ((tfx.object_class_label, ~from_text),
                             (tfx.object_class_text, from_text)):
        count = tf.where(is_source, tf.size(parsed[key]), num_boxes)
        checks.require_count(tf.zeros([count]), num_boxes, key,
                             "one value per box")
    if self._num_classes is None:
      return classes
    in_range = (classes >= 1) & (classes <= self._num_classes)
    label_rule = "must be in [1, %d], got " % self._num_classes
    checks.require(from_text | in_range, tfx.object_class_label,
                   lambda: tf.strings.join(
                       [label_rule, rc.as_text(rc.first_failing(classes, in_range))]))
    if self._class_table is not None:
      texts = parsed[tfx.object_class_text]
      text_rule = "must name a class with id in [1, %d], got '" % (
          self._num_classes)
      checks.require(~from_text | in_range, tfx.object_class_text,
                     lambda: tf.strings.join(
                         [text_rule, rc.first_failing(texts, in_range), "' (id ",
                          rc.as_text(rc.first_failing(classes, in_range)), ")"]))
    return classes

  @staticmethod
  def _require_labels_without_label_map(parsed: Dict[str, tf.Tensor],
                                        num_boxes: tf.Tensor,
                                        checks: rc.RecordChecks) -> None:
    """One label per box; a text-only record is told to use a label map."""
    size = tf.size(parsed[tfx.object_class_label])
    has_texts = tf.size(parsed[tfx.object_class_text]) > 0
    checks.require(tf.equal(size, num_boxes), tfx.object_class_label,
                   lambda: tf.strings.join([
                       "must have one value per box (", rc.as_text(num_boxes),
                       "), got ", rc.as_text(size),
                       tf.where(has_texts, _TEXT_ONLY_HINT, "")]))

  def _per_box_fields(self, parsed: Dict[str, tf.Tensor],
                      num_boxes: tf.Tensor, checks: rc.RecordChecks
                      ) -> Dict[str, tf.Tensor]:
    """Area, crowd, difficult, group-of flags and weights of the boxes."""
    result = {}
    for key, field, dtype in (
        (_Keys.object_area, fields.groundtruth_area, None),
        (tfx.object_is_crowd, fields.groundtruth_is_crowd, tf.bool),
        (tfx.object_difficult, fields.groundtruth_difficult, None),
        (tfx.object_group_of, fields.groundtruth_group_of, tf.bool),
        (tfx.object_weight, fields.groundtruth_weights, None)):
      checks.require_count(parsed[key], num_boxes, key, "one value per box",
                           allow_empty=True)
      result[field] = parsed[key] if dtype is None else tf.cast(
          parsed[key], dtype)
    weights = result[fields.groundtruth_weights]
    result[fields.groundtruth_weights] = tf.cond(
        tf.size(weights) > 0, lambda: weights,
        lambda: tf.ones([num_boxes], tf.float32))
    return result

  def _decode_masks(self, parsed: Dict[str, tf.Tensor], num_boxes: tf.Tensor,
                    height: tf.Tensor, width: tf.Tensor,
                    checks: rc.RecordChecks) -> Dict[str, tf.Tensor]:
    """float32 [num_boxes, height, width] masks and [num_boxes] weights."""
    data = parsed[tfx.object_mask]
    key = tfx.object_mask
    if self._masks == PNG_MASKS:
      checks.require_count(data, num_boxes, key, "one PNG mask per box")

      def decode_one(args):
        index, encoded = args
        what = tf.strings.join(["mask ", rc.as_text(index)])
        check = checks.require(rc.is_image(encoded), key,
                               lambda: rc.not_image_detail(what, encoded),
                               collect=False)
        with tf.control_dependencies([check]):
          mask = tf.io.decode_image(encoded, channels=1,
                                    expand_animations=False)[:, :, 0]
        size = tf.shape(mask)
        check = checks.require(
            tf.equal(size, tf.stack([height, width])), key,
            lambda: tf.strings.join(
                [what, " must be the image size ", rc.as_text(height), "x",
                 rc.as_text(width), ", got ", rc.as_text(size[0]), "x", rc.as_text(size[1])]),
            collect=False)
        with tf.control_dependencies([check]):
          return tf.cast(mask > 0, tf.float32)

      masks = tf.cond(
          tf.size(data) > 0,
          lambda: tf.map_fn(decode_one, (tf.range(tf.size(data)), data),
                            fn_output_signature=tf.TensorSpec(
                                [None, None], tf.float32)),
          lambda: tf.zeros([0, height, width], tf.float32))
    else:
      expected = num_boxes * height * width
      check = checks.require(
          tf.equal(tf.size(data), expected), key, lambda: tf.strings.join(
              ["must hold one height x width mask per box, ", rc.as_text(num_boxes),
               " x ", rc.as_text(height), " x ", rc.as_text(width), " = ", rc.as_text(expected),
               " values, got ", rc.as_text(tf.size(data))]))
      with tf.control_dependencies([check]):
        masks = tf.reshape(tf.cast(data > 0, tf.float32),
                           [-1, height, width])
    weights = parsed[_Keys.mask_weight]
    checks.require_count(weights, num_boxes, _Keys.mask_weight,
                         "one value per box", allow_empty=True)
    return {
        fields.groundtruth_instance_masks: masks,
        fields.groundtruth_instance_mask_weights: tf.cond(
            tf.size(weights) > 0, lambda: weights,
            lambda: tf.ones([num_boxes], tf.float32)),
    }

  def _decode_keypoints(self, parsed: Dict[str, tf.Tensor],
                        num_boxes: tf.Tensor, checks: rc.RecordChecks
                        ) -> Dict[str, tf.Tensor]:
    """Keypoints [num_boxes, K, 2] (y, x), visibilities, optional depths."""
    k = self._num_keypoints
    x, y = parsed[_Keys.keypoint_x], parsed[_Keys.keypoint_y]
    lengths = [
        checks.require_count(x, num_boxes * k, _Keys.keypoint_x,
                             "num_keypoints (%d) values per box, in all" % k),
        checks.require_count(y, tf.size(x), _Keys.keypoint_y,
                             "as many values as %s" % _Keys.keypoint_x)]

    def per_box(values, default):
      """[num_boxes, K] values, or `default` when their count is off."""
      values = tf.cond(tf.equal(tf.size(values), tf.size(x)),
                       lambda: values, lambda: default)
      return tf.reshape(values, [-1, k])

    with tf.control_dependencies(lengths):
      keypoints = tf.reshape(tf.stack([y, x], axis=1), [-1, k, 2])
      labeled = tf.where(tf.math.is_nan(x), int(Visibility.UNLABELED),
                         int(Visibility.VISIBLE))
      visibility = per_box(parsed[_Keys.keypoint_visibility],
                           tf.cast(labeled, tf.int64))
      visible = tf.equal(visibility, int(Visibility.NOT_VISIBLE)) | tf.equal(
          visibility, int(Visibility.VISIBLE))
      result = {
          fields.groundtruth_keypoints: tf.where(
              visible[:, :, tf.newaxis], keypoints, float("nan")),
          fields.groundtruth_keypoint_visibilities: visible,
      }
      if self._keypoint_depths:
        zeros = tf.zeros_like(x)
        result[fields.groundtruth_keypoint_depths] = per_box(
            parsed[_Keys.keypoint_z], zeros)
        result[fields.groundtruth_keypoint_depth_weights] = per_box(
            parsed[_Keys.keypoint_z_weights], zeros)
    return result

  def _extras(self, parsed: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
    """Multiclass scores, additional channels, context features, tracks."""
    result = {}
    if self._multiclass_scores:
      result[fields.multiclass_scores] = parsed[_Keys.multiclass_scores]
    if self._num_additional_channels:
      channels = tf.map_fn(
          lambda encoded: tf.io.decode_image(
              encoded, channels=1, expand_animations=False)[:, :, 0],
          parsed[_Keys.additional_channels],
          fn_output_signature=tf.TensorSpec([None, None], tf.uint8))
      result[fields.image_additional_channels] = tf.transpose(
          channels, [1, 2, 0])
    if self._context_features:
      length = parsed[_Keys.context_feature_length]
      result[fields.context_features] = tf.reshape(
          parsed[_Keys.context_features], tf.stack([-1, length]))
      result[fields.context_feature_length] = length
    if self._track_id:
      result[fields.groundtruth_track_ids] = tf.cast(
          parsed[_Keys.track_label], tf.int32)
    return result
