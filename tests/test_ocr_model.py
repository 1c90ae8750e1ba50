"""PP-OCR's models with their element-wise layers folded (documents/ocr_model.py):
the same numbers from fewer passes, made once into the cache, and the shipped model
kept wherever that cannot be done."""

from __future__ import annotations

import collections
import os
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import scan_corpus

from pipeline.documents import ocr_engine, ocr_model

MODELS = Path(__import__("rapidocr_onnxruntime").__file__).resolve().parent / "models"
DET, REC = MODELS / ocr_engine.DET_MODEL, MODELS / ocr_engine.REC_MODEL


def session(model: Path | bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(
        model if isinstance(model, bytes) else str(model), options, providers=["CPUExecutionProvider"]
    )


def _proto(model: bytes | Path):
    """The model's graph. `onnx` is imported here, not at the top: it brings ml_dtypes, half a
    CPU-second, into every test worker that merely collects this file (as the product only
    imports it to fold a model: documents/ocr_model.py)."""
    import onnx

    return onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(str(model))


def ops(model: bytes | Path) -> collections.Counter:
    proto = _proto(model)
    return collections.Counter(n.op_type for n in proto.graph.node if n.op_type != "Constant")


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    """The filled form as a scan (BGR), what both models meet in production."""
    return np.asarray(scan_corpus.render_form())[:, :, ::-1].copy()


@pytest.fixture(scope="module")
def lean() -> dict[str, bytes]:
    return {"det": ocr_model.lean_model(DET.read_bytes()), "rec": ocr_model.lean_model(REC.read_bytes())}


def test_the_recogniser_gives_the_same_probabilities_from_fewer_layers(page, lean):
    engine = ocr_engine.engine()
    lines = ocr_engine.line_images(page, ocr_engine.detect(page))
    assert len(lines) >= 30  # the form's labels and values
    widest = max(line.shape[1] / line.shape[0] for line in lines[:12])
    batch = np.stack([engine.text_rec.resize_norm_img(line, widest) for line in lines[:12]]).astype(
        np.float32
    )
    shipped, folded = session(REC), session(lean["rec"])
    want = shipped.run(None, {shipped.get_inputs()[0].name: batch})[0]
    got = folded.run(None, {folded.get_inputs()[0].name: batch})[0]
    assert np.abs(got - want).max() < 1e-3
    assert (got.argmax(-1) == want.argmax(-1)).all()
    before, after = ops(REC), ops(lean["rec"])
    # Every hard-swish (Add, Clip, Mul, Div) is x * HardSigmoid(x); the affine blocks are gone.
    assert after["Clip"] == 0 and after["Div"] == before["Div"] - before["Clip"]
    assert after["HardSigmoid"] == before["HardSigmoid"] + before["Clip"]
    assert sum(after.values()) < sum(before.values()) * 0.8
    # The character list rides in the model's metadata: rapidocr reads it from there.
    meta = {p.key for p in _proto(lean["rec"]).metadata_props}
    assert "character" in meta


def test_the_detector_gives_the_same_map(page, lean):
    shrunk = page[::2, ::2].astype(np.float32) / 255.0
    shrunk = (shrunk - 0.5) / 0.5
    h, w = (s // 32 * 32 for s in shrunk.shape[:2])
    x = shrunk[:h, :w].transpose(2, 0, 1)[np.newaxis].copy()
    shipped, folded = session(DET), session(lean["det"])
    want = shipped.run(None, {shipped.get_inputs()[0].name: x})[0]
    got = folded.run(None, {folded.get_inputs()[0].name: x})[0]
    assert np.abs(got - want).max() < 1e-3
    assert ((got > 0.3) == (want > 0.3)).mean() > 0.9999  # the text mask DBNet thresholds
    assert sum(ops(lean["det"]).values()) < sum(ops(DET).values()) * 0.8


def test_made_once_into_the_cache_then_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = tmp_path / "intake" / "ocr-models"
    folder.mkdir(parents=True)
    stale, recent, other_model = (
        folder / name
        for name in (
            "ch_PP-OCRv4_rec_infer-old.onnx",
            "ch_PP-OCRv4_rec_infer-new.onnx",
            "ch_PP-OCRv4_det_infer-old.onnx",
        )
    )
    for path in (stale, recent, other_model):
        path.write_bytes(b"")
    days_ago = time.time() - 2 * ocr_model.STALE_SECONDS
    os.utime(stale, (days_ago, days_ago))
    os.utime(other_model, (days_ago, days_ago))
    first = ocr_model.cached_model(REC)
    assert first.parent == tmp_path / "intake" / "ocr-models" and first != REC
    made = first.stat().st_mtime_ns
    assert ocr_model.cached_model(REC) == first
    assert first.stat().st_mtime_ns == made  # read, not made again
    assert not list(first.parent.glob("*.part"))
    # Another version's file goes once it is a day old; a newer one may be in use.
    assert not stale.exists() and recent.exists() and other_model.exists()


def test_an_unwritable_cache_keeps_the_shipped_model(tmp_path, monkeypatch, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert ocr_model.cached_model(REC) == REC
    assert "使用原模型" in caplog.text


def test_a_graph_it_does_not_know_is_left_as_shipped(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    odd = tmp_path / "odd.onnx"
    odd.write_bytes(b"not a model")
    assert ocr_model.cached_model(odd) == odd


def test_a_damaged_cached_model_is_read_with_the_shipped_ones(tmp_path, monkeypatch, page, caplog):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for original in (DET, REC):
        ocr_model.cached_model(original).write_bytes(b"half a model")
    monkeypatch.setattr(ocr_engine, "_engine", None)  # a new engine, from this cache
    texts = [box.text for box in ocr_engine.read_text(page)]
    assert "账号名称" in texts and "推荐理由" in texts
    assert "改用原模型" in caplog.text
