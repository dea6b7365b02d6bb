"""Tests of object_detection/inputs.py on tiny shapes records (64x64)."""

import os

import numpy as np
import pytest
import tensorflow as tf

from object_detection import inputs
from object_detection.builders import model_builder
from object_detection.builders import image_resizer_builder
from object_detection.core import preprocessor
from object_detection.core import standard_fields as fields
from object_detection.utils import config_util
from tests.conftest import shapes_examples
from tests.conftest import write_examples

_f = fields.InputDataFields
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZE = 64
MAX_BOXES = 4


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
  """Six 64x64 shapes examples in one shard.

  Example 0 has 3 boxes (classes 3, 1, 1); example 1 has 2 (classes 2, 3).
  """
  examples = shapes_examples(6, 0, SIZE, max_instances=3, min_size=8,
                             max_size=24)
  assert [e.classes.tolist() for e in examples[:2]] == [[3, 1, 1], [2, 3]]
  prefix = str(tmp_path_factory.mktemp("records") / "shapes")
  return examples, write_examples(examples, prefix, "img")


def _configs(pattern, augmentation=("random_horizontal_flip",),
             flip_probability=0.5, shuffle=False, num_classes=3):
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  faster_rcnn = configs["model"].faster_rcnn
  faster_rcnn.num_classes = num_classes
  faster_rcnn.image_resizer.fixed_shape_resizer.height = SIZE
  faster_rcnn.image_resizer.fixed_shape_resizer.width = SIZE
  train_config = configs["train_config"]
  train_config.batch_size = 2
  del train_config.data_augmentation_options[:]
  for name in augmentation:
    step = train_config.data_augmentation_options.add()
    getattr(step, name).SetInParent()
    if name == "random_horizontal_flip":
      step.random_horizontal_flip.probability = flip_probability
  label_map = os.path.join(REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")
  for reader in (configs["train_input_config"], configs["eval_input_config"]):
    reader.label_map_path = label_map
    del reader.tf_record_input_reader.input_path[:]
    reader.tf_record_input_reader.input_path.append(pattern)
    reader.max_number_of_boxes = MAX_BOXES
    reader.num_readers = 1
    reader.shuffle_buffer_size = 8
  configs["train_input_config"].shuffle = shuffle
  configs["eval_config"].batch_size = 2
  return configs


@pytest.fixture(scope="module")
def model(shapes):
  return model_builder.build(_configs(shapes[1])["model"], is_training=True)


def _train(configs, model, seed=None):
  return inputs.train_input(configs["train_config"],
                            configs["train_input_config"], configs["model"],
                            model=model, seed=seed)


def _first(dataset, count=1):
  return [tf.nest.map_structure(lambda t: t.numpy(), batch)
          for batch in dataset.take(count)]


def _expected_labels(example, max_boxes=MAX_BOXES):
  """boxes [M, 4], one-hot classes [M, 3] and count, padded with zeros."""
  num = min(len(example.classes), max_boxes)
  boxes = np.zeros((max_boxes, 4), np.float32)
  boxes[:num] = example.boxes[:num] / SIZE
  classes = np.zeros((max_boxes, 3), np.float32)
  classes[np.arange(num), example.classes[:num] - 1] = 1.0
  return boxes, classes, num


def _mask_boxes(masks):
  """Tight [ymin, xmin, ymax, xmax) pixel box of each non-empty mask."""
  boxes = []
  for mask in masks:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    boxes.append([rows[0], cols[0], rows[-1] + 1, cols[-1] + 1])
  return np.array(boxes, np.float32)


def test_train_batch_layout_and_values(shapes, model):
  examples, pattern = shapes
  # No flip (probability 0): the batch is examples 0 and 1 as written.
  configs = _configs(pattern, flip_probability=0.0)
  features, labels = _first(_train(configs, model))[0]
  assert sorted(features) == sorted([
      _f.image, inputs.HASH_KEY, _f.true_image_shape,
      _f.original_image_spatial_shape])
  assert {_f.num_groundtruth_boxes, _f.groundtruth_boxes,
          _f.groundtruth_classes, _f.groundtruth_weights,
          _f.groundtruth_confidences,
          _f.groundtruth_instance_masks} <= set(labels)
  assert features[_f.image].dtype == np.float32
  assert features[_f.image].shape == (2, SIZE, SIZE, 3)
  # The small FPN extractor maps [0, 255] to [-1, 1]: 2 / 255 * x - 1; the
  # 64x64 resize of a 64x64 image is the identity.
  np.testing.assert_allclose(
      features[_f.image][0], examples[0].image * (2.0 / 255.0) - 1.0,
      atol=1e-5)
  assert features[inputs.HASH_KEY].dtype == np.int32
  np.testing.assert_array_equal(
      features[inputs.HASH_KEY],
      tf.strings.to_hash_bucket_fast(["img0", "img1"], 1 << 31).numpy())
  np.testing.assert_array_equal(features[_f.true_image_shape],
                                [[SIZE, SIZE, 3]] * 2)
  np.testing.assert_array_equal(features[_f.original_image_spatial_shape],
                                [[SIZE, SIZE]] * 2)
  assert labels[_f.num_groundtruth_boxes].dtype == np.int32
  np.testing.assert_array_equal(labels[_f.num_groundtruth_boxes], [3, 2])
  for b in range(2):
    boxes, classes, num = _expected_labels(examples[b])
    np.testing.assert_allclose(labels[_f.groundtruth_boxes][b], boxes,
                               atol=1e-6)
    # One-hot without background: class id k sets column k - 1.
    np.testing.assert_array_equal(labels[_f.groundtruth_classes][b], classes)
    np.testing.assert_array_equal(labels[_f.groundtruth_confidences][b],
                                  classes)
    np.testing.assert_array_equal(labels[_f.groundtruth_weights][b],
                                  [1.0] * num + [0.0] * (MAX_BOXES - num))
    # The records have no is_crowd / area / difficult / group_of: the
    # decoder gives them as [0]; they come out as zeros [M].
    for name, dtype in ((_f.groundtruth_is_crowd, np.bool_),
                        (_f.groundtruth_area, np.float32),
                        (_f.groundtruth_difficult, np.int32),
                        (_f.groundtruth_group_of, np.bool_)):
      assert labels[name].dtype == dtype, name
      np.testing.assert_array_equal(labels[name][b], np.zeros(MAX_BOXES))
    masks = labels[_f.groundtruth_instance_masks][b]
    assert masks.shape == (MAX_BOXES, SIZE, SIZE)
    assert masks.dtype == np.float32
    np.testing.assert_array_equal(masks[:num], examples[b].masks)
    assert not masks[num:].any()


def test_boxes_beyond_max_number_of_boxes_are_clipped(shapes, model):
  examples, pattern = shapes
  configs = _configs(pattern, flip_probability=0.0)
  configs["train_input_config"].max_number_of_boxes = 2
  _, labels = _first(_train(configs, model))[0]
  # Example 0 has 3 boxes: the first 2 are kept and counted.
  np.testing.assert_array_equal(labels[_f.num_groundtruth_boxes], [2, 2])
  boxes, classes, _ = _expected_labels(examples[0], max_boxes=2)
  np.testing.assert_allclose(labels[_f.groundtruth_boxes][0], boxes,
                             atol=1e-6)
  np.testing.assert_array_equal(labels[_f.groundtruth_classes][0], classes)
  assert labels[_f.groundtruth_instance_masks].shape == (2, 2, SIZE, SIZE)


def test_masks_follow_boxes_through_a_horizontal_flip(shapes, model):
  examples, pattern = shapes
  configs = _configs(pattern, flip_probability=1.0)
  features, labels = _first(_train(configs, model))[0]
  for b in range(2):
    num = labels[_f.num_groundtruth_boxes][b]
    boxes = labels[_f.groundtruth_boxes][b, :num]
    original = examples[b].boxes / SIZE
    # Mirrored left-right: xmin' = 1 - xmax, xmax' = 1 - xmin.
    np.testing.assert_allclose(
        boxes, np.stack([original[:, 0], 1 - original[:, 3],
                         original[:, 2], 1 - original[:, 1]], axis=1),
        atol=1e-6)
    # Each mask's tight pixel box is its box times 64 (pixel columns
    # c -> 63 - c, so a box [x0, x1) becomes [64 - x1, 64 - x0)).
    masks = labels[_f.groundtruth_instance_masks][b, :num]
    np.testing.assert_allclose(_mask_boxes(masks), boxes * SIZE, atol=1e-4)
    np.testing.assert_allclose(
        features[_f.image][b], examples[b].image[:, ::-1] * (2 / 255) - 1,
        atol=1e-5)


def test_same_seed_same_batches_different_seed_different(shapes, model):
  _, pattern = shapes
  configs = _configs(pattern, shuffle=True)
  first = _first(_train(configs, model, seed=3), 2)
  again = _first(_train(configs, model, seed=3), 2)
  other = _first(_train(configs, model, seed=4), 2)
  tf.nest.map_structure(np.testing.assert_array_equal, first, again)
  flat_first = tf.nest.flatten(first)
  flat_other = tf.nest.flatten(other)
  assert any(a.shape != b.shape or not np.array_equal(a, b)
             for a, b in zip(flat_first, flat_other))


def test_batches_have_static_shapes_and_never_retrace(shapes, model):
  _, pattern = shapes
  # The crop changes the image size and drops boxes before padding.
  configs = _configs(pattern, shuffle=True, augmentation=(
      "random_horizontal_flip", "random_crop_image"))
  configs["train_input_config"].num_epochs = 0
  dataset = _train(configs, model, seed=0)
  specs = tf.nest.flatten(dataset.element_spec)
  assert all(spec.shape.is_fully_defined() for spec in specs)

  @tf.function
  def step(features, labels):
    return (tf.reduce_sum(features[_f.image]) +
            tf.reduce_sum(labels[_f.groundtruth_instance_masks]))

  # 4 batches of 2 from 6 examples: the pipeline repeats, shapes stay.
  for features, labels in dataset.take(4):
    step(features, labels)
    num = labels[_f.num_groundtruth_boxes].numpy()
    # Rows past num_groundtruth_boxes are padding: weight 0, no class.
    for b in range(2):
      weights = labels[_f.groundtruth_weights][b].numpy()
      assert (weights[:num[b]] == 1).all() and not weights[num[b]:].any()
      assert not labels[_f.groundtruth_classes][b, num[b]:].numpy().any()
  assert step.experimental_get_tracing_count() == 1


def test_eval_input_keeps_original_image_and_skips_augmentation(shapes):
  examples, pattern = shapes
  configs = _configs(pattern, flip_probability=1.0)
  configs["eval_input_config"].include_source_id = True
  eval_model = model_builder.build(configs["model"], is_training=False)
  dataset = inputs.eval_input(configs["eval_config"],
                              configs["eval_input_config"], configs["model"],
                              model=eval_model)
  features, labels = _first(dataset)[0]
  np.testing.assert_array_equal(features[_f.source_id], [b"img0", b"img1"])
  assert features[_f.original_image].dtype == np.uint8
  # eval_config.batch_size 2; original image resized to 64x64 (identity).
  np.testing.assert_array_equal(features[_f.original_image],
                                [examples[0].image, examples[1].image])
  # The flip of train_config is not applied.
  np.testing.assert_allclose(features[_f.image][0],
                             examples[0].image * (2 / 255) - 1, atol=1e-5)
  boxes, classes, _ = _expected_labels(examples[1])
  np.testing.assert_allclose(labels[_f.groundtruth_boxes][1], boxes,
                             atol=1e-6)
  np.testing.assert_array_equal(labels[_f.groundtruth_classes][1], classes)


def test_bad_augmentation_steps_fail_at_start_up(shapes, model):
  configs = _configs(shapes[1], augmentation=())
  configs["train_config"].data_augmentation_options.add()
  with pytest.raises(ValueError, match=(
      r"^train_config\.data_augmentation_options\[0\]: no preprocessing "
      r"step set; expected one of: normalize_image, ")):
    _train(configs, model)
  configs = _configs(shapes[1], flip_probability=1.0)
  step = configs["train_config"].data_augmentation_options.add()
  step.random_horizontal_flip.probability = 1.5
  with pytest.raises(ValueError, match=(
      r"^train_config\.data_augmentation_options\[1\]\.random_horizontal_"
      r"flip\.probability: must be in \[0, 1\], got 1\.5$")):
    _train(configs, model)


def _refuse_model_build(monkeypatch):
  def refuse(*args, **kwargs):
    raise AssertionError("the model was built before the config check")
  monkeypatch.setitem(inputs.INPUT_BUILDER_UTIL_MAP, "model_build", refuse)


def test_glob_matching_nothing_fails_before_the_model_is_built(
    tmp_path, monkeypatch):
  _refuse_model_build(monkeypatch)
  pattern = str(tmp_path / "missing-*.tfrecord")
  configs = _configs(pattern)
  with pytest.raises(ValueError, match=(
      r"^train_input_reader\.tf_record_input_reader\.input_path: '" +
      pattern.replace(".", r"\.").replace("*", r"\*") +
      "' matches no file$")):
    inputs.train_input(configs["train_config"],
                       configs["train_input_config"], configs["model"])
  with pytest.raises(ValueError, match=(
      r"^eval_input_reader\.tf_record_input_reader\.input_path: .* "
      "matches no file$")):
    inputs.eval_input(configs["eval_config"], configs["eval_input_config"],
                      configs["model"])


def test_step_without_an_op_fails_before_the_model_is_built(
    shapes, monkeypatch):
  _refuse_model_build(monkeypatch)
  monkeypatch.delattr(preprocessor, "random_horizontal_flip")
  configs = _configs(shapes[1], augmentation=("random_adjust_hue",
                                              "random_horizontal_flip"))
  with pytest.raises(NotImplementedError, match=(
      r"^train_config\.data_augmentation_options\[1\]\.random_horizontal_"
      r"flip: the op preprocessor\.random_horizontal_flip is not "
      r"available")):
    inputs.train_input(configs["train_config"],
                       configs["train_input_config"], configs["model"])


def test_label_above_num_classes_is_an_error(shapes, model):
  # The records hold class 3; a 2-class model must refuse them. The model's
  # preprocess does not depend on num_classes, so the 3-class one serves.
  configs = _configs(shapes[1], num_classes=2, flip_probability=0.0)
  # The decoder names the file, the record, its source_id and the field.
  with pytest.raises((ValueError, tf.errors.InvalidArgumentError), match=(
      r"shapes-00000-of-00001\.tfrecord record 0: source_id 'img0': "
      r"image/object/class/(text|label): .*\(id 3\)")):
    _first(_train(configs, model), 3)


def test_multiclass_scores_need_the_reader_to_load_them(shapes, model):
  configs = _configs(shapes[1])
  configs["train_config"].use_multiclass_scores = True
  with pytest.raises(ValueError, match=(
      r"^train_config\.use_multiclass_scores: needs "
      r"train_input_reader\.load_multiclass_scores: true$")):
    _train(configs, model)


def test_wrong_message_types_are_type_errors(shapes, model):
  configs = _configs(shapes[1])
  with pytest.raises(TypeError, match=(
      "^train_config: expected a TrainConfig message, got InputReader$")):
    inputs.train_input(configs["train_input_config"],
                       configs["train_input_config"], configs["model"],
                       model=model)


def _identity_preprocess(images):
  shape = tf.shape(images)
  return images, tf.stack([shape[1:]])


def test_merge_multiple_label_boxes_gives_k_hot_classes():
  resizer = image_resizer_builder.build(
      config_util.get_image_resizer_config(
          _configs("unused")["model"]))
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0],
                       [0.0, 0.0, 0.5, 0.5]])
  tensor_dict = {
      _f.image: tf.zeros([8, 8, 3], tf.uint8),
      _f.groundtruth_boxes: boxes,
      _f.groundtruth_classes: tf.constant([1, 2, 3], tf.int64),
      _f.groundtruth_is_crowd: tf.constant([False, True, False]),
      _f.groundtruth_instance_masks: tf.zeros([3, 8, 8], tf.uint8),
  }
  out = inputs.transform_input_data(tensor_dict, _identity_preprocess,
                                    resizer, num_classes=3,
                                    merge_multiple_boxes=True)
  # Boxes 0 and 2 are the same: one box with classes 1 and 3.
  np.testing.assert_array_equal(out[_f.groundtruth_boxes], boxes[:2])
  np.testing.assert_array_equal(out[_f.groundtruth_classes],
                                [[1, 0, 1], [0, 1, 0]])
  np.testing.assert_array_equal(out[_f.groundtruth_is_crowd], [False, True])
  assert out[_f.groundtruth_instance_masks].shape == (2, SIZE, SIZE)
  assert int(out[_f.num_groundtruth_boxes]) == 2


