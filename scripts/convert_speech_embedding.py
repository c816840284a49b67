"""Take the speech embedding's weights out of its two ONNX files, for hearing/speech_embedding.py.

    pip install onnx   # only for this conversion; voicecoach itself never needs it
    python scripts/convert_speech_embedding.py            # writes data/speech_embedding/weights.npz
    python scripts/convert_speech_embedding.py --check    # the file matches the ONNX models

The graph is checked to be the chain hearing/speech_embedding.py computes (the operators in
order, their kernels, strides and pads, the constants of the activation and of the mel front
end) before a weight is copied, so a different model file stops here instead of giving wrong
embeddings. The output is byte-for-byte the same on every run (fixed zip dates).
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voicecoach.hearing.speech_embedding import (  # noqa: E402
    CONVOLUTIONS,
    FFT_SIZE,
    FLOOR,
    HOP,
    POOLS,
    SLOPE,
    TOP_DB,
    WEIGHTS,
)

FOLDER = ROOT / "voicecoach" / "data" / "speech_embedding"
BATCH_NORM_EPSILON = 1e-3


def attributes(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def constant_values(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    values = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(attributes(node)["value"])
    return values


def mel_weights(path: Path) -> dict[str, np.ndarray]:
    import onnx

    model = onnx.load(str(path))
    values = constant_values(model)
    convolutions = [n for n in model.graph.node if n.op_type == "Conv"]
    assert len(convolutions) == 2, "the mel model should have two STFT convolutions"
    for node in convolutions:
        a = attributes(node)
        assert a["kernel_shape"] == [FFT_SIZE] and a["strides"] == [HOP], a
        assert a.get("pads", [0, 0]) == [0, 0], a
    real, imaginary = (values[n.input[1]][:, 0] for n in convolutions)
    clips = [values[n.input[1]] for n in model.graph.node
             if n.op_type == "Clip" and n.input[1] in values]
    assert [float(c) for c in clips] == [np.float32(1e-10)], clips
    subtracted = [float(values[n.input[1]]) for n in model.graph.node
                  if n.op_type == "Sub" and n.input[1] in values]
    assert TOP_DB in subtracted, subtracted
    matmul = [n for n in model.graph.node if n.op_type == "MatMul"]
    return {"stft": np.concatenate([real.T, imaginary.T], axis=1).astype(np.float32),
            "mel": values[matmul[0].input[1]].astype(np.float32)}


def embedding_weights(path: Path) -> dict[str, np.ndarray]:
    import onnx

    model = onnx.load(str(path))
    values = constant_values(model)
    out: dict[str, np.ndarray] = {}
    convolution = 0
    kinds = [n.op_type for n in model.graph.node]
    expected = ["Pad", "Reshape", "Conv", "Relu", "BatchNormalization", "LeakyRelu", "Max"]
    for k in range(1, CONVOLUTIONS):
        expected += ["Conv"] + (["LeakyRelu", "Max"] if k < CONVOLUTIONS - 1 else [])
        expected += ["MaxPool"] * (k in POOLS)
    assert kinds == [*expected, "Reshape"], f"unexpected graph: {kinds}"
    for node in model.graph.node:
        a = attributes(node)
        if node.op_type == "Pad":
            pads = list(values[node.input[1]])
            assert pads == [0, 0, 1, 0, 0, 0, 1, 0], f"pad frequency by 1 each side, not {pads}"
        elif node.op_type == "Conv":
            kernel = values[node.input[1]]
            shape = kernel.shape[2:]
            assert a["strides"] == [1, 1] and a["dilations"] == [1, 1] and a["group"] == 1, a
            if convolution == 0:
                assert shape == (3, 3) and "pads" not in a, a
            elif shape == (1, 3):
                assert a["pads"] == [0, 1, 0, 1], a
            else:
                assert shape == (3, 1) and a.get("pads", [0, 0, 0, 0]) == [0, 0, 0, 0], a
            out[f"conv{convolution}_w"] = kernel.astype(np.float32)
            if len(node.input) > 2:
                out[f"conv{convolution}_b"] = values[node.input[2]].astype(np.float32)
            convolution += 1
        elif node.op_type == "BatchNormalization":
            assert abs(a["epsilon"] - BATCH_NORM_EPSILON) < 1e-9, a
            scale, shift, mean, variance = (values[i] for i in node.input[1:])
            out["bn_scale"] = (scale / np.sqrt(variance + BATCH_NORM_EPSILON)).astype(np.float32)
            out["bn_shift"] = (shift - mean * out["bn_scale"]).astype(np.float32)
        elif node.op_type == "LeakyRelu":
            assert np.float32(a["alpha"]) == SLOPE, a
        elif node.op_type == "Max":
            assert float(values[node.input[1]].ravel()[0]) == float(FLOOR), "floor"
        elif node.op_type == "MaxPool":
            assert tuple(a["kernel_shape"]) == tuple(a["strides"]) == POOLS[convolution - 1], a
    return out


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An .npz with fixed entry dates, so the same arrays always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            array = io.BytesIO()
            np.lib.format.write_array(array, np.ascontiguousarray(arrays[name]),
                                      allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, array.getvalue())
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the file in the package instead of writing it")
    args = parser.parse_args()
    try:
        import onnx  # noqa: F401
    except ImportError:
        sys.exit("this conversion needs the onnx package: pip install onnx")
    arrays = {**mel_weights(FOLDER / "melspectrogram.onnx"),
              **embedding_weights(FOLDER / "embedding_model.onnx")}
    data = npz_bytes(arrays)
    target = ROOT / "voicecoach" / WEIGHTS
    if args.check:
        same = target.exists() and target.read_bytes() == data
        verdict = "matches" if same else "DIFFERS FROM"
        print(f"{target.relative_to(ROOT)}: {verdict} the ONNX models")
        sys.exit(0 if same else 1)
    target.write_bytes(data)
    print(f"wrote {target.relative_to(ROOT)}: {len(arrays)} arrays, {len(data)} bytes")


if __name__ == "__main__":
    main()
