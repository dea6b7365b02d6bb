"""One distributed training step of a DetectionModel.

    step = train_step.TrainStep(model, optimizer, variables, train_config,
                                global_step, strategy)
    losses = step(distributed_features, distributed_labels)  # eager dict

Inside one tf.function, on every replica: the batch's groundtruth is given
to the model (unpadded with num_groundtruth_boxes when
train_config.unpad_groundtruth_tensors, else padded with zero weights past
it), predict and loss run under a GradientTape, the regularisation losses
are added (train_config.add_regularization_loss), the total loss divided by
the number of replicas is differentiated, bias gradients are scaled by
bias_grad_multiplier when it is not 0, gradients are clipped to
gradient_clipping_by_norm when it is > 0 (per replica, as in the TF OD API),
and the optimizer applies them (Keras sums them over replicas). The losses
returned are averaged over replicas, with the step's `learning_rate`;
given a summary writer, the step also writes them to TensorBoard in the
graph (a host-side write per scalar and step costs more than a small
model's step).

Loss names are the model's (`Loss/RPNLoss/localization_loss`, ...) plus
`Loss/regularization_loss` and `Loss/total_loss`, the TF OD API's tags.
"""

from typing import Callable, Dict, List, Optional, Sequence

import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.training import train_settings

REGULARIZATION_LOSS = "Loss/regularization_loss"
TOTAL_LOSS = "Loss/total_loss"
GRADIENT_NORM = "gradient_norm"
LEARNING_RATE = "learning_rate"

_Input = fields.InputDataFields

# provide_groundtruth argument -> label key, for per-box fields.
_PER_BOX_LABELS = {
    "groundtruth_masks_list": _Input.groundtruth_instance_masks,
    "groundtruth_weights_list": _Input.groundtruth_weights,
    "groundtruth_confidences_list": _Input.groundtruth_confidences,
    "groundtruth_is_crowd_list": _Input.groundtruth_is_crowd,
    "groundtruth_group_of_list": _Input.groundtruth_group_of,
    "groundtruth_area_list": _Input.groundtruth_area,
    "groundtruth_keypoints_list": _Input.groundtruth_keypoints,
    "groundtruth_keypoint_visibilities_list":
        _Input.groundtruth_keypoint_visibilities,
}
# provide_groundtruth argument -> label key, for per-image [C] fields.
_PER_IMAGE_LABELS = {
    "groundtruth_labeled_classes": _Input.groundtruth_labeled_classes,
    "groundtruth_verified_neg_classes":
        _Input.groundtruth_verified_neg_classes,
    "groundtruth_not_exhaustive_classes":
        _Input.groundtruth_not_exhaustive_classes,
    "groundtruth_image_classes": _Input.groundtruth_image_classes,
}


def _per_image(tensor: tf.Tensor, counts: Optional[Sequence[tf.Tensor]]
               ) -> List[tf.Tensor]:
  images = tf.unstack(tensor)
  if counts is None:
    return images
  return [image[:count] for image, count in zip(images, counts)]


def provide_groundtruth(model, labels: Dict[str, tf.Tensor], unpad: bool = True,
                        training_step: Optional[tf.Tensor] = None) -> None:
  """Gives a batch's labels (inputs.train_input layout) to the model.

  Args:
    model: a DetectionModel.
    labels: the labels dict of a batch; tensors [B, M, ...] padded to M
      boxes, `num_groundtruth_boxes` int32 [B].
    unpad: slice each image's boxes to its num_groundtruth_boxes; when
      False the padded rows stay, with weight 0.
    training_step: optional int scalar tensor.
  """
  counts = (tf.unstack(labels[_Input.num_groundtruth_boxes]) if unpad
            else None)
  kwargs = {}
  for argument, key in _PER_BOX_LABELS.items():
    if key in labels:
      kwargs[argument] = _per_image(labels[key], counts)
  for argument, key in _PER_IMAGE_LABELS.items():
    if key in labels:
      kwargs[argument] = tf.unstack(labels[key])
  model.provide_groundtruth(
      groundtruth_boxes_list=_per_image(labels[_Input.groundtruth_boxes],
                                        counts),
      groundtruth_classes_list=_per_image(labels[_Input.groundtruth_classes],
                                          counts),
      training_step=training_step, **kwargs)


