"""PyTorch reference timings for seqrec's benchmark (run by `seqrec-bench`, or by hand).

Times the recurrent stack alone, forward + backward: nn.Embedding(numItems + 1, E) ->
nn.LSTM/GRU/RNN(E, H, batch_first=True) -> loss = sum(outputs * R), and with --whole-step
also a whole training step (+ Linear(H, numItems + 1), cross-entropy, Adam), at 1 thread
unless --threads says otherwise. Times are thread CPU time. Prints one JSON object per
configuration and mode.
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--cells", default="lstm,gru,rnn")
parser.add_argument("--hidden", default="50,128,256")
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--steps", type=int, default=50)
parser.add_argument("--embedding", type=int, default=64)
parser.add_argument("--items", type=int, default=1682)
parser.add_argument("--layers", type=int, default=1)
parser.add_argument("--iterations", type=int, default=5)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--whole-step", action="store_true",
                    help="also time the whole training step: + Linear(H, items + 1), cross-entropy, Adam")
args = parser.parse_args()

# Thread counts must be fixed before torch (and its BLAS) load.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = str(args.threads)

import resource  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(0)
MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}

for cell in args.cells.split(","):
    for hidden in (int(h) for h in args.hidden.split(",")):
        embedding = nn.Embedding(args.items + 1, args.embedding, padding_idx=0)
        rnn = MODULES[cell](args.embedding, hidden, num_layers=args.layers, batch_first=True)
        ids = torch.randint(1, args.items + 1, (args.batch, args.steps))
        upstream = torch.randn(args.batch, args.steps, hidden)

        def step():
            embedding.zero_grad(set_to_none=False)
            rnn.zero_grad(set_to_none=False)
            outputs, _ = rnn(embedding(ids))
            (outputs * upstream).sum().backward()

        step()  # warm-up
        times = []
        for _ in range(args.iterations):
            # CPU time of this thread (the machine may be shared); the Swift side does the same.
            start = time.thread_time()
            step()
            times.append((time.thread_time() - start) * 1000)
        times.sort()
        print(json.dumps({
            "mode": "stack", "cell": cell, "hidden": hidden, "ms": times[len(times) // 2], "msMin": times[0],
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }), flush=True)
        if not args.whole_step:
            continue
        # Whole step: the same stack + a full-softmax output layer over items + 1 classes,
        # cross-entropy averaged over the targets (0 = no target), Adam. No dropout.
        output = nn.Linear(hidden, args.items + 1)
        targets = torch.randint(1, args.items + 1, (args.batch, args.steps))
        parameters = list(embedding.parameters()) + list(rnn.parameters()) + list(output.parameters())
        optimizer = torch.optim.Adam(parameters, lr=1e-3)
        loss_function = nn.CrossEntropyLoss(ignore_index=0)

        def whole_step():
            optimizer.zero_grad(set_to_none=False)
            outputs, _ = rnn(embedding(ids))
            logits = output(outputs.reshape(-1, hidden))
            loss_function(logits, targets.reshape(-1)).backward()
            optimizer.step()

        whole_step()
        times = []
        for _ in range(args.iterations):
            start = time.thread_time()
            whole_step()
            times.append((time.thread_time() - start) * 1000)
        times.sort()
        print(json.dumps({
            "mode": "whole", "cell": cell, "hidden": hidden, "ms": times[len(times) // 2], "msMin": times[0],
            "threads": torch.get_num_threads(), "torch": torch.__version__,
            "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }), flush=True)
sys.exit(0)
