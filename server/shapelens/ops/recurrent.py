"""Recurrent layers: RNN, LSTM, GRU (batch_first, bidirectional, num_layers, proj_size, unbatched
2-D input, packed input), their cells, and the packing utilities of torch.nn.utils.rnn.

A PackedSequence is a TensorV whose shape is that of its `data` ((sum of lengths, *features)),
with meta {"packed": True, "batch": B, "lengths": (l1, ...) or None, "max_len": Dim or None}.
`.data` then reads like any tensor; the RNNs and pad_packed_sequence read the meta."""

from __future__ import annotations

from shapelens import findings as codes
from shapelens.dims import Dim, eq
from shapelens.ops.common import arg_const, arg_dim, broadcast_shapes, const_value, fmt, maybe_tensor, tensor
from shapelens.ops.registry import Layer, NotUnderstood, layer, op
from shapelens.values import NONE, UNKNOWN, Const, IntV, ListV, ModuleV, TensorV, TupleV, Value, as_float, as_int, as_seq


def is_packed(x: Value | None) -> bool:
    return isinstance(x, TensorV) and bool(x.meta and x.meta.get("packed"))


def _absent(v: Value | None) -> bool:
    return v is None or v is NONE or (isinstance(v, Const) and v.value is None)


def _shape_is(ctx, got, want, msg) -> None:
    if len(got) != len(want):
        ctx.fail(codes.RNN_INPUT, msg())
    for a, b in zip(got, want):
        ctx.require_eq(a, b, codes.RNN_INPUT, msg)


def _weight_dtype(ctx, m: ModuleV, x: TensorV) -> None:
    # The layer's weights are float32 unless built with a dtype.
    if _absent(m.args.get("dtype")) and x.dtype is not None and x.dtype != "float32":
        ctx.fail(codes.DTYPE, f"{m.label()}: input dtype ({x.dtype}) does not match weight dtype (float32): convert"
                              f" {ctx.arg_text(0)} with .float() or the model with .to(dtype)")


def _check_rnn_ctor(ctx, hidden_size, num_layers, dropout) -> None:
    h, n, p = as_int(hidden_size), as_int(num_layers), as_float(dropout)
    if h is not None and h <= 0:
        ctx.fail(codes.INVALID_ARG, f"hidden_size must be greater than zero, got {h}")
    if n is not None and n <= 0:
        ctx.fail(codes.INVALID_ARG, f"num_layers must be greater than zero, got {n}")
    if p is not None and not 0 <= p <= 1:
        ctx.fail(codes.INVALID_ARG, f"dropout should be a number in range [0, 1] representing the probability of an"
                                    f" element being zeroed, got {p}")


