"""What of `train_config` the training loop honours, checked at start-up.

`check_train_config` raises a ValueError naming the field for every setting
the loop cannot honour, before any model is built:

  * `use_bfloat16: true`: bfloat16 training is not implemented in this
    version (instead of a silent float32 run);
  * an explicit `fine_tune_checkpoint_version: V1` with a
    fine_tune_checkpoint: TF1 name-based checkpoints cannot be restored into
    the Keras model (unset, the checkpoint is read as V2);
  * `fine_tune_checkpoint_type` other than classification, detection, full;
  * `batch_size` not divisible by the number of replicas (the global batch
    is split evenly).

Accepted with no effect, because TF2 training through tf.distribute is
synchronous by construction: `sync_replicas`, `replicas_to_aggregate`,
`startup_delay_steps`; the deprecated queue settings (`batch_queue_capacity`,
`num_batch_queue_threads`, `prefetch_queue_capacity`, `max_number_of_boxes`);
`run_fine_tune_checkpoint_dummy_computation` (restoring works before the first
call). `load_all_detection_checkpoint_vars` (a TF1 name-based setting) is
logged as ignored when a fine_tune_checkpoint is set, as the TF OD API's TF2
loop ignores it.

`trainable_variables` applies `update_trainable_variables` and
`freeze_variables` (regular expressions, `re.match` on each variable's Keras
path such as `SecondStageFeatureExtractor/fc1/kernel`; the TF OD API
matches TF variable names, which Keras 3 no longer builds from scopes).
"""

import logging
import re
from typing import List, Sequence

import tensorflow as tf

_LOG = logging.getLogger(__name__)

FINE_TUNE_CHECKPOINT_TYPES = ("classification", "detection", "full")
_V1 = 1  # train_pb2.CheckpointVersion.V1 (the schema's default, which TF2
# era configs leave unset: only an explicit V1 is refused)


def _fail(field: str, message: str) -> ValueError:
  return ValueError("train_config.{}: {}".format(field, message))


def fine_tune_checkpoint_type(train_config) -> str:
  """The effective fine_tune_checkpoint_type ('' when none is needed).

  `from_detection_checkpoint: true` (deprecated) means 'detection' and
  false 'classification', as in the TF OD API, when the type is unset.
  """
  if train_config.fine_tune_checkpoint_type:
    return train_config.fine_tune_checkpoint_type
  if not train_config.fine_tune_checkpoint:
    return ""
  return ("detection" if train_config.from_detection_checkpoint
          else "classification")


def check_train_config(train_config, num_replicas: int = 1) -> None:
  """Raises ValueError for a train_config setting the loop cannot honour.

  Args:
    train_config: a train_pb2.TrainConfig.
    num_replicas: replicas in sync (the global batch is split over them).

  Raises:
    ValueError: the message starts with the field path, e.g.
      `train_config.use_bfloat16: ...`.
  """
  if train_config.use_bfloat16:
    raise _fail("use_bfloat16",
                "bfloat16 training is not implemented in this version; set "
                "it to false (float32)")
  if train_config.batch_size < 1:
    raise _fail("batch_size", "must be >= 1, got %d" % train_config.batch_size)
  if train_config.batch_size % num_replicas:
    raise _fail("batch_size",
                "%d cannot be split evenly over %d replicas; use a multiple "
                "of %d" % (train_config.batch_size, num_replicas,
                           num_replicas))
  if train_config.gradient_clipping_by_norm < 0:
    raise _fail("gradient_clipping_by_norm",
                "must be >= 0, got %g" % train_config.gradient_clipping_by_norm)
  if train_config.fine_tune_checkpoint:
    kind = fine_tune_checkpoint_type(train_config)
    if kind not in FINE_TUNE_CHECKPOINT_TYPES:
      raise _fail("fine_tune_checkpoint_type",
                  "%r is not supported; expected one of %s" % (
                      kind, ", ".join(repr(k) for k in
                                      FINE_TUNE_CHECKPOINT_TYPES)))
    if (train_config.HasField("fine_tune_checkpoint_version")
        and train_config.fine_tune_checkpoint_version == _V1):
      raise _fail("fine_tune_checkpoint_version",
                  "V1 (TF1 name-based) checkpoints cannot be restored into "
                  "the Keras model; use a TF2 checkpoint (V2)")
    if train_config.load_all_detection_checkpoint_vars:
      _LOG.warning("train_config.load_all_detection_checkpoint_vars has no "
                   "effect with TF2 checkpoints; fine_tune_checkpoint_type "
                   "%r decides what is restored", kind)


def _compiled(patterns: Sequence[str], field: str) -> List["re.Pattern"]:
  compiled = []
  for index, pattern in enumerate(patterns):
    try:
      compiled.append(re.compile(pattern))
    except re.error as error:
      raise _fail("%s[%d]" % (field, index),
                  "%r is not a valid regular expression: %s" % (pattern,
                                                                error)) from None
  return compiled


def _unmatched(patterns, compiled, names: Sequence[str], field: str) -> None:
  for index, (pattern, regex) in enumerate(zip(patterns, compiled)):
    if not any(regex.match(name) for name in names):
      raise _fail("%s[%d]" % (field, index),
                  "%r matches no trainable variable; variables look like %s"
                  % (pattern, ", ".join(repr(n) for n in names[:3])))


def trainable_variables(train_config, variables: Sequence[tf.Variable]
                        ) -> List[tf.Variable]:
  """The variables to train after update_trainable_variables / freeze_variables.

  Args:
    train_config: a train_pb2.TrainConfig.
    variables: the model's trainable variables (Keras variables with `path`).

  Returns:
    The variables kept, in their original order.

  Raises:
    ValueError: a pattern that is not a regular expression or matches no
      variable, or no variable left to train; the field is named.
  """
  names = [variable_path(v) for v in variables]
  include = _compiled(train_config.update_trainable_variables,
                      "update_trainable_variables")
  exclude = _compiled(train_config.freeze_variables, "freeze_variables")
  _unmatched(train_config.update_trainable_variables, include, names,
             "update_trainable_variables")
  _unmatched(train_config.freeze_variables, exclude, names, "freeze_variables")
  kept = []
  for variable, name in zip(variables, names):
    if include and not any(r.match(name) for r in include):
      continue
    if any(r.match(name) for r in exclude):
      continue
    kept.append(variable)
  if not kept:
    raise _fail("freeze_variables", "no trainable variable is left")
  return kept


def variable_path(variable) -> str:
  """A variable's Keras path (its TF name for a plain tf.Variable)."""
  return getattr(variable, "path", None) or variable.name


def bias_variable_indices(variables: Sequence[tf.Variable]) -> List[int]:
  """Indices of bias variables (Keras path ending in 'bias')."""
  return [i for i, v in enumerate(variables)
          if variable_path(v).split(":")[0].endswith("bias")]
