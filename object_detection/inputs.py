"""Training and evaluation inputs: the TF OD API's `object_detection.inputs`.

    dataset = inputs.train_input(configs["train_config"],
                                 configs["train_input_config"],
                                 configs["model"], seed=0)
    features, labels = next(iter(dataset))

Each decoded tf.Example (`dataset_builder` + `TfExampleDecoder`) goes
through, in order: boxes with NaN coordinates and classes the label map did
not know (-1) are dropped; data augmentation (`preprocessor.preprocess` with
the train_config's steps; training only); the model's `preprocess` (resize
and normalise); instance masks resized with the model's image resizer into
the frame of the preprocessed image; classes to one-hot (those steps are
`data/input_transforms.py`); padding of every field to a static shape
(`max_number_of_boxes`, the resizer's size); batch.

Layout of one batch (B = batch size, M = max_number_of_boxes, C =
num_classes without background, H x W the resizer's output size):

  features: `image` float32 [B, H, W, 3] (preprocessed); `hash` int32 [B]
    (source_id hashed into [0, 2**31)); `true_image_shape` int32 [B, 3];
    `original_image_spatial_shape` int32 [B, 2] (decoded height, width);
    optional `original_image` uint8 [B, H, W, 3] (the image resized, not
    normalised) and `source_id` string [B].
  labels: `num_groundtruth_boxes` int32 [B]; `groundtruth_boxes` float32
    [B, M, 4] normalised to the true image, as `DetectionModel` expects;
    `groundtruth_classes` float32 [B, M, C] one-hot (k-hot after
    merge_multiple_label_boxes), background excluded: class id k (1-based,
    as in the label map) sets column k - 1, and the model adds the
    background column itself (the TF OD API's `add_background_class`);
    `groundtruth_weights` float32 [B, M]; `groundtruth_confidences` float32
    [B, M, C]; and when decoded `groundtruth_instance_masks` float32
    [B, M, H, W], `groundtruth_instance_mask_weights` float32,
    `groundtruth_area` float32, `groundtruth_is_crowd` bool,
    `groundtruth_group_of` bool, `groundtruth_difficult` int32 [B, M] (zeros
    when the record lacks them), keypoint fields, and the per-image class
    lists (`groundtruth_image_classes`, `groundtruth_labeled_classes`,
    `groundtruth_verified_neg_classes`,
    `groundtruth_not_exhaustive_classes`) as k-hot float32 [B, C].
Rows past num_groundtruth_boxes are zeros.

Checked before any model is built: the augmentation steps
(`preprocessor_builder.build_all`, errors named
`train_config.data_augmentation_options[i]...`) and every input_path
pattern (`<reader>.tf_record_input_reader.input_path: '<pattern>' matches
no file`).

With `seed`, `dataset_builder` gives each example a stateless seed and the
augmentation depends only on it, so two pipelines with the same seed yield
the same batches whatever the parallelism.
"""

import functools
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.builders import dataset_builder
from object_detection.builders import image_resizer_builder
from object_detection.builders import model_builder
from object_detection.builders import preprocessor_builder
from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.data import input_transforms
from object_detection.data import record_errors
from object_detection.utils import config_util

# The per-example transforms, under their TF OD API names.
transform_input_data = input_transforms.transform_input_data
pad_input_data_to_static_shapes = (
    input_transforms.pad_input_data_to_static_shapes)
merge_boxes_with_multiple_labels = (
    input_transforms.merge_boxes_with_multiple_labels)

HASH_KEY = "hash"
HASH_BINS = 1 << 31

# Names -> builders, replaceable in tests (as in the TF OD API).
INPUT_BUILDER_UTIL_MAP = {
    "dataset_build": dataset_builder.build,
    "model_build": model_builder.build,
}

_fields = fields.InputDataFields
TensorDict = Dict[str, tf.Tensor]

_REQUIRED_LABELS = (
    _fields.num_groundtruth_boxes, _fields.groundtruth_boxes,
    _fields.groundtruth_classes, _fields.groundtruth_weights)
# Per-box fields used only on the way to the labels.
_NOT_LABELS = (_fields.groundtruth_instance_boundaries,
               _fields.groundtruth_label_types, _fields.multiclass_scores)
# The per-box fields and the per-image class lists, when present.
_OPTIONAL_LABELS = tuple(
    name for name in (input_transforms.PER_BOX_FIELDS
                      + tuple(input_transforms.CLASS_LIST_FIELDS))
    if name not in _REQUIRED_LABELS + _NOT_LABELS)
