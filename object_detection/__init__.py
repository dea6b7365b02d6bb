"""TensorFlow 2 object detection toolkit configured by pipeline.config files."""