def test_transform_drops_nan_boxes_and_unknown_classes():
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [np.nan, 0.0, 1.0, 1.0],
                       [0.1, 0.1, 0.2, 0.2]])
  tensor_dict = {
      _f.image: tf.zeros([8, 8, 3], tf.uint8),
      _f.groundtruth_boxes: boxes,
      _f.groundtruth_classes: tf.constant([2, 1, -1], tf.int64),
      _f.groundtruth_weights: tf.constant([0.5, 1.0, 1.0]),
  }
  resizer = image_resizer_builder.build(
      config_util.get_image_resizer_config(_configs("unused")["model"]))
  out = inputs.transform_input_data(tensor_dict, _identity_preprocess,
                                    resizer, num_classes=3)
  np.testing.assert_array_equal(out[_f.groundtruth_boxes], boxes[:1])
  np.testing.assert_array_equal(out[_f.groundtruth_classes], [[0, 1, 0]])
  np.testing.assert_array_equal(out[_f.groundtruth_weights], [0.5])
  np.testing.assert_array_equal(out[_f.original_image_spatial_shape], [8, 8])


def test_pad_to_static_shapes_pads_clips_and_names_unknown_fields():
  tensor_dict = {
      _f.groundtruth_boxes: tf.ones([3, 4]),
      _f.groundtruth_classes: tf.ones([3, 2]),
      _f.groundtruth_instance_masks: tf.ones([3, 5, 6]),
      _f.num_groundtruth_boxes: tf.constant(3),
  }
  padded = inputs.pad_input_data_to_static_shapes(
      tensor_dict, max_num_boxes=4, num_classes=2,
      spatial_image_shape=[5, 6])
  assert padded[_f.groundtruth_instance_masks].shape == (4, 5, 6)
  np.testing.assert_array_equal(padded[_f.groundtruth_boxes],
                                [[1] * 4] * 3 + [[0] * 4])
  assert int(padded[_f.num_groundtruth_boxes]) == 3
  clipped = inputs.pad_input_data_to_static_shapes(
      tensor_dict, max_num_boxes=2, num_classes=2,
      spatial_image_shape=[5, 6])
  assert clipped[_f.groundtruth_classes].shape == (2, 2)
  assert int(clipped[_f.num_groundtruth_boxes]) == 2
  with pytest.raises(ValueError, match=(
      "^pad_input_data_to_static_shapes: no padded shape for field[(]s[)] "
      "mystery$")):
    inputs.pad_input_data_to_static_shapes(
        dict(tensor_dict, mystery=tf.ones([2])), 4, 2)


