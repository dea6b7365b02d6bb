"""Acceptance tests of the Faster / Mask R-CNN meta-architecture.

A tiny Mask R-CNN (pipelines/mask_rcnn_shapes.config, the small FPN
extractor) on synthetic shapes: overfitting one batch, checkpoints,
determinism, restore_from_objects, tf.distribute and the one-stage mode.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.core import standard_fields as fields
from object_detection.data import shapes_dataset
from object_detection.meta_architectures import faster_rcnn_meta_arch
from object_detection.utils import config_util

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_SHAPES_CONFIG = os.path.join(_REPO, "pipelines", "mask_rcnn_shapes.config")
_D = fields.DetectionResultFields
_LOSS_KEYS = {"Loss/RPNLoss/localization_loss", "Loss/RPNLoss/objectness_loss",
              "Loss/BoxClassifierLoss/localization_loss",
              "Loss/BoxClassifierLoss/classification_loss",
              "Loss/BoxClassifierLoss/mask_loss"}


def _model_config(size, number_of_stages=None):
  config = config_util.get_configs_from_pipeline_file(_SHAPES_CONFIG)["model"]
  config.faster_rcnn.image_resizer.fixed_shape_resizer.height = size
  config.faster_rcnn.image_resizer.fixed_shape_resizer.width = size
  if number_of_stages is not None:
    config.faster_rcnn.number_of_stages = number_of_stages
    if number_of_stages == 1:
      (config.faster_rcnn.second_stage_box_predictor.mask_rcnn_box_predictor
       .predict_instance_masks) = False
  return config


def _batch(size, num_images=2, seed=0):
  rng = np.random.default_rng(seed)
  examples = [shapes_dataset.make_example(
      rng, size, size, max_instances=3, min_size=size // 8,
      max_size=size * 3 // 8) for _ in range(num_images)]
  images = tf.constant(np.stack([e.image for e in examples]), tf.float32)
  groundtruth = dict(
      groundtruth_boxes_list=[tf.constant(e.boxes / size) for e in examples],
      groundtruth_classes_list=[tf.one_hot(e.classes - 1, 3)
                                for e in examples],
      groundtruth_masks_list=[tf.constant(e.masks, tf.float32)
                              for e in examples])
  return examples, images, groundtruth


def _paste_mask(mask, box, height, width):
  """Pastes a box-relative probability mask into a bool image mask."""
  y0, x0, y1, x1 = np.asarray(box) * [height, width, height, width]
  out = np.zeros((height, width), bool)
  rows = np.arange(int(np.floor(y0)), int(np.ceil(y1)))
  cols = np.arange(int(np.floor(x0)), int(np.ceil(x1)))
  if rows.size == 0 or cols.size == 0:
    return out
  # Nearest mask cell of each pixel centre.
  mask_rows = np.clip(((rows + 0.5 - y0) / (y1 - y0) * mask.shape[0]
                       ).astype(int), 0, mask.shape[0] - 1)
  mask_cols = np.clip(((cols + 0.5 - x0) / (x1 - x0) * mask.shape[1]
                       ).astype(int), 0, mask.shape[1] - 1)
  out[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = (
      mask[mask_rows][:, mask_cols] > 0.5)
  return out


def _train_step_fn(model, optimizer, images, groundtruth):
  @tf.function
  def step():
    model.provide_groundtruth(**groundtruth)
    with tf.GradientTape() as tape:
      preprocessed, shapes = model.preprocess(images)
      losses = model.loss(model.predict(preprocessed, shapes), shapes)
      total = tf.add_n(list(losses.values()))
    grads = tape.gradient(total, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return total, losses
  return step


def _build_eagerly(model, images, groundtruth, optimizer=None):
  """One eager pass creates every variable, so tf.function traces once."""
  model.provide_groundtruth(**groundtruth)
  preprocessed, shapes = model.preprocess(images)
  prediction_dict = model.predict(preprocessed, shapes)
  if optimizer is not None:
    model.loss(prediction_dict, shapes)
    optimizer.build(model.trainable_variables)
  return prediction_dict


def test_tiny_mask_rcnn_overfits_one_batch(tmp_path):
  size = 128
  keras.utils.set_random_seed(0)
  examples, images, groundtruth = _batch(size)
  model = model_builder.build(_model_config(size), is_training=True)
  optimizer = keras.optimizers.Adam(1e-3)
  _build_eagerly(model, images, groundtruth, optimizer)
  step = _train_step_fn(model, optimizer, images, groundtruth)
  first_total, first_losses = step()
  assert set(first_losses) == _LOSS_KEYS
  totals = [float(step()[0]) for _ in range(199)]
  final = float(np.mean(totals[-5:]))
  assert final <= 0.2 * float(first_total), (float(first_total), totals[-5:])

  # Checkpoint round trip into an inference model.
  path = tf.train.Checkpoint(model=model).save(str(tmp_path / "ckpt"))
  inference = model_builder.build(_model_config(size), is_training=False)
  _build_eagerly(inference, images, groundtruth)
  status = tf.train.Checkpoint(model=inference).restore(path)
  status.assert_existing_objects_matched()
  for a, b in zip(model.trainable_variables, inference.trainable_variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())

  preprocessed, shapes = inference.preprocess(images)
  detections = inference.postprocess(
      inference.predict(preprocessed, shapes), shapes)
  for b, example in enumerate(examples):
    num = int(detections[_D.num_detections][b])
    for g, gt_mask in enumerate(example.masks):
      best = 0.0
      for d in range(num):
        pasted = _paste_mask(detections[_D.detection_masks][b, d].numpy(),
                             detections[_D.detection_boxes][b, d].numpy(),
                             size, size)
        union = np.logical_or(pasted, gt_mask > 0).sum()
        best = max(best, np.logical_and(pasted, gt_mask > 0).sum() / union)
      assert best >= 0.7, (b, g, best)


@pytest.fixture(scope="module")
def small_inference_setup():
  keras.utils.set_random_seed(1)
  _, images, groundtruth = _batch(64)
  model = model_builder.build(_model_config(64), is_training=False)
  _build_eagerly(model, images, groundtruth)
  return model, images, groundtruth


def test_inference_outputs_keys_and_shapes(small_inference_setup):
  model, images, _ = small_inference_setup
  preprocessed, shapes = model.preprocess(images)
  detections = model.postprocess(model.predict(preprocessed, shapes), shapes)
  max_det, max_props = 20, 64
  expected = {
      _D.detection_boxes: (2, max_det, 4), _D.detection_scores: (2, max_det),
      _D.detection_classes: (2, max_det), _D.num_detections: (2,),
      _D.detection_masks: (2, max_det, 14, 14),
      _D.detection_multiclass_scores: (2, max_det, 4),
      _D.raw_detection_boxes: (2, max_props, 4),
      _D.raw_detection_scores: (2, max_props, 4),
  }
  for key, shape in expected.items():
    assert tuple(detections[key].shape) == shape, key
  masks = detections[_D.detection_masks].numpy()
  assert masks.min() >= 0.0 and masks.max() <= 1.0
  classes = detections[_D.detection_classes].numpy()
  assert classes.min() >= 0 and classes.max() <= 2


def test_eval_mode_losses(small_inference_setup):
  model, images, groundtruth = small_inference_setup
  model.provide_groundtruth(**groundtruth)
  preprocessed, shapes = model.preprocess(images)
  losses = model.loss(model.predict(preprocessed, shapes), shapes)
  assert set(losses) == _LOSS_KEYS
  assert all(np.isfinite(v.numpy()) for v in losses.values())


def test_determinism_two_builds_same_outputs():
  _, images, _ = _batch(64, num_images=1)
  outputs = []
  for _ in range(2):
    keras.utils.set_random_seed(7)
    model = model_builder.build(_model_config(64), is_training=False)
    preprocessed, shapes = model.preprocess(images)
    prediction = model.predict(preprocessed, shapes)
    outputs.append((prediction[faster_rcnn_meta_arch.RPN_OBJECTNESS].numpy(),
                    prediction[faster_rcnn_meta_arch.CLASS_PREDICTIONS]
                    .numpy()))
  np.testing.assert_array_equal(outputs[0][0], outputs[1][0])
  np.testing.assert_array_equal(outputs[0][1], outputs[1][1])


def test_restore_from_objects(small_inference_setup, tmp_path):
  model, _, _ = small_inference_setup
  classification = model.restore_from_objects("classification")
  assert set(classification) == {"feature_extractor"}
  path = tf.train.Checkpoint(**classification).save(str(tmp_path / "cls"))
  tf.train.Checkpoint(**model.restore_from_objects(
      "classification")).restore(path).assert_existing_objects_matched()
  detection = model.restore_from_objects("detection")
  path = tf.train.Checkpoint(**detection).save(str(tmp_path / "det"))
  # A full-model checkpoint restores into the 'detection' subset.
  full_path = tf.train.Checkpoint(**model.restore_from_objects("full")).save(
      str(tmp_path / "full"))
  tf.train.Checkpoint(**model.restore_from_objects("detection")).restore(
      full_path).assert_existing_objects_matched()
  del path
  with pytest.raises(ValueError, match="Not supported fine_tune_checkpoint"
                     "_type: 'bogus'"):
    model.restore_from_objects("bogus")


def test_train_step_under_mirrored_strategy():
  strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
  _, images, groundtruth = _batch(64)
  with strategy.scope():
    keras.utils.set_random_seed(3)
    model = model_builder.build(_model_config(64), is_training=True)
    optimizer = keras.optimizers.SGD(1e-3)
    _build_eagerly(model, images, groundtruth, optimizer)

  @tf.function
  def train_step():
    def replica_step():
      model.provide_groundtruth(**groundtruth)
      with tf.GradientTape() as tape:
        preprocessed, shapes = model.preprocess(images)
        losses = model.loss(model.predict(preprocessed, shapes), shapes)
        total = tf.add_n(list(losses.values()))
      grads = tape.gradient(total, model.trainable_variables)
      optimizer.apply_gradients(zip(grads, model.trainable_variables))
      return total
    per_replica = strategy.run(replica_step)
    return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

  assert np.isfinite(train_step().numpy())


def test_one_stage_model_returns_proposals():
  keras.utils.set_random_seed(0)
  _, images, groundtruth = _batch(64, num_images=1)
  model = model_builder.build(_model_config(64, number_of_stages=1),
                              is_training=False)
  model.provide_groundtruth(
      groundtruth["groundtruth_boxes_list"],
      groundtruth["groundtruth_classes_list"])
  preprocessed, shapes = model.preprocess(images)
  prediction = model.predict(preprocessed, shapes)
  assert set(model.loss(prediction, shapes)) == {
      "Loss/RPNLoss/localization_loss", "Loss/RPNLoss/objectness_loss"}
  detections = model.postprocess(prediction, shapes)
  assert tuple(detections[_D.detection_boxes].shape) == (1, 64, 4)
  assert np.all(detections[_D.detection_classes].numpy() == 0)
  assert 0 < int(detections[_D.num_detections][0]) <= 64
