"""The idioms torchvision's model files are made of, in small models of our own: builders with
weights enums and **kwargs, Sequential subclasses built with super().__init__(*layers), dataclass
configs with subclass __init__ and copy.copy, isinstance on abstract collections, f-string layer
names, parameters read as attributes, stochastic depth, permute/pad/roll, class tokens."""

from tests.analysis.tracing import check_model


def test_builder_with_weights_enum_kwargs_and_sequential_subclass(tmp_path):
    check_model(tmp_path, '''
import copy
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Any, Callable, Optional, cast
import torch
from torch import nn, Tensor

def _log_api_usage_once(obj: Any) -> None:
    name = obj.__class__.__name__

def _ovewrite_named_param(kwargs: dict, param: str, new_value) -> None:
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value

class Weights(Enum):
    DEFAULT = {"categories": ["a", "b", "c"]}

    @classmethod
    def verify(cls, obj):
        if obj is not None and isinstance(obj, str):
            obj = cls[obj.replace(cls.__name__ + ".", "")]
        return obj

class ConvNormAct(nn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1, padding=None, norm_layer=nn.BatchNorm2d,
                 activation_layer=nn.ReLU, inplace=True):
        if padding is None:
            padding = (kernel_size - 1) // 2
        layers = [nn.Conv2d(cin, cout, kernel_size, stride, padding, bias=norm_layer is None)]
        if norm_layer is not None:
            layers.append(norm_layer(cout))
        if activation_layer is not None:
            params = {} if inplace is None else {"inplace": inplace}
            layers.append(activation_layer(**params))
        super().__init__(*layers)
        _log_api_usage_once(self)
        self.out_channels = cout

@dataclass
class _Cfg:
    expand: float
    cin: int
    cout: int
    layers: int
    block: Callable[..., nn.Module]

    @staticmethod
    def adjust(c: int, mult: float) -> int:
        return int(c * mult)

class Cfg(_Cfg):
    def __init__(self, expand, cin, cout, layers, width_mult=1.0, block=None):
        cin = self.adjust(cin, width_mult)
        cout = self.adjust(cout, width_mult)
        if block is None:
            block = Block
        super().__init__(expand, cin, cout, layers, block)

class Block(nn.Module):
    def __init__(self, cfg: Cfg, norm_layer):
        super().__init__()
        hidden = cfg.adjust(cfg.cin, cfg.expand)
        self.use_res = cfg.cin == cfg.cout
        self.block = nn.Sequential(ConvNormAct(cfg.cin, hidden, 1, norm_layer=norm_layer),
                                   ConvNormAct(hidden, cfg.cout, 3, norm_layer=norm_layer, activation_layer=None))

    def forward(self, input: Tensor) -> Tensor:
        result = self.block(input)
        if self.use_res:
            result += input
        return result

class Net(nn.Module):
    def __init__(self, setting: Sequence[Cfg], num_classes: int = 1000, norm_layer: Optional[Callable[..., nn.Module]] = None, **kwargs: Any):
        super().__init__()
        _log_api_usage_once(self)
        if not setting:
            raise ValueError("empty")
        elif not (isinstance(setting, Sequence) and all([isinstance(s, _Cfg) for s in setting])):
            raise TypeError("bad setting")
        if norm_layer is None:
            norm_layer = partial(nn.BatchNorm2d, eps=1e-3)
        stages = OrderedDict()
        stages["stem"] = ConvNormAct(3, setting[0].cin, stride=2, norm_layer=norm_layer)
        for i, cnf in enumerate(setting):
            blocks = []
            for j in range(cnf.layers):
                c = copy.copy(cnf)
                if blocks:
                    c.cin = c.cout
                blocks.append(c.block(c, norm_layer))
            stages[f"stage{i + 1}"] = nn.Sequential(*blocks)
        self.features = nn.Sequential(stages)
        last = cast(int, setting[-1].cout)
        self.classifier = nn.Linear(last, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        x = torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.classifier(x)

def _net(setting, weights: Optional[Weights], progress: bool, **kwargs: Any) -> Net:
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.value["categories"]))
    model = Net(setting, **kwargs)
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress))
    return model

def net_small(*, weights: Optional[Weights] = None, progress: bool = True, **kwargs: Any) -> Net:
    weights = Weights.verify(weights)
    cfg = partial(Cfg, width_mult=0.5)
    setting = [cfg(2, 16, 16, 2), cfg(3, 16, 24, 1)]
    return _net(setting, weights, progress, **kwargs)

out = net_small(num_classes=7).eval()(torch.randn(2, 3, 16, 16))
''')


