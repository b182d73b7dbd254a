"""Runs the numpy evaluator printed in docs/CHECKPOINT.md section 8 on a Fluvia checkpoint.

    /usr/bin/python3 tests/python/checkpoint_doc_eval.py MODEL.safetensors X.f32 N

X.f32 holds N samples of the model's event shape as little-endian float32 (row-major). Prints log p(x) of each
sample, one per line, computed in float64 by the documentation's code alone (the python blocks of section 8, run
as written; only the file path is substituted). Used by CheckpointDocEvaluatorTest to keep the document exact.
"""
import pathlib
import re
import sys

import numpy as np

root = pathlib.Path(__file__).resolve().parents[2]
doc = (root / "docs" / "CHECKPOINT.md").read_text(encoding="utf-8")
section = doc[doc.index("## 8. Worked example"):]
blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
if not blocks:
    sys.exit("checkpoint_doc_eval: no python blocks in section 8 of docs/CHECKPOINT.md")
code = "\n".join(blocks)
path_line = 'path = "model.safetensors"'
if path_line not in code:
    sys.exit("checkpoint_doc_eval: section 8 no longer starts with " + path_line)
code = code.replace(path_line, "path = " + repr(sys.argv[1]), 1)
env = {}
exec(compile(code, "docs/CHECKPOINT.md#8", "exec"), env)

n = int(sys.argv[3])
shape = env["model"]["event_shape"]
x = np.fromfile(sys.argv[2], dtype="<f4").astype(np.float64).reshape([n] + list(shape))
lp = env["image_log_prob"](x) if len(shape) == 3 else env["log_prob"](x)
for v in lp:
    print(repr(float(v)))
