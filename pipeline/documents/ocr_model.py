"""PP-OCR's detector and recogniser with their element-wise layers folded away.

The PP-OCRv4 models in rapidocr's wheel are PaddlePaddle exports of PP-LCNetV3: after
each convolution a learnable affine block (Mul, Add by two scalars), then hard-swish
spelled as four operators (Add 3, Clip 0..6, Mul, Div 6), then another affine block.
ONNX Runtime fuses none of them, so a quarter to a third of a recognition was passes
over memory that change nothing but scale (measured with its profiler on a page's cell
crops: Conv 48 %, Mul 15 %, Add 11 %, Clip 5 %, Div 5 %, layout reorders 11 %).

The same function, fewer passes:
- an affine block right after a convolution goes into its weights and bias
  (W·s, B·s + b);
- an affine block right before an unpadded 1×1 convolution too (W·s, B + b·ΣW; a padded
  one would pad with b, not 0, so those stay);
- hard-swish becomes x · HardSigmoid(x) (α 1/6, β ½: the same clip(x + 3, 0, 6) / 6).

On the test corpus's 42 copies and photos (16 conditions, 10 blur seeds, 16 restamped)
every value, `uncertain` list and source read the same, the probabilities within 2·10⁻⁴,
and reading took 22 % less CPU (73.6 → 57.2 s in one process). The models are made once
per machine and kept by content in the user's cache (`cached_model`); wherever that
fails, or a kept file does not load (ocr_engine.engine), the shipped model is used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Part of the cache key: a changed transform makes new files.
_SOURCE = Path(__file__).read_bytes()
STALE_SECONDS = 86_400  # another version's file is removed when a new one is made


def cached_model(original: Path) -> Path:
    """The lean model for `original`, made now or kept from before; `original` itself
    when it cannot be made (no onnx, no writable cache, an unexpected graph)."""
    try:
        data = original.read_bytes()
        key = hashlib.sha256(_SOURCE + data).hexdigest()[:24]
        folder = _cache_folder()
        target = folder / f"{original.stem}-{key}.onnx"
        if target.exists():
            return target
        folder.mkdir(parents=True, exist_ok=True)  # an unwritable cache fails before the work
        lean = lean_model(data)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as tmp:
            try:
                tmp.write(lean)
            except OSError:  # a full disk: no half file left behind
                Path(tmp.name).unlink(missing_ok=True)
                raise
        os.replace(tmp.name, target)  # whole or absent: another process may be here too
        _drop_stale(folder, original.stem, target)
        return target
    except Exception:  # a slower model, never a failed reading
        log.warning("PP-OCR 模型精简失败，使用原模型：%s", original, exc_info=True)
        return original


def _drop_stale(folder: Path, stem: str, kept: Path) -> None:
    """Other versions' files of this model, once a day old (a process of other code may
    still be starting from a newer one: it is left alone)."""
    for other in folder.glob(f"{stem}-*.onnx"):
        try:
            if other != kept and time.time() - other.stat().st_mtime > STALE_SECONDS:
                other.unlink()
        except OSError:
            pass


def _cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "intake" / "ocr-models"


def lean_model(data: bytes) -> bytes:
    """The serialized model with the folds of the module docstring applied."""
    import onnx

    model = onnx.load_from_string(data)
    graph = _Graph(model.graph)
    graph.fold_affine_after_convs()
    graph.fold_affine_before_pointwise_convs()
    graph.hard_swish_as_hard_sigmoid()
    graph.drop_unused_constants()
    graph.sort()
    onnx.checker.check_model(model)
    return model.SerializeToString()


class _Graph:
    """An ONNX graph whose constants are Constant nodes (Paddle's exports)."""

    def __init__(self, graph) -> None:
        from onnx import numpy_helper

        self.g = graph
        self.values = {
            n.output[0]: numpy_helper.to_array(n.attribute[0].t)
            for n in graph.node
            if n.op_type == "Constant"
        }

    # -- lookups ---------------------------------------------------------------
    def _consumers(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for n in self.g.node:
            for name in n.input:
                out.setdefault(name, []).append(n)
        return out

    def _producers(self) -> dict:
        return {o: n for n in self.g.node for o in n.output}

    def _scalar(self, name: str) -> float | None:
        value = self.values.get(name)
        return None if value is None or value.size != 1 else float(value.reshape(-1)[0])

    def _other(self, node, name: str) -> str:
        return next(i for i in node.input if i != name)

    def _fed_by(self, node, op_type: str, producers: dict):
        """The `op_type` node producing one of `node`'s inputs, or None."""
        return next(
            (producers[i] for i in node.input if i in producers and producers[i].op_type == op_type), None
        )

    def _constant(self, name: str, value: np.ndarray) -> str:
        from onnx import helper, numpy_helper

        self.g.node.insert(
            0, helper.make_node("Constant", [], [name], value=numpy_helper.from_array(value, name))
        )
        self.values[name] = value
        return name

    def _conv_weights(self, conv) -> tuple[np.ndarray, np.ndarray]:
        w = self.values[conv.input[1]]
        b = self.values[conv.input[2]] if len(conv.input) > 2 else np.zeros(w.shape[0], np.float32)
        return w, b

    def _set_conv(self, conv, source: str, w: np.ndarray, b: np.ndarray, tag: str) -> None:
        out = conv.output[0]
        names = (
            self._constant(f"{out}_w_{tag}", w.astype(np.float32)),
            self._constant(f"{out}_b_{tag}", b.astype(np.float32)),
        )
        del conv.input[:]
        conv.input.extend([source, *names])

    def _rename_input(self, old: str, new: str) -> None:
        for n in self.g.node:
            for i, name in enumerate(n.input):
                if name == old:
                    n.input[i] = new

    # -- folds -----------------------------------------------------------------
    def fold_affine_after_convs(self) -> None:
        """Conv → Mul s → Add b becomes one Conv."""
        for conv in [n for n in self.g.node if n.op_type == "Conv"]:
            consumers = self._consumers()
            out = conv.output[0]
            mul = _only(consumers.get(out, []), "Mul")
            add = _only(consumers.get(mul.output[0], []), "Add") if mul is not None else None
            if mul is None or add is None:
                continue
            s, b = self._scalar(self._other(mul, out)), self._scalar(self._other(add, mul.output[0]))
            if s is None or b is None:
                continue
            w, bias = self._conv_weights(conv)
            self._set_conv(conv, conv.input[0], w * s, bias * s + b, "after")
            self.g.node.remove(mul)
            self.g.node.remove(add)
            self._rename_input(add.output[0], out)

    def fold_affine_before_pointwise_convs(self) -> None:
        """Mul s → Add b → unpadded 1×1 Conv (group 1) becomes one Conv."""
        for conv in [n for n in self.g.node if n.op_type == "Conv"]:
            w, bias = self._conv_weights(conv)
            attrs = {a.name: a for a in conv.attribute}
            if w.shape[2:] != (1, 1) or any(attrs["pads"].ints if "pads" in attrs else ()):
                continue
            if "group" in attrs and attrs["group"].i != 1:
                continue
            consumers, producers = self._consumers(), self._producers()
            add = producers.get(conv.input[0])
            if add is None or add.op_type != "Add" or len(consumers[add.output[0]]) != 1:
                continue
            mul = self._fed_by(add, "Mul", producers)
            if mul is None or len(consumers[mul.output[0]]) != 1:
                continue
            b = self._scalar(self._other(add, mul.output[0]))
            scale = next((i for i in mul.input if i in self.values), "")
            s = self._scalar(scale)
            if b is None or s is None:
                continue
            self._set_conv(conv, self._other(mul, scale), w * s, bias + b * w.sum(axis=(1, 2, 3)), "before")
            self.g.node.remove(mul)
            self.g.node.remove(add)

    def hard_swish_as_hard_sigmoid(self) -> None:
        """x · clip(x + 3, 0, 6) / 6 (four nodes) becomes x · HardSigmoid(x) (two)."""
        from onnx import helper

        for div in [n for n in self.g.node if n.op_type == "Div"]:
            found = self._hard_swish(div)
            if found is None:
                continue
            x, nodes = found
            gate = div.output[0] + "_gate"
            at = list(self.g.node).index(div)
            self.g.node.insert(at, helper.make_node("HardSigmoid", [x], [gate], alpha=1 / 6, beta=0.5))
            self.g.node.insert(at + 1, helper.make_node("Mul", [x, gate], [div.output[0]]))
            for n in nodes:
                self.g.node.remove(n)

    def _hard_swish(self, div) -> tuple[str, list] | None:
        """(x, its four nodes) when `div` ends Paddle's hard-swish of x, used nowhere else."""
        producers = self._producers()
        mul = producers.get(div.input[0])
        if mul is None or mul.op_type != "Mul" or self._scalar(div.input[1]) != 6.0:
            return None
        clip = self._fed_by(mul, "Clip", producers)
        if clip is None or self._scalar(clip.input[1]) != 0.0 or self._scalar(clip.input[2]) != 6.0:
            return None
        x = self._other(mul, clip.output[0])
        add = producers.get(clip.input[0])
        if (
            add is None
            or add.op_type != "Add"
            or x not in add.input
            or self._scalar(self._other(add, x)) != 3.0
        ):
            return None
        consumers = self._consumers()
        if any(len(consumers[n.output[0]]) != 1 for n in (add, clip, mul)):
            return None
        return x, [add, clip, mul, div]

    def drop_unused_constants(self) -> None:
        """The weights and scalars the folds replaced."""
        used = set(self._consumers()) | {o.name for o in self.g.output}
        for n in [n for n in self.g.node if n.op_type == "Constant" and n.output[0] not in used]:
            self.g.node.remove(n)
            del self.values[n.output[0]]

    def sort(self) -> None:
        """Nodes in topological order (the folds moved inputs around)."""
        ready = {i.name for i in self.g.input} | {i.name for i in self.g.initializer} | {""}
        pending, ordered = list(self.g.node), []
        while pending:
            rest = []
            for n in pending:
                if all(i in ready for i in n.input):
                    ordered.append(n)
                    ready.update(n.output)
                else:
                    rest.append(n)
            if len(rest) == len(pending):
                raise ValueError("graph has a cycle or a missing input")
            pending = rest
        del self.g.node[:]
        self.g.node.extend(ordered)


def _only(nodes: list, op_type: str):
    """The single consumer when it is an `op_type` node, else None."""
    return nodes[0] if len(nodes) == 1 and nodes[0].op_type == op_type else None
