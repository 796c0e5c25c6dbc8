"""ShapeLens: static tensor-shape analysis for PyTorch code."""

__version__ = "0.1.0"
