"""Benchmark cases for /train's ordinary callback (the controls → URL and notices), as URL
states. The run itself goes to the run pool: its cost is the training (bench/bench_presets.py)
and what a hall of tabs polling it costs (bench/load/train_hall.py)."""
CASES = [
    ("train controls (ff defaults)", "/train", {}),
    ("train controls (rnn defaults)", "/train", {"kind": "rnn"}),
]
