# Self-ensembling alone (source + target, no TGCF-DA images: the paper's
# "Self-Ensembling" row) on the embedded benchmark: small DeepLab-v2 student
# with dropout 0.1 on the classifier input (the network perturbation of the
# mean teacher; a design value), its EMA teacher, the consistency of their
# target softmax maps under independent Gaussian input noise.
_base_ = [
    '../_base_/models/self_ensembling_deeplabv2_small.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
