# Self-ensembling alone (source + target, no TGCF-DA images: the paper's
# "Self-Ensembling" row) on the embedded benchmark: small DeepLab-v2 student
# with dropout 0.1 on the classifier input (the network perturbation of the
# mean teacher; a design value), its EMA teacher, the consistency of their
# target softmax maps under independent Gaussian input noise.
_base_ = [
    '../_base_/models/deeplabv2_small.py',
    '../_base_/methods/self_ensembling.py',
    '../_base_/datasets/sim2real_gta5_to_cityscapes.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_sim2real.py',
]
student = _base_.model
student.decode_head.dropout_ratio = 0.1
model = dict(
    _delete_=True,
    type='SelfEnsembling',
    data_preprocessor=_base_.data_preprocessor,
    student=student,
    **_base_.self_ensembling)
del student  # only the wrapped copy above is the config's
