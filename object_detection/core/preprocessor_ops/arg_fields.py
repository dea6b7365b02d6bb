"""Which tensor_dict fields `preprocessor.preprocess` passes to each op.

Every op module under `preprocessor_ops/` has a function
`func_arg_map(fields: ArgFields) -> Dict[Callable, Tuple[Optional[str], ...]]`
giving, for each of its ops, the tensor_dict keys of the op's positional
arguments in order (None where a field is not passed). An op returns one
output for each positional argument it received that was not None, in the
same order; `preprocess` writes them back under the same keys. This is the
TF OD API's `func_arg_map` convention.

Extension: ops that drop, duplicate or reorder boxes end their positional
arguments with `box_indices` (int32 [num_boxes]) and return it gathered
like the boxes. `preprocess` passes `BOX_INDICES` there and uses the
result to keep the per-box fields that no op knows about
(`groundtruth_is_crowd`, `groundtruth_area`, `groundtruth_difficult`,
`groundtruth_group_of`, ...) in step with the boxes. A func_arg_map
without it leaves those fields alone, as the TF OD API does.
"""

import dataclasses
from typing import Optional

from object_detection.core import standard_fields as fields

BOX_INDICES = "__preprocessor_box_indices"


@dataclasses.dataclass(frozen=True)
class ArgFields:
  """tensor_dict keys for the op arguments; None for a field left out."""
  image: str = fields.InputDataFields.image
  boxes: str = fields.InputDataFields.groundtruth_boxes
  classes: str = fields.InputDataFields.groundtruth_classes
  label_weights: Optional[str] = fields.InputDataFields.groundtruth_weights
  label_confidences: Optional[str] = None
  multiclass_scores: Optional[str] = None
  masks: Optional[str] = None
  mask_weights: Optional[str] = None
  keypoints: Optional[str] = None
  keypoint_visibilities: Optional[str] = None
  dp_num_points: Optional[str] = None
  dp_part_ids: Optional[str] = None
  dp_surface_coords: Optional[str] = None
  keypoint_depths: Optional[str] = None
  keypoint_depth_weights: Optional[str] = None
  box_indices: Optional[str] = BOX_INDICES