def test_class_lists_become_k_hot_with_the_empty_list_rules():
  resizer = image_resizer_builder.build(
      config_util.get_image_resizer_config(_configs("unused")["model"]))
  base = {
      _f.image: tf.zeros([8, 8, 3], tf.uint8),
      _f.groundtruth_boxes: tf.constant([[0.0, 0.0, 0.5, 0.5]]),
      _f.groundtruth_classes: tf.constant([1], tf.int64),
  }
  empty = tf.zeros([0], tf.int64)
  out = inputs.transform_input_data(
      dict(base, **{_f.groundtruth_labeled_classes: empty,
                    _f.groundtruth_verified_neg_classes: empty,
                    _f.groundtruth_not_exhaustive_classes: tf.constant(
                        [3, -1], tf.int64)}),
      _identity_preprocess, resizer, num_classes=3)
  # Empty labeled classes: all labeled; empty negatives: none; id 3 (1-based)
  # sets column 2 and the unknown id -1 is ignored.
  np.testing.assert_array_equal(out[_f.groundtruth_labeled_classes], [1, 1, 1])
  np.testing.assert_array_equal(out[_f.groundtruth_verified_neg_classes],
                                [0, 0, 0])
  np.testing.assert_array_equal(out[_f.groundtruth_not_exhaustive_classes],
                                [0, 0, 1])
  for map_empty_to_ones, expected in ((True, [1, 1, 1]), (False, [0, 0, 0])):
    out = inputs.transform_input_data(
        dict(base, **{_f.groundtruth_image_classes: empty}),
        _identity_preprocess, resizer, num_classes=3,
        image_classes_field_map_empty_to_ones=map_empty_to_ones)
    np.testing.assert_array_equal(out[_f.groundtruth_image_classes], expected)
  out = inputs.transform_input_data(
      dict(base, **{_f.groundtruth_image_classes: tf.constant([2, 2],
                                                              tf.int64)}),
      _identity_preprocess, resizer, num_classes=3)
  np.testing.assert_array_equal(out[_f.groundtruth_image_classes], [0, 1, 0])
  with pytest.raises(ValueError, match="only one may be"):
    inputs.transform_input_data(
        dict(base, **{_f.groundtruth_image_classes: empty,
                      _f.groundtruth_labeled_classes: empty}),
        _identity_preprocess, resizer, num_classes=3)


