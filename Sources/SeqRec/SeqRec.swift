// The library product: `import SeqRec` brings the core (Support, Config) and the numerics
// (Tensor, Data, Models, Evaluation, Training) too, so every file of this target, the executables
// and library users see them without importing them.
@_exported import SeqRecCore
@_exported import SeqRecNumerics
