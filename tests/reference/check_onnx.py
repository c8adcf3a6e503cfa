#!/usr/bin/python3
"""Checks ONNX files with ONNX's own checker, as Debian's python3-onnx (1.12) has it.

    /usr/bin/python3 tests/reference/check_onnx.py FILE.onnx [FILE.onnx ...]

For each file: onnx.checker.check_model(model, full_check=True), which checks the graph against the operator
schemas of its opset and infers every shape (strictly). Prints one line per file, "ok FILE" or "FAIL FILE: why",
and exits with 1 when a file fails. OnnxCheckerTests runs it on every model the export tests write.
"""

import sys

import onnx


def main(paths):
    failed = 0
    for path in paths:
        try:
            onnx.checker.check_model(onnx.load(path), full_check=True)
            print(f"ok {path}")
        except Exception as e:  # the checker raises ValidationError, shape inference InferenceError
            failed += 1
            print(f"FAIL {path}: {str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