class _RNNBase(Layer):
    gates = 1
    is_lstm = False

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
        _weight_dtype(ctx, m, x)
        if x.shape is None:
            return self.result(TensorV(None, x.dtype), TensorV(None, x.dtype), TensorV(None, x.dtype))
        packed = is_packed(x)
        r = len(x.shape)
        i = arg_dim(m, "input_size")
        if packed and r == 1 and i is not None and eq(i, 1) is False:
            # Feature-less packed data runs as one feature per step.
            ctx.fail(codes.RNN_INPUT, f"{m.label()} expects input_size {i} but the packed sequence has no feature"
                                      f" dimension (data {fmt(x.shape)}): pack a (T, B, features) input")
        if packed and r != 2:
            raise NotUnderstood("packed data without exactly one feature dim")
        if not packed and r not in (2, 3):
            ctx.fail(codes.RANK, f"{m.label()} ({m.short}): Expected input to be 2D or 3D, got {r}D instead: shape {fmt(x.shape)}")
        feat = x.shape[-1]
        if i is not None:
            ctx.require_eq(feat, i, codes.RNN_INPUT, lambda: (
                f"{m.label()} expects input_size {i} but {ctx.arg_text(0)} has {feat} features: shape {fmt(x.shape)}"
                f" (input.size(-1) must be equal to input_size. Expected {i}, got {feat})"))
        batch_first = bool(arg_const(m, "batch_first", False))
        H_ = H if H is not None else ctx.unknown_dim("hidden_size")
        h_out_ = h_out if h_out is not None else ctx.unknown_dim("hidden_size")
        layers = (D * L) if L is not None else ctx.unknown_dim("num_layers")
        if packed:
            B = x.meta["batch"]
            out = TensorV((x.shape[0], D * h_out_), x.dtype, meta=dict(x.meta))
            hshape: tuple[Dim, ...] = (layers, B, h_out_)
            cshape: tuple[Dim, ...] = (layers, B, H_)
        elif r == 2:
            T = x.shape[0]
            out = TensorV((T, D * h_out_), x.dtype, meta={"rnn_sequence": True})
            hshape = (layers, h_out_)
            cshape = (layers, H_)
        else:
            B, T = (x.shape[0], x.shape[1]) if batch_first else (x.shape[1], x.shape[0])
            out = TensorV((B, T, D * h_out_) if batch_first else (T, B, D * h_out_), x.dtype,
                          meta={"rnn_sequence": True, "batch_first": batch_first})  # batch_first: for SL201's fix
            hshape = (layers, B, h_out_)
            cshape = (layers, B, H_)
        # Unsorted packs pick hx's batch entries by index: a larger batch there goes unnoticed.
        # torch 2.13's LSTM does not check hx's batch for sorted packs at all (h and c keep it).
        loose = "" if not packed else ("at_least" if x.meta.get("unsorted") else ("any" if self.is_lstm else ""))
        self.check_hidden(ctx, m, hx, hshape, cshape, packed or r == 3, loose)
        if loose == "any" and not _absent(hx):
            items = as_seq(hx) or []
            ts = [maybe_tensor(v) for v in items]
            if len(ts) == 2 and all(t is not None and t.shape is not None and len(t.shape) == 3 for t in ts):
                hshape = (hshape[0], ts[0].shape[1], hshape[2])
                cshape = (cshape[0], ts[1].shape[1], cshape[2])
        return self.result(out, TensorV(hshape, x.dtype), TensorV(cshape, x.dtype))

    def check_hidden(self, ctx, m, hx: Value, hshape, cshape, batched: bool, loose_batch: str = ""):
        if _absent(hx):
            return
        kind = "batched 3-D" if batched else "unbatched 2-D"
        want_rank = 3 if batched else 2
        if self.is_lstm:
            items = as_seq(hx)
            if items is None or len(items) != 2:
                raise NotUnderstood("LSTM hx is not a known (h_0, c_0) pair")
            pairs = [(items[0], hshape, "hidden[0]"), (items[1], cshape, "hidden[1]")]
            ts = [maybe_tensor(v) for v in items]
            if all(t is not None and t.shape is not None for t in ts) and any(len(t.shape) != want_rank for t in ts):
                ctx.fail(codes.RNN_INPUT, f"{m.label()}: For {kind} input, hx and cx should also be {want_rank}-D but got"
                                          f" ({len(ts[0].shape)}-D, {len(ts[1].shape)}-D) tensors")
        else:
            pairs = [(hx, hshape, "hidden")]
            t = maybe_tensor(hx)
            if t is not None and t.shape is not None and len(t.shape) != want_rank:
                ctx.fail(codes.RNN_INPUT, f"{m.label()}: For {kind} input, hx should also be {want_rank}-D but got"
                                          f" {len(t.shape)}-D tensor {fmt(t.shape)}")
        for v, want, what in pairs:
            if isinstance(v, TensorV) and v.shape is not None:
                msg = lambda v=v, want=want, what=what: f"{m.label()}: Expected {what} size {fmt(want)}, got {fmt(v.shape)}"
                if loose_batch and len(v.shape) == 3:
                    if (loose_batch == "at_least" and v.shape[1].value is not None and want[1].value is not None
                            and v.shape[1].value < want[1].value):
                        ctx.fail(codes.RNN_INPUT, msg())
                    _shape_is(ctx, (v.shape[0], v.shape[2]), (want[0], want[2]), msg)
                else:
                    _shape_is(ctx, v.shape, want, msg)

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
              dropout=0.0, bidirectional=False, device=None, dtype=None, proj_size=None):
        nl = const_value(nonlinearity, "tanh") if nonlinearity is not None else "tanh"
        if isinstance(nl, str) and nl not in ("tanh", "relu"):
            ctx.fail(codes.INVALID_ARG, f"Unknown nonlinearity '{nl}'. Select from 'tanh' or 'relu'.")
        _no_proj(ctx, proj_size)
        _check_rnn_ctor(ctx, hidden_size, num_layers, dropout)