_OPTIONAL_FEATURES = (
    _fields.original_image, _fields.image_additional_channels,
    _fields.context_features, _fields.valid_context_size)


@tf.autograph.experimental.do_not_convert
def _func_arg_map_for(keys: frozenset) -> preprocessor.FuncArgMap:
  """The default func_arg_map for the fields `keys` of an example.

  Pure Python on field names; kept out of autograph, which would otherwise
  convert every op module's func_arg_map while the tf.data map traces.
  """
  dense_pose = {_fields.groundtruth_dp_num_points,
                _fields.groundtruth_dp_part_ids,
                _fields.groundtruth_dp_surface_coords} <= keys
  return preprocessor.get_default_func_arg_map(
      include_label_weights=_fields.groundtruth_weights in keys,
      include_label_confidences=_fields.groundtruth_confidences in keys,
      include_multiclass_scores=_fields.multiclass_scores in keys,
      include_instance_masks=_fields.groundtruth_instance_masks in keys,
      include_instance_mask_weights=(
          _fields.groundtruth_instance_mask_weights in keys),
      include_keypoints=_fields.groundtruth_keypoints in keys,
      include_keypoint_visibilities=(
          _fields.groundtruth_keypoint_visibilities in keys),
      include_dense_pose=dense_pose,
      include_keypoint_depths=_fields.groundtruth_keypoint_depths in keys)


def augment_input_data(tensor_dict: TensorDict,
                       data_augmentation_options: Sequence[
                           Tuple[Callable, Dict[str, Any]]]) -> TensorDict:
  """Applies augmentation steps to one example.

  Args:
    tensor_dict: one example; `image` [h, w, 3] any real dtype. If it holds
      the per-example seed of `dataset_builder` (int64 [2]), the steps are
      seeded from it (and the seed is removed).
    data_augmentation_options: (op, kwargs) pairs from preprocessor_builder.
  Returns:
    the augmented dict; `image` float32 [h', w', 3].
  """
  tensor_dict = dict(tensor_dict)
  seed = tensor_dict.pop(dataset_builder.SEED_KEY, None)
  tensor_dict[_fields.image] = tf.cast(tensor_dict[_fields.image],
                                       tf.float32)[tf.newaxis]
  func_arg_map = _func_arg_map_for(frozenset(tensor_dict))
  tensor_dict = preprocessor.preprocess(
      tensor_dict, data_augmentation_options, func_arg_map=func_arg_map,
      seed=seed)
  tensor_dict[_fields.image] = tensor_dict[_fields.image][0]
  return tensor_dict


def _get_labels_dict(input_dict: TensorDict) -> TensorDict:
  labels = {key: input_dict[key] for key in _REQUIRED_LABELS}
  labels.update({key: input_dict[key] for key in _OPTIONAL_LABELS
                 if key in input_dict})
  if _fields.groundtruth_difficult in labels:
    labels[_fields.groundtruth_difficult] = tf.cast(
        labels[_fields.groundtruth_difficult], tf.int32)
  return labels


def _source_id_or_random(source_id: tf.Tensor,
                         seed: Optional[tf.Tensor]) -> tf.Tensor:
  """The source_id, or a random number as a string when it is empty."""
  if seed is None:
    number = tf.random.uniform([], maxval=2 ** 63 - 1, dtype=tf.int64)
  else:
    number = tf.random.stateless_uniform(
        [], seed=tf.random.experimental.stateless_fold_in(seed, 1 << 20),
        minval=None, maxval=None, dtype=tf.int64)
  return tf.where(tf.equal(source_id, ""), tf.as_string(tf.abs(number)),
                  source_id)


def _get_features_dict(input_dict: TensorDict, include_source_id: bool = False,
                       seed: Optional[tf.Tensor] = None) -> TensorDict:
  source_id = _source_id_or_random(input_dict[_fields.source_id], seed)
  features = {
      _fields.image: input_dict[_fields.image],
      HASH_KEY: tf.cast(tf.strings.to_hash_bucket_fast(source_id, HASH_BINS),
                        tf.int32),
      _fields.true_image_shape: input_dict[_fields.true_image_shape],
      _fields.original_image_spatial_shape:
          input_dict[_fields.original_image_spatial_shape],
  }
  if include_source_id:
    features[_fields.source_id] = source_id
  features.update({key: input_dict[key] for key in _OPTIONAL_FEATURES
                   if key in input_dict})
  return features


def _check_message(value: Any, full_name: str, argument: str) -> None:
  descriptor = getattr(value, "DESCRIPTOR", None)
  if getattr(descriptor, "full_name", None) != "object_detection.protos." + (
      full_name):
    raise TypeError("{}: expected a {} message, got {}".format(
        argument, full_name, type(value).__name__))


