import os
import sys
from pathlib import Path

# One BLAS/OpenMP thread, set before numpy or torch load, as app/__init__.py does for the
# served app: torch (imported below, before the app) loads numpy, which would otherwise start
# a BLAS thread per core here, unlike the app; on the shared 2-core machine that made every
# engine call 2–10× slower in the tests than in production.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
torch.set_num_threads(1)  # the test machine has two cores; keep torch from fighting pytest
