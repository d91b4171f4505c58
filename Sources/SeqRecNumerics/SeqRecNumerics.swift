// Every file of this target sees the core (Support, Config) without importing it.
@_exported import SeqRecCore