def compute_losses(model, features: Dict[str, tf.Tensor],
                   add_regularization_loss: bool = True
                   ) -> Dict[str, tf.Tensor]:
  """predict + loss on preprocessed features (groundtruth already given).

  Returns:
    dict loss name -> float32 [] including REGULARIZATION_LOSS (when
    add_regularization_loss and the model has any) and TOTAL_LOSS.
  """
  predictions = model.predict(features[_Input.image],
                              features[_Input.true_image_shape],
                              **model.get_side_inputs(features))
  losses = dict(model.loss(predictions, features[_Input.true_image_shape]))
  if add_regularization_loss:
    regularization = model.regularization_losses()
    if regularization:
      losses[REGULARIZATION_LOSS] = tf.add_n(
          [tf.cast(r, tf.float32) for r in regularization])
  losses[TOTAL_LOSS] = tf.add_n(list(losses.values()))
  return losses


class TrainStep:
  """The training step as a callable on distributed batches.

  Args:
    model: a DetectionModel built (is_training=True) in strategy's scope.
    optimizer: a Keras optimizer built in strategy's scope.
    variables: the variables to train (train_settings.trainable_variables).
    train_config: a train_pb2.TrainConfig.
    global_step: int64 [] tf.Variable, incremented once per step.
    strategy: the tf.distribute strategy.
    learning_rate_fn: no-argument callable, the current learning rate.
    writer: optional tf.summary writer for the losses and learning rate.
  """

  def __init__(self, model, optimizer, variables: Sequence[tf.Variable],
               train_config, global_step: tf.Variable,
               strategy: tf.distribute.Strategy,
               learning_rate_fn: Callable[[], tf.Tensor],
               writer: Optional[tf.summary.SummaryWriter] = None):
    self._model = model
    self._learning_rate_fn = learning_rate_fn
    self._writer = writer
    self._optimizer = optimizer
    self._variables = list(variables)
    self._global_step = global_step
    self._strategy = strategy
    self._unpad = train_config.unpad_groundtruth_tensors
    self._add_regularization = train_config.add_regularization_loss
    self._clip_norm = train_config.gradient_clipping_by_norm
    self._bias_multiplier = train_config.bias_grad_multiplier
    self._bias_indices = set(train_settings.bias_variable_indices(
        self._variables))
    self._summarize_gradients = train_config.summarize_gradients
    self._function = tf.function(self._distributed_step)

  def _gradients(self, tape, loss) -> List[tf.Tensor]:
    gradients = tape.gradient(loss, self._variables)
    if self._bias_multiplier:
      gradients = [g * self._bias_multiplier
                   if i in self._bias_indices and g is not None else g
                   for i, g in enumerate(gradients)]
    if self._clip_norm > 0:
      gradients, _ = tf.clip_by_global_norm(gradients, self._clip_norm)
    return gradients

  def _replica_step(self, features, labels) -> Dict[str, tf.Tensor]:
    provide_groundtruth(self._model, labels, self._unpad,
                        training_step=self._global_step)
    with tf.GradientTape() as tape:
      losses = compute_losses(self._model, features, self._add_regularization)
      scaled = losses[TOTAL_LOSS] / float(
          self._strategy.num_replicas_in_sync)
    gradients = self._gradients(tape, scaled)
    if self._summarize_gradients:
      losses[GRADIENT_NORM] = tf.linalg.global_norm(
          [g for g in gradients if g is not None])
    self._optimizer.apply_gradients(zip(gradients, self._variables))
    self._global_step.assign_add(1)
    return losses

  def _distributed_step(self, features, labels) -> Dict[str, tf.Tensor]:
    learning_rate = tf.cast(self._learning_rate_fn(), tf.float32)
    per_replica = self._strategy.run(self._replica_step,
                                     args=(features, labels))
    outputs = {name: self._strategy.reduce(tf.distribute.ReduceOp.MEAN,
                                           value, axis=None)
               for name, value in per_replica.items()}
    outputs[LEARNING_RATE] = learning_rate
    if self._writer is not None:
      with self._writer.as_default(step=self._global_step):
        for name, value in outputs.items():
          tf.summary.scalar(name, value)
    return outputs

  def __call__(self, features, labels) -> Dict[str, tf.Tensor]:
    return self._function(features, labels)
