import SeqRec
print("runner: not yet")
