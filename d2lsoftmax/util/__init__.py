"""Leaf utilities: no MXNet and nothing else of the package (numerics reads blas)."""
