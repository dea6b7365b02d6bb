"""Evaluation metrics (COCO box and mask metrics through pycocotools)."""
