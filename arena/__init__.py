"""Local-Min Arena: attackers and defenders on the loss landscapes of neural networks."""
__version__ = "0.1.0"
