r"""Converts COCO-format datasets to sharded TFRecords and a label map.

    python scripts/create_coco_tf_record.py \
        --train_image_dir=coco/train2017 \
        --train_annotations_file=coco/annotations/instances_train2017.json \
        --include_masks --output_dir=coco/records

The same program as `od-create-coco-tf-record` and
`python -m object_detection.dataset_tools.create_coco_tf_record` (see that
module for the flags).
"""

from object_detection.dataset_tools import create_coco_tf_record

if __name__ == "__main__":
  create_coco_tf_record.run()
