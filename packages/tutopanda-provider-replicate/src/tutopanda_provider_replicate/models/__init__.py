"""The Replicate models of the seed, one module per kind: input schemas, mappings and cards."""