def _no_proj(ctx, proj_size) -> None:
    # torch rejects the keyword itself, whatever its value.
    if proj_size is not None:
        ctx.fail(codes.INVALID_ARG, "proj_size argument is only supported for LSTM, not RNN or GRU")


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
            ctx.fail(codes.INVALID_ARG, f"proj_size has to be smaller than hidden_size (proj_size={p}, hidden_size={h})")
        _check_rnn_ctor(ctx, hidden_size, num_layers, dropout)


@layer("torch.nn.GRU")
class GRU(_RNNBase):
    gates = 3

    def build(self, ctx, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
              bidirectional=False, device=None, dtype=None, proj_size=None):
        _no_proj(ctx, proj_size)
        _check_rnn_ctor(ctx, hidden_size, num_layers, dropout)


# ---------------------------------------------------------------------------------------------
# Cells: one step, (N, input_size) or unbatched (input_size,)
# ---------------------------------------------------------------------------------------------


class _CellBase(Layer):
    gates = 1
    is_lstm = False

    def build(self, ctx, input_size, hidden_size, bias=True, device=None, dtype=None):
        return None

    def forward(self, ctx, m: ModuleV, input, hx=None):
        x = tensor(input)
        H = arg_dim(m, "hidden_size")
        H_ = H if H is not None else ctx.unknown_dim("hidden_size")
        _weight_dtype(ctx, m, x)
        if x.shape is None:
            out = TensorV(None, x.dtype)
            return TupleV((out, TensorV(None, x.dtype))) if self.is_lstm else out
        r = len(x.shape)
        if r not in (1, 2):
            ctx.fail(codes.RANK, f"{m.label()}: {m.short}: Expected input to be 1D or 2D, got {r}D instead: shape"
                                 f" {fmt(x.shape)}")
        i = arg_dim(m, "input_size")
        if i is not None:
            ctx.require_eq(x.shape[-1], i, codes.RNN_INPUT, lambda: (
                f"{m.label()}: input has inconsistent input_size: got {x.shape[-1]} expected {i}"
                f" ({ctx.arg_text(0)} has shape {fmt(x.shape)})"))
        want = (x.shape[0], H_) if r == 2 else (H_,)
        if not _absent(hx):
            if self.is_lstm:
                items = as_seq(hx)
                if items is None or len(items) != 2:
                    raise NotUnderstood("LSTMCell hx is not a known (h_0, c_0) pair")
            else:
                items = [hx]
            for k, v in enumerate(items):
                t = maybe_tensor(v)
                if t is not None and t.shape is not None:
                    _shape_is(ctx, t.shape, want, lambda t=t, k=k: (
                        f"{m.label()}: hidden{k} has shape {fmt(t.shape)} but the input {fmt(x.shape)} needs"
                        f" {fmt(want)} (batch, hidden_size)"))
        out = TensorV(want, x.dtype)
        return TupleV((out, TensorV(want, x.dtype))) if self.is_lstm else out

    def params(self, m: ModuleV):
        i, H = arg_dim(m, "input_size"), arg_dim(m, "hidden_size")
        if i is None or H is None:
            return None
        G = self.gates
        out: dict[str, tuple] = {"weight_ih": (G * H, i), "weight_hh": (G * H, H)}
        if arg_const(m, "bias", True):
            out["bias_ih"] = (G * H,)
            out["bias_hh"] = (G * H,)
        return out

    def describe(self, m: ModuleV) -> str:
        return f"{m.short}({arg_dim(m, 'input_size')} → {arg_dim(m, 'hidden_size')})"

    def input_template(self, m: ModuleV):
        i = arg_dim(m, "input_size")
        return ["B", i if i is not None else "F"]