def _check_max_boxes(input_config, path: str) -> None:
  if input_config.max_number_of_boxes <= 0:
    raise ValueError("{}.max_number_of_boxes: must be > 0, got {}".format(
        path, input_config.max_number_of_boxes))


def _check_input_files(input_config, path: str) -> None:
  """Fails fast (before a model is built) on a pattern matching no file."""
  if input_config.WhichOneof("input_reader") == "tf_record_input_reader":
    record_errors.input_files(
        input_config, path + ".tf_record_input_reader.input_path")


def _context_feature_sizes(model_config) -> Dict[str, Optional[int]]:
  """Context R-CNN sizes for padding (None without a context_config)."""
  arch = getattr(model_config, model_config.WhichOneof("model"))
  if ("context_config" not in arch.DESCRIPTOR.fields_by_name
      or not arch.HasField("context_config")):
    return dict(max_num_context_features=None, context_feature_length=None)
  return dict(
      max_num_context_features=arch.context_config.max_num_context_features,
      context_feature_length=arch.context_config.context_feature_length)


def _make_transform_fn(model_config, input_config, model_preprocess_fn,
                       transform_options: Dict[str, Any]) -> Callable:
  """decoded example -> (features, labels), padded."""
  num_classes = config_util.get_number_of_classes(model_config)
  resizer_config = config_util.get_image_resizer_config(model_config)
  image_resizer_fn = image_resizer_builder.build(
      resizer_config, path="model.{}.image_resizer".format(
          model_config.WhichOneof("model")))
  spatial_image_shape = config_util.get_spatial_image_size(resizer_config)
  context_sizes = _context_feature_sizes(model_config)
  keep = set(_REQUIRED_LABELS + _OPTIONAL_LABELS + _OPTIONAL_FEATURES) | {
      _fields.image, _fields.source_id, _fields.true_image_shape,
      _fields.original_image_spatial_shape}

  def transform_and_pad(tensor_dict: TensorDict) -> Tuple[TensorDict,
                                                          TensorDict]:
    seed = tensor_dict.get(dataset_builder.SEED_KEY)
    tensor_dict = transform_input_data(
        tensor_dict, model_preprocess_fn=model_preprocess_fn,
        image_resizer_fn=image_resizer_fn, num_classes=num_classes,
        keypoint_type_weight=list(input_config.keypoint_type_weight) or None,
        **transform_options)
    tensor_dict = pad_input_data_to_static_shapes(
        {key: value for key, value in tensor_dict.items() if key in keep},
        max_num_boxes=input_config.max_number_of_boxes,
        num_classes=num_classes, spatial_image_shape=spatial_image_shape,
        **context_sizes)
    return (_get_features_dict(tensor_dict, input_config.include_source_id,
                               seed),
            _get_labels_dict(tensor_dict))
  return transform_and_pad


def train_input(train_config, train_input_config, model_config,
                model=None, params: Optional[Dict[str, Any]] = None,
                input_context: Optional[tf.distribute.InputContext] = None,
                seed: Optional[int] = None) -> tf.data.Dataset:
  """The training dataset of (features, labels) batches.

  Args:
    train_config: a train_pb2.TrainConfig (batch_size,
      data_augmentation_options, merge_multiple_label_boxes,
      use_multiclass_scores, retain_original_images, use_bfloat16).
    train_input_config: an input_reader_pb2.InputReader.
    model_config: a model_pb2.DetectionModel.
    model: a DetectionModel whose `preprocess` is used; built from
      model_config (is_training=True) when None.
    params: optional dict; params['batch_size'] overrides the config's.
    input_context: optional tf.distribute.InputContext (sharding and the
      per-replica batch size).
    seed: optional int (an extension): seeds shuffling and augmentation so
      that the same seed gives the same batches.
  Returns:
    tf.data.Dataset of (features, labels) with the layout of the module
    docstring.
  Raises:
    TypeError: an argument is not the expected message.
    ValueError: a bad augmentation step, a setting that cannot be honoured
      or a bad input reader; the message names the config field. An
      input_path pattern that matches no file is an InputDataError (a
      ValueError) raised before the model is built.
    NotImplementedError: an augmentation step whose op this version lacks,
      named with its config path, e.g.
      train_config.data_augmentation_options[1].random_crop_image.
  """
  _check_message(train_config, "TrainConfig", "train_config")
  _check_message(train_input_config, "InputReader", "train_input_config")
  _check_message(model_config, "DetectionModel", "model_config")
  _check_max_boxes(train_input_config, "train_input_reader")
  _check_input_files(train_input_config, "train_input_reader")
  if (train_config.use_multiclass_scores
      and not train_input_config.load_multiclass_scores):
    raise ValueError(
        "train_config.use_multiclass_scores: needs "
        "train_input_reader.load_multiclass_scores: true")
  data_augmentation_options = preprocessor_builder.build_all(
      train_config.data_augmentation_options,
      path_prefix="train_config.data_augmentation_options")
  if model is None:
    model = INPUT_BUILDER_UTIL_MAP["model_build"](model_config,
                                                  is_training=True)
  transform_fn = _make_transform_fn(
      model_config, train_input_config, model.preprocess, dict(
          data_augmentation_fn=functools.partial(
              augment_input_data,
              data_augmentation_options=data_augmentation_options),
          merge_multiple_boxes=train_config.merge_multiple_label_boxes,
          retain_original_image=train_config.retain_original_images,
          use_multiclass_scores=train_config.use_multiclass_scores,
          use_bfloat16=train_config.use_bfloat16))
  return INPUT_BUILDER_UTIL_MAP["dataset_build"](
      train_input_config,
      batch_size=params["batch_size"] if params else train_config.batch_size,
      transform_input_data_fn=transform_fn, input_context=input_context,
      num_classes=config_util.get_number_of_classes(model_config), seed=seed,
      path="train_input_reader")


