"""Images and the model: validate and decode uploads, training's eval transform, the TFLite classifier.

No Firebase and no Flask: training imports ml.preprocess verbatim, and the CLI runs the model offline.
"""