@layer("torch.nn.RNNCell")
class RNNCell(_CellBase):
    def build(self, ctx, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        nl = const_value(nonlinearity, "tanh") if nonlinearity is not None else "tanh"
        if isinstance(nl, str) and nl not in ("tanh", "relu"):
            ctx.fail(codes.INVALID_ARG, f"Unknown nonlinearity: {nl}")


@layer("torch.nn.LSTMCell")
class LSTMCell(_CellBase):
    gates = 4
    is_lstm = True


@layer("torch.nn.GRUCell")
class GRUCell(_CellBase):
    gates = 3


# ---------------------------------------------------------------------------------------------
# torch.nn.utils.rnn: padding and packing
# ---------------------------------------------------------------------------------------------


def _max_dim(ds: list[Dim]) -> Dim | None:
    if all(d.value is not None for d in ds):
        return Dim.const(max(d.value for d in ds))
    if all(eq(d, ds[0]) is True for d in ds):
        return ds[0]
    return None


@op("torch.nn.utils.rnn.pad_sequence")
def pad_sequence(ctx, sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    side = const_value(padding_side, "right") if padding_side is not None else "right"
    if isinstance(side, str) and side not in ("left", "right"):
        ctx.fail(codes.INVALID_ARG, f"pad_sequence: Expected padding_side to be one of left or right, but got {side}.")
    items = as_seq(sequences)
    if items is None:
        raise NotUnderstood("sequences is not a known list of tensors")
    if not items:
        ctx.fail(codes.ARGUMENTS, "pad_sequence received an empty list of sequences")
    ts = [tensor(v, "sequence") for v in items]
    if any(t.shape is None for t in ts):
        return TensorV(None, ts[0].dtype)
    if any(len(t.shape) == 0 for t in ts):
        ctx.fail(codes.RANK, "pad_sequence: every sequence needs a length dimension, got a 0-d tensor")
    trailing = tuple(ts[0].shape[1:])
    for k, t in enumerate(ts[1:], 1):
        # Each sequence is copied into a (length, *trailing) slot: it must broadcast into it.
        slot = (t.shape[0],) + trailing
        b = broadcast_shapes(ctx, slot, t.shape, f"sequence {k} {fmt(t.shape)} and the slot {fmt(slot)} of sequence 0's"
                                                 f" trailing dims")
        msg = lambda t=t, slot=slot, k=k: f"pad_sequence: sequence {k} {fmt(t.shape)} does not fit the slot {fmt(slot)}"
        if len(b) != len(slot):
            ctx.fail(codes.BROADCAST, msg())
        for x, y in zip(b, slot):
            ctx.require_eq(x, y, codes.BROADCAST, msg)
    T = _max_dim([t.shape[0] for t in ts])
    T_ = T if T is not None else ctx.unknown_dim("longest sequence")
    B = Dim.const(len(ts))
    bf = bool(const_value(batch_first, False))
    return TensorV(((B, T_) if bf else (T_, B)) + trailing, ts[0].dtype)


def _lengths(v: Value | None) -> tuple[Dim | None, list[int] | None]:
    """(how many lengths, their values when known)."""
    seq = as_seq(v)
    if seq is not None:
        vals = [as_int(i) for i in seq]
        return Dim.const(len(seq)), (None if any(x is None for x in vals) else vals)  # type: ignore[misc]
    t = maybe_tensor(v)
    if t is not None and t.shape is not None:
        if len(t.shape) != 1:
            return None, None
        return t.shape[0], None
    return None, None


def pack(ctx, x: TensorV, lengths: Value | None, batch_first: bool, enforce_sorted: bool, label: str) -> TensorV:
    if x.shape is None:
        return TensorV(None, x.dtype, meta={"packed": True, "batch": ctx.unknown_dim("batch"), "lengths": None,
                                            "max_len": None})
    if len(x.shape) < 2:
        ctx.fail(codes.RANK, f"{label}: input {fmt(x.shape)} needs a time and a batch dimension")
    T, B = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    n, vals = _lengths(lengths)
    if n is None:
        t = maybe_tensor(lengths)
        if t is not None and t.shape is not None:
            ctx.fail(codes.RANK, f"{label}: 'lengths' argument should be a 1D tensor, got shape {fmt(t.shape)}")
        raise NotUnderstood("lengths is not a known list or tensor")
    msg = lambda: (f"{label}: Expected `len(lengths)` to be equal to batch_size, but got {n} (batch_size={B}) for"
                   f" input {fmt(x.shape)}{' (batch_first)' if batch_first else ''}")
    if not enforce_sorted and n.value is not None and B.value is not None:
        # Unsorted lengths re-index the batch by their sort order: fewer lengths than sequences
        # pick a subset, more run out of range.
        if n.value > B.value:
            ctx.fail(codes.RNN_INPUT, msg())
        B = n
    ctx.require_eq(n, B, codes.RNN_INPUT, msg)
    S: Dim | None = None
    max_len: Dim | None = None
    if vals is not None:
        if any(v <= 0 for v in vals):
            ctx.fail(codes.INVALID_ARG, f"{label}: Length of all samples has to be greater than 0, but lengths are {vals}")
        if enforce_sorted and any(a < b for a, b in zip(vals, vals[1:])):
            ctx.fail(codes.INVALID_ARG, f"{label}: `lengths` array must be sorted in decreasing order when"
                                        f" `enforce_sorted` is True (got {vals}); pass enforce_sorted=False")
        if vals and T.value is not None and max(vals) <= T.value:
            S, max_len = Dim.const(sum(vals)), Dim.const(max(vals))
    data = (S if S is not None else ctx.unknown_dim("total length of the packed sequences"),) + tuple(x.shape[2:])
    return TensorV(data, x.dtype, meta={"packed": True, "batch": B, "lengths": vals, "max_len": max_len,
                                        "unsorted": not enforce_sorted})


@op("torch.nn.utils.rnn.pack_padded_sequence")
def pack_padded_sequence(ctx, input, lengths, batch_first=False, enforce_sorted=True):
    return pack(ctx, tensor(input), lengths, bool(const_value(batch_first, False)),
                bool(const_value(enforce_sorted, True)), "pack_padded_sequence")


@op("torch.nn.utils.rnn.pack_sequence")
def pack_sequence(ctx, sequences, enforce_sorted=True):
    padded = pad_sequence(ctx, sequences)
    items = as_seq(sequences) or []
    lens = ListV([_len_value(i) for i in items])
    return pack(ctx, padded, lens, False, bool(const_value(enforce_sorted, True)), "pack_sequence")


def _len_value(v: Value) -> Value:
    t = maybe_tensor(v)
    if t is None or t.shape is None or not t.shape:
        return UNKNOWN
    return IntV(t.shape[0])


@op("torch.nn.utils.rnn.pad_packed_sequence")
def pad_packed_sequence(ctx, sequence, batch_first=False, padding_value=0.0, total_length=None):
    x = tensor(sequence, "sequence")
    if not is_packed(x):
        raise NotUnderstood("sequence is not a known PackedSequence")
    B, max_len = x.meta["batch"], x.meta.get("max_len")
    tl = as_int(total_length)
    if tl is not None and max_len is not None and max_len.value is not None and tl < max_len.value:
        ctx.fail(codes.INVALID_ARG, f"pad_packed_sequence: Expected total_length to be at least the length of the longest"
                                    f" sequence in input, but got total_length={tl} and max sequence length being {max_len}")
    if tl is not None:
        T: Dim = Dim.const(tl)
    elif max_len is not None:
        T = max_len
    else:
        T = ctx.unknown_dim("longest packed sequence")
    feat = tuple(x.shape[1:]) if x.shape is not None else None
    bf = bool(const_value(batch_first, False))
    padded = TensorV(None if feat is None else ((B, T) if bf else (T, B)) + feat, x.dtype)
    return TupleV((padded, TensorV((B,), "int64")))
