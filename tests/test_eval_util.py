"""Tests of object_detection/eval_util.py."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection import eval_util
from object_detection import inputs
from object_detection.builders import model_builder
from object_detection.core import standard_fields as fields
from object_detection.metrics import coco_evaluation
from object_detection.protos import eval_pb2
from object_detection.utils import config_util
from object_detection.utils import label_map_util
from tests.conftest import shapes_examples
from tests.conftest import write_examples

_In = fields.InputDataFields
_Det = fields.DetectionResultFields
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABEL_MAP = os.path.join(REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")
CATEGORIES = [{"id": 1, "name": "square"}, {"id": 2, "name": "circle"},
              {"id": 3, "name": "triangle"}]
COCO_SUMMARY = ["Precision/mAP", "Precision/mAP@.50IOU",
                "Precision/mAP@.75IOU", "Precision/mAP (small)",
                "Precision/mAP (medium)", "Precision/mAP (large)",
                "Recall/AR@1", "Recall/AR@10", "Recall/AR@100",
                "Recall/AR@100 (small)", "Recall/AR@100 (medium)",
                "Recall/AR@100 (large)"]
LOSS_KEYS = ["Loss/RPNLoss/localization_loss", "Loss/RPNLoss/objectness_loss",
             "Loss/BoxClassifierLoss/localization_loss",
             "Loss/BoxClassifierLoss/classification_loss",
             "Loss/BoxClassifierLoss/mask_loss", "Loss/regularization_loss",
             "Loss/total_loss"]


def _eval_config(*metrics, **kwargs):
  return eval_pb2.EvalConfig(metrics_set=list(metrics), **kwargs)


# ------------------------------------------------------------ config helpers


def test_get_evaluators_default_order_and_repeats():
  [default] = eval_util.get_evaluators(_eval_config(), CATEGORIES)
  assert type(default) is coco_evaluation.CocoDetectionEvaluator
  evaluators = eval_util.get_evaluators(
      _eval_config("coco_mask_metrics", "coco_detection_metrics",
                   "coco_mask_metrics"), CATEGORIES)
  assert [type(e) for e in evaluators] == [
      coco_evaluation.CocoMaskEvaluator,
      coco_evaluation.CocoDetectionEvaluator]
  assert evaluators[0].categories == CATEGORIES


def test_get_evaluators_unknown_name():
  with pytest.raises(ValueError) as error:
    eval_util.get_evaluators(
        _eval_config("coco_detection_metrics", "foo"), CATEGORIES)
  assert str(error.value) == (
      "eval_config.metrics_set[1]: 'foo' is not supported; supported: "
      "'coco_detection_metrics', 'coco_mask_metrics'")


def test_evaluator_options_reach_the_evaluators():
  config = _eval_config("coco_detection_metrics", "coco_mask_metrics",
                        include_metrics_per_category=True)
  options = eval_util.evaluator_options_from_eval_config(config)
  expected = {"include_metrics_per_category": True,
              "all_metrics_per_category": False}
  assert options == {"coco_detection_metrics": expected,
                     "coco_mask_metrics": expected}
  # An empty metrics_set means coco_detection_metrics, options included.
  assert eval_util.evaluator_options_from_eval_config(
      _eval_config(all_metrics_per_category=True)) == {
          "coco_detection_metrics": {"include_metrics_per_category": False,
                                     "all_metrics_per_category": True}}
  [evaluator] = eval_util.get_evaluators(
      _eval_config(), CATEGORIES,
      {"coco_detection_metrics": {"include_metrics_per_category": True}})
  _add_perfect_image(evaluator, 100, 200)
  metrics = evaluator.evaluate()
  assert metrics["DetectionBoxes_PerformanceByCategory/mAP/circle"] == (
      pytest.approx(1.0))


def test_primary_metric():
  assert eval_util.primary_metric(_eval_config()) == (
      "DetectionBoxes_Precision/mAP")
  with_masks = _eval_config("coco_detection_metrics", "coco_mask_metrics")
  assert eval_util.primary_metric(with_masks) == (
      "DetectionMasks_Precision/mAP")
  assert eval_util.primary_metric(
      eval_util.get_evaluators(with_masks, CATEGORIES)) == (
          "DetectionMasks_Precision/mAP")
  assert eval_util.primary_metric(
      eval_util.get_evaluators(_eval_config(), CATEGORIES)) == (
          "DetectionBoxes_Precision/mAP")


# ------------------------------------------------------ batch conversions


def _hand_batch(original_hw=(100, 200), true_hw=(64, 64), padded=64):
  """One image: groundtruth circle box + mask, a perfect detection, a pad.

  The groundtruth box is normalised [0.25, 0.25, 0.75, 0.75] of the true
  image; its mask covers the same quarter of the true image in the padded
  model input frame.
  """
  box = [0.25, 0.25, 0.75, 0.75]
  masks = np.zeros((1, 3, padded, padded), np.float32)
  true_h, true_w = true_hw
  masks[0, 0, true_h // 4:3 * true_h // 4, true_w // 4:3 * true_w // 4] = 1.0
  features = {
      _In.true_image_shape: np.array([[true_h, true_w, 3]], np.int32),
      _In.original_image_spatial_shape: np.array([original_hw], np.int32),
      inputs.HASH_KEY: np.array([12345], np.int32),
  }
  labels = {
      _In.num_groundtruth_boxes: np.array([1], np.int32),
      _In.groundtruth_boxes: np.array([[box, [0.0] * 4, [0.0] * 4]],
                                      np.float32),
      # Class id 2 ('circle') is one-hot column 1.
      _In.groundtruth_classes: np.array([[[0, 1, 0], [0, 0, 0], [0, 0, 0]]],
                                        np.float32),
      _In.groundtruth_instance_masks: masks,
      _In.groundtruth_area: np.zeros((1, 3), np.float32),
      _In.groundtruth_is_crowd: np.zeros((1, 3), bool),
  }
  detections = {
      _Det.detection_boxes: np.array([[box, [0.0] * 4]], np.float32),
      _Det.detection_scores: np.array([[0.9, 0.0]], np.float32),
      _Det.detection_classes: np.array([[1.0, 0.0]], np.float32),  # 0-based
      _Det.num_detections: np.array([1.0], np.float32),
      _Det.detection_masks: np.ones((1, 2, 14, 14), np.float32),
  }
  return features, labels, detections


def _add_perfect_image(evaluator, height, width):
  features, labels, detections = _hand_batch((height, width))
  [(image_id, groundtruth, detected)] = eval_util.batch_to_eval_dicts(
      features, labels, detections)
  evaluator.add_single_ground_truth_image_info(image_id, groundtruth)
  evaluator.add_single_detected_image_info(image_id, detected)


def test_batch_to_eval_dicts_absolute_boxes_and_classes():
  features, labels, detections = _hand_batch((100, 200))
  labels[_In.groundtruth_boxes][0, 0] = [0.1, 0.2, 0.5, 0.9]
  detections[_Det.detection_boxes][0, 0] = [0.1, 0.2, 0.5, 0.9]
  [(image_id, groundtruth, detected)] = eval_util.batch_to_eval_dicts(
      features, labels, tf.nest.map_structure(tf.constant, detections),
      first_index=7)
  assert image_id == "7:12345"
  # 100 x 200 original: y * 100, x * 200.
  np.testing.assert_allclose(groundtruth[_In.groundtruth_boxes],
                             [[10.0, 40.0, 50.0, 180.0]], rtol=1e-6)
  np.testing.assert_allclose(detected[_Det.detection_boxes],
                             [[10.0, 40.0, 50.0, 180.0]], rtol=1e-6)
  np.testing.assert_array_equal(groundtruth[_In.groundtruth_classes], [2])
  np.testing.assert_array_equal(detected[_Det.detection_classes], [2])
  np.testing.assert_array_equal(detected[_Det.detection_scores],
                                np.float32([0.9]))
  np.testing.assert_array_equal(groundtruth[_In.groundtruth_is_crowd],
                                [False])
  # All-zero areas mean "not in the record": left out.
  assert _In.groundtruth_area not in groundtruth
  assert groundtruth[_In.groundtruth_instance_masks].shape == (1, 100, 200)
  assert detected[_Det.detection_masks].shape == (1, 100, 200)
  assert detected[_Det.detection_masks].dtype == np.uint8


def test_masks_reach_original_size_identically():
  features, labels, detections = _hand_batch((100, 200))
  [(_, groundtruth, detected)] = eval_util.batch_to_eval_dicts(
      features, labels, detections)
  # Groundtruth 64x64 [16:48, 16:48] -> nearest to 100x200: rows with
  # (r + 0.5) * 0.64 in [16, 48): 25..74; cols (c + 0.5) * 0.32: 50..149.
  # The detection's box [0.25, 0.75] samples rows r / 99 and cols c / 199
  # inside it: the same rows and columns.
  expected = np.zeros((1, 100, 200), np.uint8)
  expected[0, 25:75, 50:150] = 1
  np.testing.assert_array_equal(groundtruth[_In.groundtruth_instance_masks],
                                expected)
  np.testing.assert_array_equal(detected[_Det.detection_masks], expected)


def test_padded_input_frame_is_cropped_to_the_true_image():
  # Content 32x64 at the top left of a 64x64 input, original 50x100.
  features, labels, detections = _hand_batch((50, 100), true_hw=(32, 64))
  [(_, groundtruth, _)] = eval_util.batch_to_eval_dicts(
      features, labels, detections)
  masks = groundtruth[_In.groundtruth_instance_masks]
  assert masks.shape == (1, 50, 100)
  # Rows 8..23 of 32 -> (r + 0.5) * 0.64 in [8, 24): 12..37; columns 16..47
  # of 64 -> (c + 0.5) * 0.64 in [16, 48): 25..74.
  expected = np.zeros((1, 50, 100), np.uint8)
  expected[0, 12:37, 25:75] = 1
  np.testing.assert_array_equal(masks, expected)
  np.testing.assert_allclose(groundtruth[_In.groundtruth_boxes],
                             [[12.5, 25.0, 37.5, 75.0]])


def test_positive_areas_and_source_ids_are_kept():
  features, labels, detections = _hand_batch()
  labels[_In.groundtruth_area][0, 0] = 123.0
  features[_In.source_id] = np.array([b"img7"])
  [(image_id, groundtruth, _)] = eval_util.batch_to_eval_dicts(
      features, labels, detections, first_index=3)
  assert image_id == "3:img7"
  np.testing.assert_array_equal(groundtruth[_In.groundtruth_area], [123.0])


def test_image_without_objects_or_detections():
  features, labels, detections = _hand_batch((100, 200))
  labels[_In.num_groundtruth_boxes][:] = 0
  detections[_Det.num_detections][:] = 0
  [(_, groundtruth, detected)] = eval_util.batch_to_eval_dicts(
      features, labels, detections)
  assert groundtruth[_In.groundtruth_boxes].shape == (0, 4)
  assert groundtruth[_In.groundtruth_classes].shape == (0,)
  assert groundtruth[_In.groundtruth_instance_masks].shape == (0, 100, 200)
  assert detected[_Det.detection_boxes].shape == (0, 4)
  assert detected[_Det.detection_masks].shape == (0, 100, 200)


def test_perfect_detection_scores_one_for_boxes_and_masks():
  evaluators = eval_util.get_evaluators(
      _eval_config("coco_detection_metrics", "coco_mask_metrics"),
      CATEGORIES)
  for evaluator in evaluators:
    _add_perfect_image(evaluator, 100, 200)
  metrics = {}
  for evaluator in evaluators:
    metrics.update(evaluator.evaluate())
  assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(1.0)
  assert metrics["DetectionMasks_Precision/mAP"] == pytest.approx(1.0)


# ------------------------------------------------ evaluate, without a model


def _hand_dataset(num_batches=2, with_image=True):
  features, labels, detections = _hand_batch()
  if with_image:
    features[_In.original_image] = np.full((1, 64, 64, 3), 7, np.uint8)
  features[_In.source_id] = np.array([b"same"])
  dataset = tf.data.Dataset.from_tensors((features, labels)).repeat(
      num_batches)
  calls = []

  def batch_fn(batch_features, batch_labels):
    del batch_features, batch_labels
    calls.append(1)
    return detections, {"Loss/total_loss": tf.constant(2.0 * len(calls))}
  return dataset, batch_fn


def test_evaluate_with_a_batch_fn_averages_losses_and_makes_ids_unique():
  dataset, batch_fn = _hand_dataset(num_batches=2)
  evaluators = eval_util.get_evaluators(
      _eval_config("coco_detection_metrics", "coco_mask_metrics"),
      CATEGORIES)
  result = eval_util.evaluate(None, dataset, evaluators,
                              num_visualizations=5, batch_fn=batch_fn)
  # Both images have source_id 'same': the running index keeps them apart.
  assert [v[_In.key] for v in result.visualizations] == ["0:same", "1:same"]
  assert result.num_images == 2
  assert result.metrics["Loss/total_loss"] == pytest.approx(3.0)  # (2+4)/2
  assert result.metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(1.0)
  assert result.metrics["DetectionMasks_Precision/mAP"] == pytest.approx(1.0)
  image = result.visualizations[0][_In.image]
  assert image.shape == (100, 200, 3) and image.dtype == np.uint8
  np.testing.assert_array_equal(image, np.full((100, 200, 3), 7, np.uint8))
  np.testing.assert_allclose(result.visualizations[0][_In.groundtruth_boxes],
                             [[25.0, 50.0, 75.0, 150.0]])


def test_evaluate_errors():
  dataset, batch_fn = _hand_dataset(num_batches=1, with_image=False)
  evaluators = eval_util.get_evaluators(_eval_config(), CATEGORIES)
  with pytest.raises(ValueError, match="max_batches must be None or >= 1, "
                     "got 0"):
    eval_util.evaluate(None, dataset, evaluators, max_batches=0,
                       batch_fn=batch_fn)
  with pytest.raises(ValueError, match="the dataset yielded no batch"):
    eval_util.evaluate(None, dataset.take(0), evaluators, batch_fn=batch_fn)
  with pytest.raises(ValueError, match=r"needs features\['original_image'\] "
                     r"\(eval_config.retain_original_images: true\)"):
    eval_util.evaluate(None, dataset, evaluators, num_visualizations=1,
                       batch_fn=batch_fn)


# ------------------------------------------------------------- end to end

SIZE = 64
NUM_IMAGES = 4


@pytest.fixture(scope="module")
def shapes_records(tmp_path_factory):
  """(examples, file pattern) of 4 shapes images 64x64; image 0 has classes
  [3, 1, 1] (as in tests/test_inputs.py)."""
  examples = shapes_examples(NUM_IMAGES, 0, SIZE, max_instances=3,
                             min_size=8, max_size=24)
  prefix = str(tmp_path_factory.mktemp("records") / "shapes")
  return examples, write_examples(examples, prefix, "img")


def _shapes_configs(pattern):
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  resizer = configs["model"].faster_rcnn.image_resizer.fixed_shape_resizer
  resizer.height = resizer.width = SIZE
  reader = configs["eval_input_config"]
  reader.label_map_path = LABEL_MAP
  del reader.tf_record_input_reader.input_path[:]
  reader.tf_record_input_reader.input_path.append(pattern)
  reader.max_number_of_boxes = 4
  reader.num_readers = 1
  reader.drop_remainder = False
  # 3 + 1 images: a full and a partial batch.
  configs["eval_config"].batch_size = 3
  return configs


def test_evaluate_end_to_end(shapes_records):
  examples, pattern = shapes_records
  configs = _shapes_configs(pattern)
  keras.utils.set_random_seed(0)
  model = model_builder.build(configs["model"], is_training=False)
  dataset = inputs.eval_input(configs["eval_config"],
                              configs["eval_input_config"], configs["model"],
                              model=model)
  evaluators = eval_util.get_evaluators(
      configs["eval_config"],
      label_map_util.create_categories_from_labelmap(LABEL_MAP))
  assert eval_util.primary_metric(evaluators) == (
      "DetectionMasks_Precision/mAP")
  step = eval_util.make_eval_step(model)
  result = eval_util.evaluate(model, dataset, evaluators,
                              num_visualizations=2, batch_fn=step)
  # Batches of 3 then 1: one trace each, plus the retrace tf.function does
  # after the first trace created the model's variables.
  assert step.experimental_get_tracing_count() == 3

  assert result.num_images == NUM_IMAGES
  expected = (["DetectionBoxes_" + name for name in COCO_SUMMARY]
              + ["DetectionMasks_" + name for name in COCO_SUMMARY]
              + LOSS_KEYS)
  assert sorted(result.metrics) == sorted(expected)
  assert all(np.isfinite(value) for value in result.metrics.values())
  model_losses = sum(result.metrics[k] for k in LOSS_KEYS[:-1])
  assert result.metrics["Loss/total_loss"] == pytest.approx(model_losses,
                                                            rel=1e-5)

  assert len(result.visualizations) == 2
  for visualization in result.visualizations:
    num_gt = len(visualization[_In.groundtruth_classes])
    num_det = len(visualization[_Det.detection_scores])
    assert visualization[_In.image].shape == (SIZE, SIZE, 3)
    assert visualization[_In.image].dtype == np.uint8
    assert visualization[_In.groundtruth_boxes].shape == (num_gt, 4)
    assert visualization[_In.groundtruth_instance_masks].shape == (
        num_gt, SIZE, SIZE)
    assert visualization[_Det.detection_boxes].shape == (num_det, 4)
    assert visualization[_Det.detection_classes].dtype == np.int32
    assert visualization[_Det.detection_masks].shape == (num_det, SIZE,
                                                         SIZE)
    assert visualization[_Det.detection_masks].dtype == np.uint8
  first = result.visualizations[0]
  assert first[_In.key] == "0:%d" % tf.strings.to_hash_bucket_fast(
      "img0", inputs.HASH_BINS).numpy()
  # 64x64 records at a 64x64 model input: everything maps back exactly.
  np.testing.assert_array_equal(first[_In.image], examples[0].image)
  np.testing.assert_array_equal(first[_In.groundtruth_classes], [3, 1, 1])
  np.testing.assert_allclose(first[_In.groundtruth_boxes], examples[0].boxes,
                             atol=1e-4)
  np.testing.assert_array_equal(first[_In.groundtruth_instance_masks],
                                examples[0].masks)

  # max_batches stops early; evaluators are cleared between runs.
  again = eval_util.evaluate(model, dataset, evaluators, max_batches=1,
                             batch_fn=step)
  assert again.num_images == 3
  assert step.experimental_get_tracing_count() == 3
