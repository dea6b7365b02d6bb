"""The parts of the training and evaluation loops of `model_lib_v2`.

`train_settings` (what of train_config the loop honours), `distribution`
(tf.distribute strategies and which worker writes), `checkpoints`
(resume, fine-tune restore, best checkpoint), `progress` (the console line)
and `summaries` (TensorBoard).
"""