def test_parameters_as_attributes_and_functional_linear(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.proj = nn.Linear(8, 8, bias=False)
        self.norm = nn.LayerNorm(8)

    def forward(self, x):
        qkv = F.linear(x, self.qkv.weight, self.qkv.bias)
        w = self.proj.weight
        b = self.norm.bias
        if self.proj.bias is None:
            y = F.linear(qkv[..., :8], w)
        else:
            y = qkv
        return y + b

out = Net()(torch.randn(2, 5, 8))
''')


def test_stochastic_depth_permute_pad_roll_and_class_token(tmp_path):
    check_model(tmp_path, '''
import torch
import torch.nn as nn
import torch.nn.functional as F

def stochastic_depth(input, p: float, mode: str, training: bool = True):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    survival_rate = 1.0 - p
    size = [input.shape[0]] + [1] * (input.ndim - 1)
    noise = torch.empty(size, dtype=input.dtype, device=input.device)
    noise = noise.bernoulli_(survival_rate)
    return input * noise

class Net(nn.Module):
    def __init__(self, dim=8, patch=4):
        super().__init__()
        self.embed = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 3)
        self.p = 0.1

    def forward(self, x):
        x = self.embed(x)
        x = x.permute(0, 2, 3, 1)
        B, H, W, C = x.shape
        x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))
        x = torch.roll(x, shifts=(-1, -1), dims=(1, 2))
        x = self.norm(x)
        x = stochastic_depth(x, self.p, "row", self.training)
        n = x.shape[0]
        x = x.reshape(n, -1, C)
        batch_class_token = self.class_token.expand(n, -1, -1)
        x = torch.cat([batch_class_token, x], dim=1)
        x = x[:, 0]
        return self.head(x)

out = Net().eval()(torch.randn(2, 3, 12, 20))
''')


def test_intermediate_layer_getter_with_del_and_eval_mode(tmp_path):
    # torchvision's IntermediateLayerGetter: children copied until the wanted ones are all seen
    # (`del return_layers[name]`), a ModuleDict subclass iterating self.items() in forward.
    # Batch 1 through BatchNorm after global pooling is fine in eval mode (torch raises in training).
    check_model(tmp_path, '''
from collections import OrderedDict
import torch
import torch.nn as nn

class Getter(nn.ModuleDict):
    def __init__(self, model, return_layers):
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            if name in return_layers:
                del return_layers[name]
            if not return_layers:
                break
        super().__init__(layers)
        self.return_layers = orig

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out

class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, stride=2)
        self.layer1 = nn.Conv2d(8, 16, 3, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(99, 3)  # never reached by the getter

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.bn = nn.BatchNorm2d(16)

    def forward(self, x):
        if self.training:
            return x
        y = self.bn(self.pool(x))
        return y

getter = Getter(Backbone(), {"stem": "s", "layer1": "feat"})
feats = getter(torch.randn(1, 3, 17, 17))
feat = feats["feat"]
head = Head().eval()
out = head(feat)
still = getattr(getter, "fc", None)
''')


def test_layer_subclasses_reading_their_own_settings(tmp_path):
    # Weight-standardised conv (F.conv2d with the layer's own weight and settings) and a
    # TF-style 'same' conv (stride read as a tuple, padding computed, then _conv_forward).
    check_model(tmp_path, '''import torch
import torch.nn as nn
import torch.nn.functional as F


class WSConv2d(nn.Conv2d):
    def __init__(self, *args, eps=1e-5, **kwargs):
        super().__init__(*args, **kwargs)
        self.eps = eps

    def forward(self, x):
        w = self.weight
        w = (w - w.mean(dim=(1, 2, 3), keepdim=True)) / (w.std(dim=(1, 2, 3), keepdim=True) + self.eps)
        return F.conv2d(x, w, self.bias, self.stride, self.padding, self.dilation, self.groups)


class SameConv(nn.Conv2d):
    def forward(self, x):
        ih, iw = x.size()[-2:]
        kh, kw = self.weight.size()[-2:]
        pad_h = max((-(-ih // self.stride[0]) - 1) * self.stride[0] + (kh - 1) + 1 - ih, 0)
        pad_w = max((-(-iw // self.stride[1]) - 1) * self.stride[1] + (kw - 1) + 1 - iw, 0)
        x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return self._conv_forward(x, self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = WSConv2d(3, 8, 3, padding=1, bias=False)
        self.b = SameConv(8, 4, 3, stride=2)
        self.ln = nn.GroupNorm(2, 4)

    def forward(self, x):
        y = self.a(x)
        z = self.b(y)
        return self.ln(z)


out = Net()(torch.randn(2, 3, 15, 15))
''')
