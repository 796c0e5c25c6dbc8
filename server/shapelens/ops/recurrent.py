"""Recurrent layers: RNN, LSTM, GRU (batch_first, bidirectional, num_layers, proj_size), with
their outputs and hidden states."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim
from shapelens.ops.common import arg_const, arg_dim, fmt, tensor
from shapelens.ops.registry import Layer, layer
from shapelens.values import NONE, Const, ModuleV, TensorV, TupleV, Value, as_int


class _RNNBase(Layer):
    gates = 1
    is_lstm = False

    def build(self, ctx, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
              bidirectional=False, device=None, dtype=None, **kw):
        h, n = as_int(hidden_size), as_int(num_layers)
        if h is not None and h <= 0:
            ctx.fail(codes.INVALID_ARG, "hidden_size must be greater than zero")
        if n is not None and n <= 0:
            ctx.fail(codes.INVALID_ARG, "num_layers must be greater than zero")
        return None

    def dims(self, m: ModuleV):
        D = 2 if arg_const(m, "bidirectional", False) else 1
        L = arg_dim(m, "num_layers")
        H = arg_dim(m, "hidden_size")
        P = arg_dim(m, "proj_size") if self.is_lstm else None
        h_out = P if P is not None and P.value not in (0, None) else H
        return D, L, H, h_out

    def forward(self, ctx, m: ModuleV, input, hx=None):
        x = tensor(input)
        D, L, H, h_out = self.dims(m)
        if x.shape is None:
            return self.result(TensorV(None, x.dtype), TensorV(None, x.dtype), TensorV(None, x.dtype))
        r = len(x.shape)
        if r not in (2, 3):
            ctx.fail(codes.RANK, f"{m.label()} ({m.short}): Expected input to be 2D or 3D, got {r}D instead: shape {fmt(x.shape)}")
        i = arg_dim(m, "input_size")
        feat = x.shape[-1]
        if i is not None:
            ctx.require_eq(feat, i, codes.RNN_INPUT, lambda: (
                f"{m.label()} expects input_size {i} but {ctx.arg_text(0)} has {feat} features: shape {fmt(x.shape)}"
                f" (input.size(-1) must be equal to input_size. Expected {i}, got {feat})"))
        batch_first = bool(arg_const(m, "batch_first", False))
        unknown = lambda why: ctx.unknown_dim(why)
        H_ = H if H is not None else unknown("hidden_size")
        h_out_ = h_out if h_out is not None else unknown("hidden_size")
        layers = (D * L) if L is not None else unknown("num_layers")
        if r == 2:
            T = x.shape[0]
            out = TensorV((T, D * h_out_), x.dtype)
            hshape: tuple[Dim, ...] = (layers, h_out_)
            cshape: tuple[Dim, ...] = (layers, H_)
        else:
            B, T = (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])
            out = TensorV((B, T, D * h_out_) if batch_first else (T, B, D * h_out_), x.dtype)
            hshape = (layers, B, h_out_)
            cshape = (layers, B, H_)
        out.meta = {"rnn_sequence": True, "batch_first": batch_first or r == 2}
        self.check_hidden(ctx, m, hx, hshape, cshape)
        return self.result(out, TensorV(hshape, x.dtype), TensorV(cshape, x.dtype))

    def check_hidden(self, ctx, m, hx: Value, hshape, cshape):
        if hx is None or hx is NONE or (isinstance(hx, Const) and hx.value is None):
            return
        pairs = []
        if self.is_lstm:
            if isinstance(hx, TupleV) and len(hx.items) == 2:
                pairs = [(hx.items[0], hshape), (hx.items[1], cshape)]
        else:
            pairs = [(hx, hshape)]
        for v, want in pairs:
            if isinstance(v, TensorV) and v.shape is not None:
                msg = lambda v=v, want=want: f"{m.label()}: Expected hidden size {fmt(want)}, got {fmt(v.shape)}"
                if len(v.shape) != len(want):
                    ctx.fail(codes.RNN_INPUT, msg())
                for a, b in zip(v.shape, want):
                    ctx.require_eq(a, b, codes.RNN_INPUT, msg)

    def result(self, out: TensorV, h: TensorV, c: TensorV) -> Value:
        if self.is_lstm:
            return TupleV((out, TupleV((h, c))))
        return TupleV((out, h))

    def params(self, m: ModuleV):
        D, L, H, h_out = self.dims(m)
        i = arg_dim(m, "input_size")
        if i is None or L is None or H is None or L.value is None or h_out is None:
            return None
        G = self.gates
        proj = h_out.value != H.value
        bias = arg_const(m, "bias", True)
        out: dict[str, tuple] = {}
        for layer_i in range(L.value):
            in_l = i if layer_i == 0 else D * h_out
            for suffix in ["", "_reverse"][:D]:
                out[f"weight_ih_l{layer_i}{suffix}"] = (G * H, in_l)
                out[f"weight_hh_l{layer_i}{suffix}"] = (G * H, h_out)
                if bias:
                    out[f"bias_ih_l{layer_i}{suffix}"] = (G * H,)
                    out[f"bias_hh_l{layer_i}{suffix}"] = (G * H,)
                if proj:
                    out[f"weight_hr_l{layer_i}{suffix}"] = (h_out, H)
        return out

    def describe(self, m: ModuleV) -> str:
        D, L, H, _ = self.dims(m)
        extra = ", bidirectional" if D == 2 else ""
        bf = ", batch_first" if arg_const(m, "batch_first", False) else ""
        return f"{m.short}({arg_dim(m, 'input_size')} → {H}, layers {L}{extra}{bf})"

    def input_template(self, m: ModuleV):
        i = arg_dim(m, "input_size")
        f = i if i is not None else "F"
        return ["B", "T", f] if arg_const(m, "batch_first", False) else ["T", "B", f]


@layer("torch.nn.RNN")
class RNN(_RNNBase):
    gates = 1

    def build(self, ctx, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
              dropout=0.0, bidirectional=False, device=None, dtype=None):
        return super().build(ctx, input_size, hidden_size, num_layers)


@layer("torch.nn.LSTM")
class LSTM(_RNNBase):
    gates = 4
    is_lstm = True

    def build(self, ctx, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
              bidirectional=False, proj_size=0, device=None, dtype=None):
        p, h = as_int(proj_size), as_int(hidden_size)
        if p is not None and p < 0:
            ctx.fail(codes.INVALID_ARG, "proj_size should be a positive integer or zero to disable projections")
        if p is not None and h is not None and p >= h and p:
            ctx.fail(codes.INVALID_ARG, "proj_size has to be smaller than hidden_size")
        return super().build(ctx, input_size, hidden_size, num_layers)


@layer("torch.nn.GRU")
class GRU(_RNNBase):
    gates = 3
