// seqrec micro-benchmarks (`make bench`). Filled in by the models work.
print("bench: not yet")
