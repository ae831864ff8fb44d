# Self-ensembling (mean teacher) around ./deeplabv2_small.py: the student
# with dropout 0.1 on the classifier input (the network perturbation of the
# mean teacher; a design value), its EMA teacher and the method's settings
# and hook (../methods/self_ensembling.py).
_base_ = ['./deeplabv2_small.py', '../methods/self_ensembling.py']
student = _base_.model
student.decode_head.dropout_ratio = 0.1
model = dict(
    _delete_=True,
    type='SelfEnsembling',
    data_preprocessor=_base_.data_preprocessor,
    student=student,
    **_base_.self_ensembling)
del student  # only the wrapped copy above is the config's