def test_empty_per_box_fields_follow_dropped_and_merged_boxes():
  resizer = image_resizer_builder.build(
      config_util.get_image_resizer_config(_configs("unused")["model"]))
  tensor_dict = {
      _f.image: tf.zeros([8, 8, 3], tf.uint8),
      _f.groundtruth_boxes: tf.constant([[0.0, 0.0, 0.5, 0.5],
                                         [np.nan, 0.0, 1.0, 1.0],
                                         [0.0, 0.0, 0.5, 0.5]]),
      _f.groundtruth_classes: tf.constant([1, 2, 3], tf.int64),
      # As the decoder gives them when the record lacks them.
      _f.groundtruth_is_crowd: tf.zeros([0], tf.bool),
      _f.groundtruth_area: tf.zeros([0], tf.float32),
      _f.groundtruth_difficult: tf.zeros([0], tf.int64),
      _f.groundtruth_group_of: tf.constant([True, False, False]),
      _f.groundtruth_keypoints: tf.fill([3, 2, 2], 0.25),
      _f.groundtruth_keypoint_visibilities: tf.constant(
          [[True, False], [True, True], [False, True]]),
  }
  out = inputs.transform_input_data(tensor_dict, _identity_preprocess,
                                    resizer, num_classes=3,
                                    merge_multiple_boxes=True,
                                    keypoint_type_weight=[2.0, 3.0])
  # Box 1 (NaN) is dropped; boxes 0 and 2 merge into one with classes 1, 3.
  np.testing.assert_array_equal(out[_f.groundtruth_classes], [[1, 0, 1]])
  np.testing.assert_array_equal(out[_f.groundtruth_is_crowd], [False])
  np.testing.assert_array_equal(out[_f.groundtruth_area], [0.0])
  np.testing.assert_array_equal(out[_f.groundtruth_difficult], [0])
  np.testing.assert_array_equal(out[_f.groundtruth_group_of], [True])
  # Keypoint weights (type weight where visible) follow box 0: [2, 0].
  np.testing.assert_array_equal(out[_f.groundtruth_keypoint_visibilities],
                                [[True, False]])
  np.testing.assert_array_equal(out[_f.groundtruth_keypoint_weights],
                                [[2.0, 0.0]])
