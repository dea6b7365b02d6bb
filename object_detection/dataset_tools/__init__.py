"""Dataset tools: converting annotations to TFRecords and inspecting them."""
