"""Running exported models: image sources, the detector, drawing."""
