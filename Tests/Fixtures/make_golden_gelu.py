"""GELU reference values for GELUTests: torch.nn.GELU() (approximate='none', the erf form)
in float64, its value and derivative at fixed points. Writes golden-gelu/gelu.json.

    /work/torchvenv/bin/python Tests/Fixtures/make_golden_gelu.py
"""
import json
import pathlib

import torch

# Points a Float holds exactly, so that the Swift side evaluates at the same x.
points = [-6.0, -3.5, -2.0, -1.25, -0.7, -0.3, -1e-3, 0.0, 1e-3, 0.25, 0.5, 1.0, 1.7, 2.5, 4.0, 6.0]
x = torch.tensor(points, dtype=torch.float32).double().requires_grad_(True)
y = torch.nn.GELU()(x)
(gradient,) = torch.autograd.grad(y.sum(), x)
out = pathlib.Path(__file__).parent / "golden-gelu" / "gelu.json"
out.parent.mkdir(exist_ok=True)
out.write_text(json.dumps({"torch": torch.__version__, "approximate": "none",
                           "x": x.tolist(), "y": y.tolist(), "dy_dx": gradient.tolist()}, indent=1) + "\n")
print(out)