def eval_input(eval_config, eval_input_config, model_config, model=None,
               params: Optional[Dict[str, Any]] = None,
               input_context: Optional[tf.distribute.InputContext] = None
               ) -> tf.data.Dataset:
  """The evaluation dataset of (features, labels) batches.

  No augmentation. With eval_config.retain_original_images (the default)
  features hold `original_image`; eval_config.force_no_resize replaces the
  model's resizer by the identity (on a copy of model_config).

  Args:
    eval_config: an eval_pb2.EvalConfig (batch_size, retain_original_images,
      retain_original_image_additional_channels, force_no_resize).
    eval_input_config: an input_reader_pb2.InputReader.
    model_config: a model_pb2.DetectionModel.
    model: a DetectionModel for `preprocess`; built (is_training=False)
      when None.
    params: optional dict; params['batch_size'] overrides the config's.
    input_context: optional tf.distribute.InputContext.
  Returns:
    tf.data.Dataset of (features, labels), as train_input.
  Raises:
    TypeError: an argument is not the expected message.
    ValueError: a bad input reader; the message names the field (an
      input_path matching no file: InputDataError, before the model is
      built).
  """
  _check_message(eval_config, "EvalConfig", "eval_config")
  _check_message(eval_input_config, "InputReader", "eval_input_config")
  _check_message(model_config, "DetectionModel", "model_config")
  _check_max_boxes(eval_input_config, "eval_input_reader")
  _check_input_files(eval_input_config, "eval_input_reader")
  if eval_config.force_no_resize:
    copied = type(model_config)()
    copied.CopyFrom(model_config)
    resizer = config_util.get_image_resizer_config(copied)
    resizer.Clear()
    resizer.identity_resizer.SetInParent()
    model_config = copied
  if model is None:
    model = INPUT_BUILDER_UTIL_MAP["model_build"](model_config,
                                                  is_training=False)
  transform_fn = _make_transform_fn(
      model_config, eval_input_config, model.preprocess, dict(
          retain_original_image=eval_config.retain_original_images,
          retain_original_image_additional_channels=(
              eval_config.retain_original_image_additional_channels),
          image_classes_field_map_empty_to_ones=(
              eval_config.image_classes_field_map_empty_to_ones)))
  return INPUT_BUILDER_UTIL_MAP["dataset_build"](
      eval_input_config,
      batch_size=params["batch_size"] if params else eval_config.batch_size,
      transform_input_data_fn=transform_fn, input_context=input_context,
      num_classes=config_util.get_number_of_classes(model_config),
      path="eval_input_reader")


def create_train_input_fn(train_config, train_input_config, model_config
                          ) -> Callable[..., tf.data.Dataset]:
  """`input_fn(params=None)` returning `train_input(...)`."""
  return functools.partial(train_input, train_config, train_input_config,
                           model_config)


def create_eval_input_fn(eval_config, eval_input_config, model_config
                         ) -> Callable[..., tf.data.Dataset]:
  """`input_fn(params=None)` returning `eval_input(...)`."""
  return functools.partial(eval_input, eval_config, eval_input_config,
                           model_config)
