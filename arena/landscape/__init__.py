"""The landscape: a setting (network, neurons, margin loss, regularizer) and its empirical loss.

Public API: :class:`Setting` (``Params`` is its name -> tensor mapping), the built-in network family
(:class:`MLP`, :class:`MLPConfig`, :func:`mlp_forward`), neurons (:func:`make_neuron`), losses
(:func:`make_loss`) and regularizers (:func:`make_regularizers`).
"""
from arena.landscape.losses import Loss, make_loss
from arena.landscape.network import MLP, MLPConfig, mlp_forward
from arena.landscape.neurons import Neuron, make_neuron
from arena.landscape.regularizers import Regularizer, make_regularizers
from arena.landscape.setting import Params, Setting

__all__ = ["Loss", "MLP", "MLPConfig", "Neuron", "Params", "Regularizer", "Setting", "make_loss", "make_neuron",
           "make_regularizers", "mlp_forward"]
